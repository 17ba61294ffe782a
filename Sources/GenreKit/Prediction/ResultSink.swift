import Files
import Basics
import Glibc

/// Where `genre predict` writes its rows: stdout, or a file — truncated, or appended to when
/// resuming (`--skip-done`) — with the CSV header when the file starts empty. Every row is
/// written through at once with one write, so a killed run leaves complete rows and at most a
/// torn last line, which a resumed run cuts off before appending. A row that cannot be written
/// (a full disk) is cut back off too, and the sink stops with `failure` naming the file.
public final class ResultSink {
    /// Paths that already have a row in the file (resuming only).
    public let donePaths: Set<String>
    private let file: AppendingFile
    /// The first write error; later rows are dropped.
    public private(set) var failure: FileError?

    /// Rows on standard output.
    public init(standardOutputFor format: PredictionFormat, top: Int) {
        file = AppendingFile()
        donePaths = []
        if let header = format.header(top: top) { write(header) }
    }

    /// Rows in the file at `path`; with `resume`, after the complete rows already there.
    public init(path: String, format: PredictionFormat, top: Int, resume: Bool) throws {
        var existing: [UInt8] = []
        if resume, FileSystem.exists(path) {
            do { existing = try FileBytes.read(path: path) } catch let error as FileError {
                throw FileError(path: path, problem: "cannot read the output file (\(error.problem))")
            }
            // A torn last line (a killed run) is cut off: the file keeps only complete rows.
            if let last = existing.last, last != UInt8(ascii: "\n") {
                let keep = existing.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
                guard FileSystem.truncate(path, off_t(keep)) == 0 else {
                    throw FileError(path: path, problem: "cannot cut off the unfinished last row (\(String(cString: strerror(errno))))")
                }
                existing = Array(existing.prefix(keep))
            }
        }
        file = try AppendingFile(path: path, truncate: !resume)
        donePaths = format.donePaths(FileSystemBytes.string(existing))
        if existing.isEmpty, let header = format.header(top: top) { write(header) }
        if let failure { throw failure }
    }

    /// Writes one line (a newline is added); after a failure nothing more is written.
    public func write(_ line: String) {
        guard failure == nil else { return }
        do { try file.append(line: line) } catch let error as FileError { failure = error } catch {
            failure = FileError(path: file.path, problem: String(describing: error))
        }
    }

    public func close() {
        try? file.synchronize()
    }
}
