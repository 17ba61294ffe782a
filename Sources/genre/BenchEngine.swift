import ArgumentParser
import Dispatch
import Engine

struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "GFLOP/s of the engine's GEMM, pointwise and depthwise kernels."
    )

    @Option(help: "Timed repetitions (the best is printed).")
    var repeats: Int = 5

    func run() throws {
        let threadCounts = [1, 2]
        for threads in threadCounts {
            Parallel.threadCount = threads
            let size = 1024
            let a = Tensor(uninitialized: [size, size]), b = Tensor(uninitialized: [size, size]), c = Tensor(uninitialized: [size, size])
            a.fill(0.5); b.fill(0.25)
            let seconds = best {
                Gemm.multiply(m: size, n: size, k: size, a: MatrixView(a.data, rowStride: size), b: MatrixView(b.data, rowStride: size),
                              c: c.data, ldc: size, accumulate: false)
            }
            report("GEMM 1024×1024×1024, \(threads) thread\(threads == 1 ? "" : "s")", flops: 2 * Double(size * size * size), seconds: seconds)
        }
    }

    private func report(_ label: String, flops: Double, seconds: Double) {
        let padded = label.padding(toLength: max(label.count, 60), withPad: " ", startingAt: 0)
        print(padded + String(format: " %9.2f ms %8.1f GFLOP/s", seconds * 1e3, flops / seconds / 1e9))
    }

    private func best(_ body: () -> Void) -> Double {
        body()  // warm-up: buffer pool, caches
        var fastest = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now()
            body()
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }
        return fastest
    }
}
