import Basics
import ArgumentParser
import Engine
import Glibc
import Models

struct BenchInfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Inference throughput (batch) and single-window latency of a network.",
        discussion: """
            Forward passes in evaluation mode (running batch-norm statistics, no dropout, nothing \
            recorded; a batch runs a few windows at a time so activations stay in cache, as in \
            genre predict). Prints the median of the timed batches and of the timed single windows; \
            GFLOP/s counts 2 × the forward multiply-adds per window, and is also given as a \
            fraction of the ceiling: the engine's GEMM 1024³ on the same threads, timed right before \
            and right after (the faster of the two).
            """
    )

    @OptionGroup var options: BenchNetworkOptions
    @Option(help: "Timed batches (the median is printed).")
    var steps: Int = 10
    @Option(name: .customLong("single-steps"), help: "Timed single-window passes (the median is printed).")
    var singleSteps: Int = 40

    func validate() throws {
        try options.validate(steps: steps)
        guard singleSteps > 0 else { throw ValidationError("--single-steps must be positive") }
    }

    func run() throws {
        let threads = options.applyThreads()
        let network = Network(options.spec, seed: 0)
        let x = options.randomInput(batch: options.batch, seed: 1)
        let one = options.randomInput(batch: 1, seed: 3)
        var checksum: Float = 0
        // As a `Predictor` runs once past its first windows: the 1×1 weights packed on first use.
        let packedWeights = PackedWeights()
        func forward(_ input: Tensor) {
            let logits = network.infer(input, packedWeights: packedWeights)
            checksum += logits.data[0]
        }
        let ((batchSeconds, singleSeconds, memory), ceiling) = GemmCeiling.around(threads: threads) {
            (BenchTiming.median(BenchTiming.times(warmup: options.warmup, steps: steps) { forward(x) }),
             BenchTiming.median(BenchTiming.times(warmup: max(3, options.warmup), steps: singleSteps) { forward(one) }),
             PeakMemory.megabytes())
        }
        let samples = Double(options.batch) / batchSeconds
        let flopsPerWindow = 2 * Double(options.macsPerWindow)
        let gflops = flopsPerWindow * Double(options.batch) / batchSeconds / 1e9
        let singleGflops = flopsPerWindow / singleSeconds / 1e9
        if options.json {
            BenchTiming.printJSON(options.jsonHeader(command: "infer", threads: threads, steps: steps) + [
                ("samples_per_second", samples), ("ms_per_step", batchSeconds * 1e3),
                ("gflops", gflops), ("ceiling_gflops", ceiling), ("fraction_of_ceiling", gflops / ceiling),
                ("single_ms", singleSeconds * 1e3), ("single_gflops", singleGflops), ("single_fraction_of_ceiling", singleGflops / ceiling),
                ("peak_rss_mb", memory),
            ])
        } else {
            print("inference \(options.description), \(BenchNetworkOptions.machine(threads: threads)), "
                + "median of \(steps) batches and \(singleSteps) single windows after warm-up")
            let share = { (rate: Double) in GemmCeiling.describe(fraction: rate / ceiling, ceiling: ceiling, threads: threads) }
            print(String(cFormat: "batch %d: %.1f samples/s  %.2f ms/step  %.1f GFLOP/s, ", options.batch, samples, batchSeconds * 1e3, gflops)
                + share(gflops))
            print(String(cFormat: "1 window: %.2f ms  %.1f GFLOP/s, ", singleSeconds * 1e3, singleGflops) + share(singleGflops))
            print(String(cFormat: "peak resident memory %.0f MB", memory))
        }
        if !checksum.isFinite { throw fail("inference produced non-finite logits") }
    }
}
