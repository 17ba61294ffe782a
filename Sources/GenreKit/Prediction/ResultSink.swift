import Files
import Foundation

/// Where `genre predict` writes its rows: stdout, or a file — truncated, or appended to when
/// resuming (`--skip-done`) — with the CSV header when the file starts empty. Every row is
/// written through at once, so a killed run leaves complete rows and at most one torn line,
/// which a resumed run moves past.
public final class ResultSink {
    /// Paths that already have a row in the file (resuming only).
    public let donePaths: Set<String>
    private let handle: FileHandle
    private let closes: Bool

    /// Rows on standard output.
    public init(standardOutputFor format: PredictionFormat, top: Int) {
        (handle, closes, donePaths) = (.standardOutput, false, [])
        if let header = format.header(top: top) { write(header) }
    }

    /// Rows in the file at `path`; with `resume`, after the rows already there.
    public init(path: String, format: PredictionFormat, top: Int, resume: Bool) throws {
        let manager = FileManager.default
        let existing = resume ? (try? String(contentsOfFile: path, encoding: .utf8)) : nil
        if existing == nil {
            guard manager.createFile(atPath: path, contents: nil) else {
                throw FileError(path: path, problem: "cannot create the output file (\(FileProblem.describe(path: path)))")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw FileError(path: path, problem: "cannot open the output file for writing")
        }
        handle.seekToEndOfFile()
        (self.handle, closes) = (handle, true)
        donePaths = existing.map(format.donePaths) ?? []
        if let existing, !existing.isEmpty, !existing.hasSuffix("\n") { write("") }  // a torn last line stays on its own
        if (existing ?? "").isEmpty, let header = format.header(top: top) { write(header) }
    }

    /// Writes one line (a newline is added).
    public func write(_ line: String) {
        handle.write(Data((line + "\n").utf8))
    }

    public func close() {
        if closes { try? handle.synchronize(); try? handle.close() }
    }
}
