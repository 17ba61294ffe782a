import Glibc

/// A read-only file held in memory, read through a decoder's I/O callbacks (libsndfile's virtual
/// I/O, libavformat's custom I/O), which reach it through their opaque user pointer.
final class MemoryBytes {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The instance behind a callback's opaque pointer (`Unmanaged.passUnretained(self).toOpaque()`).
    static func from(_ opaque: UnsafeMutableRawPointer?) -> MemoryBytes {
        Unmanaged<MemoryBytes>.fromOpaque(opaque!).takeUnretainedValue()
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    var remaining: Int { max(0, bytes.count - position) }

    /// Moves like `lseek` (SEEK_SET, SEEK_CUR, SEEK_END); nil for another `whence`, a target
    /// before the start, or one that overflows.
    func seek(_ offset: Int64, whence: Int32) -> Int? {
        let base: Int
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = bytes.count
        default: return nil
        }
        let (target, overflow) = base.addingReportingOverflow(Int(offset))
        guard !overflow, target >= 0 else { return nil }
        position = target
        return target
    }

    /// Copies up to `count` bytes from the position into `destination` and moves past them;
    /// returns how many (0 at or past the end).
    func read(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        let n = min(count, remaining)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }
}
