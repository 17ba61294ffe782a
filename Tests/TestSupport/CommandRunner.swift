import Dispatch
import Foundation

/// Runs the built `genre` executable and captures what it prints.
public struct CommandResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// True when a signal ended the process (a trap, a crash, a kill); `status` is then the signal.
    public var signalled = false
}

public enum CommandRunner {
    /// The `genre` built with these tests: SwiftPM puts it next to the test bundle, in the same
    /// configuration's products folder. A missing binary stops the run rather than testing a stale one.
    public static let genre: URL = {
        let url = Bundle.main.bundleURL.appendingPathComponent("genre")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            fatalError("no genre executable at \(url.path): build it with the tests (swift build --build-tests)")
        }
        return url
    }()

    /// Runs `genre` with `arguments`, optionally through a wrapper such as setpriv, with extra
    /// environment variables; stdout and stderr are read at the same time, so a child that fills
    /// one pipe while we wait on the other cannot deadlock.
    public static func run(_ arguments: [String], wrapper: [String] = [], in folder: URL? = nil,
                           environment: [String: String] = [:]) throws -> CommandResult {
        let process = Process()
        let command = wrapper + [genre.path] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let folder { process.currentDirectoryURL = folder }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stderr = Captured(), group = DispatchGroup()
        let stderrHandle = err.fileHandleForReading
        DispatchQueue.global().async(group: group) { stderr.data = stderrHandle.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr.data, as: UTF8.self),
                             signalled: process.terminationReason == .uncaughtSignal)
    }
}

/// Bytes read on another thread, handed over after `DispatchGroup.wait`.
private final class Captured: @unchecked Sendable {
    var data = Data()
}
