internal import CMappedReads
#if canImport(Glibc)
import Glibc
#endif

/// An open file read at any offset (`pread`), closed when the last reference goes.
public final class ReadOnlyFile: @unchecked Sendable {
    private let fd: Int32
    /// The size when it was opened.
    public let size: UInt64
    /// False for a folder, a device, a pipe… (whose reads fail or never end).
    public let isRegularFile: Bool

    /// Nil when the path cannot be opened; `errno` says why.
    public init?(path: String) {
        // Opened without blocking, so that a named pipe nobody writes to returns (as not a
        // regular file) instead of waiting for a writer; blocking again for the reads, which a
        // FUSE mount (sshfs, rclone) might otherwise answer with EAGAIN.
        let fd = FileSystem.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0 else {
            close(fd)
            return nil
        }
        (self.fd, size, isRegularFile) = (fd, UInt64(max(0, st.st_size)), (st.st_mode & S_IFMT) == S_IFREG)
    }

    deinit { close(fd) }

    /// Up to `count` bytes from `offset` (fewer at the end of the file); nil on a read error.
    public func read(at offset: UInt64, count: Int) -> [UInt8]? {
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: max(0, count)) { buffer, filled in
            while filled < count {
                let n = pread(fd, buffer.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    failed = n < 0
                    break
                }
                filled += n
            }
        }
        return failed ? nil : bytes
    }

    /// The whole file mapped read-only (`size` bytes; unmap with `munmap`), or nil with `errno`
    /// set. The mapping outlives this object. A later read that fails (the file cut short by
    /// another program, a disk error) ends the process with `failureMessage` (one line; the
    /// first mapping's message is the one kept) and exit status 1 instead of a crash.
    public func map(failureMessage: String) -> UnsafeMutableRawPointer? {
        genre_guard_mapped_reads(failureMessage + "\n")
        return mapped(size: Int(size))
    }

    /// The first `size` bytes mapped read-only, or nil with `errno` set.
    func mapped(size: Int) -> UnsafeMutableRawPointer? {
        guard size > 0, let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else { return nil }
        return address
    }
}
