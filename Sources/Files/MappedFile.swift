internal import CMappedReads
#if canImport(Glibc)
import Glibc
#endif

/// A whole regular file mapped read-only, unmapped when the last reference goes: its pages
/// come from the page cache as they are read, where reading it into memory would copy it into
/// fresh zeroed pages (for a 9 MB checkpoint, 2 200 page faults and a copy: 8 ms of a
/// `genre predict`). A read that fails all the same (the file cut short in place by another
/// program, a disk error) ends the process with `failureMessage`, one line, and exit status 1
/// instead of a crash; programs that replace files by renaming, as genre does, are safe.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer

    /// Nil when the file is empty or cannot be mapped (`errno` says why).
    public init?(_ file: ReadOnlyFile, failureMessage: String) {
        let size = Int(file.size)
        guard file.isRegularFile, size > 0, let address = file.mapped(size: size) else { return nil }
        genre_guard_mapped_range(address, size, failureMessage + "\n")
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        genre_unguard_mapped_range(bytes.baseAddress)
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}
