import Glibc

/// Each thread's scratch memory for `withScratch`: one block taken from the top like a stack
/// (scratch is scoped, so it is given back in the reverse order). A kernel's threads all ask for
/// scratch at the start of a parallel region; through the buffer pool's one lock they queued
/// for it and slept in the kernel when it was held.
final class ScratchArena {
    /// Floats per thread (4 MB): the scratch a training GEMM nests (its packed B and A blocks)
    /// fits; larger or deeper requests go to the buffer pool.
    static let capacity = 1 << 20

    private let base: UnsafeMutablePointer<Float>
    private var used = 0

    private init() {
        base = UnsafeMutableRawPointer.allocate(byteCount: Self.capacity * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: Self.capacity)
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    /// This thread's arena, made on first use and freed when the thread ends.
    static var current: ScratchArena {
        if let arena = pthread_getspecific(key) { return Unmanaged<ScratchArena>.fromOpaque(arena).takeUnretainedValue() }
        let arena = ScratchArena()
        pthread_setspecific(key, Unmanaged.passRetained(arena).toOpaque())
        return arena
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { arena in
            if let arena { Unmanaged<ScratchArena>.fromOpaque(arena).release() }
        }
        return key
    }()

    /// `body` with `count` floats from the top of the arena (64-byte aligned), or nil there when
    /// they do not fit.
    @inline(__always)
    func withTop<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>?) throws -> R) rethrows -> R {
        let size = (count + 15) & ~15
        guard used + size <= Self.capacity else { return try body(nil) }
        let start = used
        used += size
        defer { used = start }
        return try body(base + start)
    }
}
