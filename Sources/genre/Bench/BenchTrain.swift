import Basics
import ArgumentParser
import Engine
import Glibc
import Models

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training-step throughput of a network on random windows.",
        discussion: """
            One step is PyTorch's loop: forward in training mode, softmax cross-entropy, backward, \
            SGD with momentum 0.9, zero the gradients. Prints the median of the timed steps; \
            GFLOP/s counts 3 × 2 × the forward multiply-adds per window, and is also given as a \
            fraction of the ceiling: the engine's GEMM 1024³ on the same threads, timed right before \
            and right after (the faster of the two).
            """
    )

    @OptionGroup var options: BenchNetworkOptions
    @Option(help: "Timed steps (the median is printed).")
    var steps: Int = 8

    func validate() throws { try options.validate(steps: steps) }

    func run() throws {
        let threads = options.applyThreads()
        let network = Network(options.spec, seed: 0)
        let parameters = network.parameters(prefix: "")
        let optimizer = SGD(learningRate: 0.01, momentum: 0.9)
        let x = options.randomInput(batch: options.batch, seed: 1)
        var random = SeededRandom(seed: 2)
        let labels = (0..<options.batch).map { _ in Int(random.next() % UInt64(options.classes)) }
        var step: UInt64 = 0
        var lastLoss: Float = 0
        let ((times, memory), ceiling) = GemmCeiling.around(threads: threads) {
            let times = BenchTiming.times(warmup: options.warmup, steps: steps) {
                step += 1
                let tape = Tape(mode: .training, seed: step)
                let loss = tape.crossEntropy(network(x, tape), labels: labels)
                tape.backward(loss)
                optimizer.step(parameters)
                network.zeroGrad()
                lastLoss = loss.data[0]
            }
            return (times, PeakMemory.megabytes())
        }
        let seconds = BenchTiming.median(times)
        let samples = Double(options.batch) / seconds
        let gflops = 3 * 2 * Double(options.macsPerWindow) * Double(options.batch) / seconds / 1e9
        if options.json {
            BenchTiming.printJSON(options.jsonHeader(command: "train", threads: threads, steps: steps) + [
                ("samples_per_second", samples), ("ms_per_step", seconds * 1e3),
                ("gflops", gflops), ("ceiling_gflops", ceiling), ("fraction_of_ceiling", gflops / ceiling),
                ("peak_rss_mb", memory), ("loss", Double(lastLoss)),
            ])
        } else {
            print("training \(options.description), batch \(options.batch), \(BenchNetworkOptions.machine(threads: threads)), "
                + "SGD momentum 0.9, median of \(steps) steps after \(options.warmup) warm-up")
            print(String(cFormat: "%.1f samples/s  %.1f ms/step  %.1f GFLOP/s, ", samples, seconds * 1e3, gflops)
                + GemmCeiling.describe(fraction: gflops / ceiling, ceiling: ceiling, threads: threads)
                + String(cFormat: "  peak resident memory %.0f MB  (last loss %.3f)", memory, lastLoss))
        }
    }
}
