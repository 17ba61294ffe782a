import Basics
import Glibc

/// Recycles float buffers between training steps: a network asks for the same sizes every
/// step, and fresh large allocations cost page faults (the kernel zeroes every page).
/// Capacities are rounded to size classes (2^k · {1, 1.25, 1.5, 1.75}) so a smaller last
/// batch can reuse a larger buffer's slot; a class with no idle buffer borrows one of up to twice
/// its size before allocating, since each class peaks at a different moment of a training step
/// (MobileNetV2 training: 414 MB of buffers instead of 463 MB).
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    private let lock = Lock()
    private var freeLists: [Int: [UnsafeMutablePointer<Float>]] = [:]
    /// Buffers handed out for a smaller size class, by their own class.
    private var lent: [UnsafeMutablePointer<Float>: Int] = [:]

    /// A 64-byte aligned buffer of at least `count` floats, contents undefined.
    public func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let capacity = BufferPool.sizeClass(count)
        if let reused = lock.withLock({ () -> UnsafeMutablePointer<Float>? in
            if let exact = freeLists[capacity]?.popLast() { return exact }
            // An idle buffer of a larger class up to twice the size rather than a new one.
            var larger = BufferPool.sizeClass(capacity + 1)
            while larger <= 2 * capacity {
                if let spare = freeLists[larger]?.popLast() {
                    lent[spare] = larger
                    return spare
                }
                larger = BufferPool.sizeClass(larger + 1)
            }
            return nil
        }) { return reused }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }

    /// Returns a buffer obtained from `take(count)`.
    public func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let capacity = BufferPool.sizeClass(count)
        lock.withLock { freeLists[lent.removeValue(forKey: pointer) ?? capacity, default: []].append(pointer) }
    }

    /// Frees every idle buffer (after training, before inference).
    public func drain() {
        let idle = lock.withLock {
            defer { freeLists.removeAll() }
            return freeLists.values.flatMap { $0 }
        }
        for pointer in idle { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    static func sizeClass(_ count: Int) -> Int {
        if count <= 64 { return 64 }
        let top = Int.bitWidth - 1 - (count - 1).leadingZeroBitCount  // 2^top <= count-1
        let quarter = 1 << (top - 2)
        return ((count + quarter - 1) / quarter) * quarter
    }
}

/// Scratch memory for the duration of `body`: from this thread's `ScratchArena`, or from the
/// pool when it does not fit there. Contents undefined.
@inline(__always)
func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try ScratchArena.current.withTop(count) { top in
        if let top { return try body(top) }
        let pointer = BufferPool.shared.take(count)
        defer { BufferPool.shared.give(pointer, count: count) }
        return try body(pointer)
    }
}
