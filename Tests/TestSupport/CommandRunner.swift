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

    /// The wrapper that runs `genre` as a user permissions apply to: none when the tests are not
    /// root, `setpriv` to `nobody` when they are (root reads and writes anything), nil when root
    /// cannot drop to `nobody` here (no setpriv, or `nobody` cannot run the executable).
    public static let unprivileged: [String]? = {
        guard getuid() == 0 else { return [] }
        let setpriv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        guard FileManager.default.isExecutableFile(atPath: setpriv[0]), (try? run(["--version"], wrapper: setpriv))?.status == 0 else { return nil }
        return setpriv
    }()

    /// Runs `genre` (or a copy of it, `executable`) with `arguments`, optionally through a wrapper such as setpriv, with extra
    /// environment variables (a nil value removes the variable) and `stdin` on its standard input;
    /// stdin is written while stdout and stderr are read, all at the same time, so a child that
    /// fills one pipe while we wait on another cannot deadlock.
    public static func run(_ arguments: [String], executable: URL = genre, wrapper: [String] = [], in folder: URL? = nil,
                           environment: [String: String?] = [:], stdin: Data? = nil) throws -> CommandResult {
        let process = Process()
        let command = wrapper + [executable.path] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let folder { process.currentDirectoryURL = folder }
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (name, value) in environment { merged[name] = value }
            process.environment = merged
        }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        if stdin != nil {
            signal(SIGPIPE, SIG_IGN)  // a child that exits without reading it all makes the write fail, not kill us
            process.standardInput = input
        }
        try process.run()
        let stderr = Captured(), group = DispatchGroup()
        let stderrHandle = err.fileHandleForReading
        DispatchQueue.global().async(group: group) { stderr.data = stderrHandle.readDataToEndOfFile() }
        if let stdin {
            let writer = input.fileHandleForWriting
            DispatchQueue.global().async(group: group) {
                try? writer.write(contentsOf: stdin)
                try? writer.close()
            }
        }
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
