import Foundation
import XCTest

/// A test run again by a child process: this test binary with only `test` ("Module.Class/test")
/// and `environment` added to its own. For what a test cannot survive in its own process, such
/// as a read that ends the process on SIGBUS. The child's standard output is dropped.
public enum ChildTest {
    private static func run(_ test: String, environment: [String: String]) throws -> (exited: Bool, status: Int32, errors: String) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = [test]
        child.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let errors = Pipe()
        child.standardError = errors
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        return (child.terminationReason == .exit, child.terminationStatus, message)
    }

    /// Runs `test` in a child and checks that it exited (no signal) with status 1, its standard
    /// error ending with `lastLine` and a newline.
    public static func assertFails(_ test: String, environment: [String: String], lastLine: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let (exited, status, message) = try run(test, environment: environment)
        XCTAssertTrue(exited, message, file: file, line: line)
        XCTAssertEqual(status, 1, message, file: file, line: line)
        XCTAssertTrue(message.hasSuffix(lastLine + "\n"), message, file: file, line: line)
    }
}
