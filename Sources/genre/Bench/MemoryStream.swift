import Basics
import Engine

/// How fast the threads stream memory between them: the rate that bounds a training step's
/// batch-norm passes (they read and write activations far larger than the caches), as the GEMM
/// ceiling bounds its products. 48 MB a thread, so no cache holds it.
enum MemoryStream {
    static let floatsPerThread = 12 << 20

    /// Bytes a second read (summed, 8 lanes at a time) and copied (counting the read and the
    /// write), the fastest of `repeats` runs on `threads` threads; the thread count is restored.
    static func rates(threads: Int, repeats: Int = 5) -> (read: Double, copy: Double) {
        let previous = Parallel.threadCount
        defer { Parallel.threadCount = previous }
        Parallel.threadCount = threads
        let count = threads * floatsPerThread
        let source = Tensor(shape: [count], values: [Float](repeating: 1, count: count))
        let target = Tensor(shape: [count], values: [Float](repeating: 0, count: count))
        let (from, to) = (UncheckedSendable(UnsafePointer(source.data)), UncheckedSendable(target.data))
        let read = BenchTiming.times(steps: repeats) {
            Parallel.forEach(count, granularity: 1024) { range in
                // Four sums in flight, so the adds do not wait on each other (ranges are whole 1024s).
                var (a, b, c, d) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                for i in stride(from: range.lowerBound, to: range.upperBound, by: 32) {
                    let p = UnsafeRawPointer(from.value + i)
                    a += p.load(as: SIMD8<Float>.self)
                    b += p.load(fromByteOffset: 32, as: SIMD8<Float>.self)
                    c += p.load(fromByteOffset: 64, as: SIMD8<Float>.self)
                    d += p.load(fromByteOffset: 96, as: SIMD8<Float>.self)
                }
                // Kept, so the loads are.
                to.value[range.lowerBound] = (a + b + c + d).sum()
            }
        }.min()!
        let copy = BenchTiming.times(steps: repeats) {
            Parallel.forEach(count, granularity: 1024) { range in
                (to.value + range.lowerBound).update(from: from.value + range.lowerBound, count: range.count)
            }
        }.min()!
        let bytes = Double(count * MemoryLayout<Float>.stride)
        return (bytes / read, 2 * bytes / copy)
    }
}
