import Basics
import Engine

/// The engine's GEMM at 1024×1024×1024, timed as `genre bench engine` times it (the fastest of a
/// few runs after a warm-up): the rate the kernels reach on this machine at a thread count, the
/// ceiling `genre bench train` and `genre bench infer` compare their effective GFLOP/s with.
enum GemmCeiling {
    static let size = 1024
    static var flops: Double { 2 * Double(size * size * size) }

    /// Seconds of the fastest of `repeats` runs on `threads` threads; the thread count is restored.
    static func seconds(threads: Int, repeats: Int = 5) -> Double {
        let previous = Parallel.threadCount
        defer { Parallel.threadCount = previous }
        Parallel.threadCount = threads
        var random = SeededRandom(seed: 1)
        func matrix() -> Tensor { Tensor(shape: [size, size], values: (0..<size * size).map { _ in random.nextNormal() }) }
        let a = matrix(), b = matrix(), c = Tensor(uninitialized: [size, size])
        return BenchTiming.times(steps: repeats) {
            Gemm.multiply(m: size, n: size, k: size, a: MatrixView(a.data, rowStride: size), b: MatrixView(b.data, rowStride: size),
                          c: c.data, ldc: size, accumulate: false)
        }.min()!
    }

    static func gflops(threads: Int, repeats: Int = 5) -> Double { flops / seconds(threads: threads, repeats: repeats) / 1e9 }

    /// Runs `workload` between two timings of the ceiling and returns its result with the faster
    /// of the two: on a shared machine, another job's burst during a single timing lowered the
    /// ceiling and inflated the fraction (one round printed 110 %). The first timing's matrices
    /// go back to the system before the workload, so its peak memory is its own.
    static func around<Result>(threads: Int, _ workload: () throws -> Result) rethrows -> (result: Result, gflops: Double) {
        let before = gflops(threads: threads)
        BufferPool.shared.drain()
        let result = try workload()
        return (result, max(before, gflops(threads: threads)))
    }

    /// "31 % of the 2-thread GEMM ceiling (452.0 GFLOP/s)".
    static func describe(fraction: Double, ceiling: Double, threads: Int) -> String {
        String(cFormat: "%.0f %% of the %d-thread GEMM ceiling (%.1f GFLOP/s)", fraction * 100, threads, ceiling)
    }
}
