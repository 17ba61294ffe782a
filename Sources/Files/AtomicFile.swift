import Basics
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Writes whole files so that readers see the old file or the new one, never a partial one:
/// a temporary file in the same folder, fsync, then rename over the destination.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write(UnsafeRawBufferPointer($0), to: path) }
    }

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        try write(parts: [bytes], to: path)
    }

    /// `bytes` staged beside `path`: written and flushed, put in place by `commit()`.
    public static func stage(_ bytes: [UInt8], to path: String) throws -> Staged {
        try bytes.withUnsafeBytes { try Staged(parts: [$0], to: path) }
    }

    /// Writes the concatenation of `parts`, so large payloads need not be copied into one buffer.
    public static func write(parts: [UnsafeRawBufferPointer], to path: String) throws {
        try Staged(parts: parts, to: path).commit()
    }

    /// A file written and flushed under a temporary name beside `path`, put in place by
    /// `commit()` and removed if it never is. A command with several outputs stages them all
    /// before committing any, so a failure leaves none of them half-made or alone.
    public final class Staged {
        public let path: String
        private let temporary: String
        private var committed = false

        public init(parts: [UnsafeRawBufferPointer], to path: String) throws {
            self.path = path
            temporary = Path.join(Path.parent(path), "." + Path.lastComponent(path) + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            let fd = FileSystem.open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else { throw FileError(path: path, problem: "cannot create file (\(String(cString: strerror(errno))))") }
            var ok = false
            defer { if !ok { FileSystem.unlink(temporary) } }
            for bytes in parts where bytes.count > 0 {
                var written = 0
                while written < bytes.count {
                    let n = systemWrite(fd, bytes.baseAddress! + written, bytes.count - written)
                    if n < 0 {
                        if errno == EINTR { continue }
                        let reason = String(cString: strerror(errno))
                        close(fd)
                        throw FileError(path: path, problem: "write failed (\(reason))")
                    }
                    written += n
                }
            }
            guard fsync(fd) == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw FileError(path: path, problem: "cannot flush file (\(reason))")
            }
            guard close(fd) == 0 else {
                throw FileError(path: path, problem: "cannot flush file (\(String(cString: strerror(errno))))")
            }
            ok = true
        }

        /// Renames the flushed copy over `path` and flushes the folder, so the rename is durable.
        public func commit() throws {
            guard FileSystem.rename(temporary, path) == 0 else {
                throw FileError(path: path, problem: "cannot replace file (\(String(cString: strerror(errno))))")
            }
            committed = true
            let folder = Path.parent(path)
            let dir = FileSystem.open(folder.isEmpty ? "." : folder, O_RDONLY)
            if dir >= 0 { fsync(dir); close(dir) }
        }

        deinit { if !committed { FileSystem.unlink(temporary) } }
    }
}
