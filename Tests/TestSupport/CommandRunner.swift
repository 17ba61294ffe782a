import Foundation

/// Runs the built `genre` executable and captures what it prints.
public struct CommandResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public enum CommandRunner {
    /// The `genre` binary next to the test bundle (SwiftPM's products folder).
    public static var genre: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("genre"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("genre"),
            Fixtures.packageRoot.appendingPathComponent(".build/release/genre"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Runs `executable` (default: genre) with `arguments`, optionally through a wrapper such as setpriv.
    public static func run(_ arguments: [String], wrapper: [String] = [], in folder: URL? = nil) throws -> CommandResult {
        let process = Process()
        let command = wrapper + [genre.path] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let folder { process.currentDirectoryURL = folder }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }
}
