#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads straight into an array, where `[UInt8](Data(contentsOf:))` reads into a Data
/// and then copies it (one more pass over a 9 MB checkpoint, and its pages).
public enum FileBytes {
    /// The bytes of the file at `path`; a `FileError` (see `FileProblem`) when it cannot be read.
    public static func read(path: String) throws -> [UInt8] {
        func failure() -> FileError { FileError(path: path, problem: FileProblem.describe(path: path)) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw failure() }
        let size = Int(st.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while count < size {
                let n = Glibc.read(fd, buffer.baseAddress! + count, size - count)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    failed = n < 0
                    break
                }
                count += n
            }
        }
        // A file that shrank while it was read is read as far as it goes, as Data would.
        guard !failed else { throw failure() }
        return bytes
    }
}
