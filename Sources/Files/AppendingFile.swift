import Basics
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// A file that grows by whole lines (result rows, metrics, journals): each line is written with
/// one `write` call, and a write that fails part-way (a full disk) is cut back off, so the file
/// keeps only complete lines and a later run can append after them. Errors are one line naming
/// the file.
public final class AppendingFile {
    public let path: String
    private let fd: Int32
    private let closes: Bool
    /// Whether a failed write can be undone (regular files; not pipes or terminals).
    private let truncates: Bool

    /// Opens `path` for appending, creating it when missing; `truncate` empties it first; with
    /// `exclusive` an existing file is an error ("already exists") and is never touched.
    public init(path: String, truncate: Bool = false, exclusive: Bool = false) throws {
        let fd = FileSystem.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0) | (exclusive ? O_EXCL : 0), 0o644)
        guard fd >= 0 else {
            throw FileError(path: path, problem: exclusive && errno == EEXIST ? "already exists"
                : "cannot open for writing (\(String(cString: strerror(errno))))")
        }
        (self.path, self.fd, closes, truncates) = (path, fd, true, true)
    }

    /// Standard output (never truncated back, never closed).
    public init(standardOutput: Void = ()) {
        (path, fd, closes, truncates) = ("standard output", STDOUT_FILENO, false, false)
    }

    deinit { if closes { close(fd) } }

    /// Appends `text` and a newline.
    public func append(line text: String) throws {
        try append(FileSystemBytes.bytes(text + "\n"))
    }

    /// Appends `bytes` as a unit: on failure the file is cut back to its length before the write.
    /// `durable` also flushes them to disk before returning (and cuts them back if that fails).
    public func append(_ bytes: [UInt8], durable: Bool = false) throws {
        let start = truncates ? lseek(fd, 0, SEEK_END) : -1
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                if start >= 0 { _ = ftruncate(fd, start) }
                throw FileError(path: path, problem: "cannot write (\(reason))")
            }
            written += n
        }
        if durable, fsync(fd) != 0, errno != EINVAL, errno != EROFS {
            let reason = String(cString: strerror(errno))
            if start >= 0 { _ = ftruncate(fd, start) }
            throw FileError(path: path, problem: "cannot flush (\(reason))")
        }
    }

    /// Flushes to disk.
    public func synchronize() throws {
        guard fsync(fd) == 0 || errno == EINVAL || errno == EROFS else {
            throw FileError(path: path, problem: "cannot flush (\(String(cString: strerror(errno))))")
        }
    }

    /// Appends one line to the file at `path` (created when missing), all or nothing.
    public static func append(line: String, to path: String) throws {
        try AppendingFile(path: path).append(line: line)
    }
}
