import Basics
import ArgumentParser
import Dispatch
import Engine

struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "GFLOP/s of the engine's GEMM, pointwise and depthwise kernels, and the memory's streaming rate."
    )

    @Option(help: "Timed repetitions (the best is printed).")
    var repeats: Int = 5

    @Option(help: "Threads for the convolution benchmarks (GEMM runs on 1 and 2).")
    var threads: Int = 2

    func run() throws {
        var random = SeededRandom(seed: 1)
        for threads in [1, 2] {
            report("GEMM 1024×1024×1024, \(threads) thread\(threads == 1 ? "" : "s")", flops: GemmCeiling.flops,
                   seconds: GemmCeiling.seconds(threads: threads, repeats: repeats))
        }

        for threads in [1, 2] {
            let rates = MemoryStream.rates(threads: threads, repeats: repeats)
            BenchTiming.row("memory, \(MemoryStream.floatsPerThread * 4 / (1 << 20)) MB a thread, \(threads) thread\(threads == 1 ? "" : "s"): read, copy",
                            String(cFormat: "%7.1f GB/s %7.1f GB/s", rates.read / 1e9, rates.copy / 1e9))
        }

        Parallel.threadCount = threads
        for (channels, outputs) in [(96, 24), (24, 144)] {
            convolution("pointwise [32, 32, 32, \(channels)]→\(outputs)", input: [32, 32, 32, channels],
                        weight: [1, 1, channels, outputs], stride: 1, padding: 0, groups: 1, &random)
        }
        for stride in [1, 2] {
            convolution("depthwise 3×3 [32, 64, 64, 96] stride \(stride)", input: [32, 64, 64, 96],
                        weight: [3, 3, 1, 96], stride: stride, padding: 1, groups: 96, &random)
        }
    }

    /// Forward alone, then forward + backward (input and weight gradients, 3× the forward FLOPs).
    private func convolution(_ label: String, input: [Int], weight: [Int], stride: Int, padding: Int, groups: Int,
                             _ random: inout SeededRandom) {
        let x = randomTensor(input, &random, requiresGrad: true), w = randomTensor(weight, &random, requiresGrad: true)
        let geometry = ConvolutionGeometry(batch: input[0], height: input[1], width: input[2], inChannels: input[3],
                                           outChannels: weight[3], kernel: weight[0], stride: stride, padding: padding, groups: groups)
        let upstream = randomTensor(geometry.outputShape, &random)
        let forwardFlops = 2 * Double(geometry.macs)
        let forward = best { _ = Tape(mode: .evaluation).conv2d(x, w, stride: stride, padding: padding, groups: groups) }
        report("\(label), forward, \(threads) threads", flops: forwardFlops, seconds: forward)
        let both = best {
            let tape = Tape(mode: .training)
            tape.backward(tape.conv2d(x, w, stride: stride, padding: padding, groups: groups), gradient: upstream)
        }
        report("\(label), forward+backward, \(threads) threads", flops: 3 * forwardFlops, seconds: both)
    }

    private func randomTensor(_ shape: [Int], _ random: inout SeededRandom, requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() }, requiresGrad: requiresGrad)
    }

    private func report(_ label: String, flops: Double, seconds: Double) {
        BenchTiming.row(label, String(cFormat: "%9.2f ms %8.1f GFLOP/s", seconds * 1e3, flops / seconds / 1e9))
    }

    /// The fastest of `repeats` runs after a warm-up.
    private func best(_ body: () -> Void) -> Double { BenchTiming.times(steps: repeats, body).min()! }
}
