import ArgumentParser
import Dispatch
import Engine
import Glibc
import Models

/// The network, input and timing options `genre bench train` and `genre bench infer` share.
struct BenchNetworkOptions: ParsableArguments {
    @Option(help: "mobilenet_v1, mobilenet_v2 or shufflenet_v1.")
    var arch: ModelSpec.Architecture = .mobilenetV2
    @Option(help: "Width multiplier α.")
    var width: Double = 1
    @Option(help: "Windows per step.")
    var batch: Int = 32
    @Option(help: "Input height×width (one channel).")
    var input: InputSize = InputSize(height: 128, width: 128)
    @Option(help: "Worker threads (default: every core).")
    var threads: Int?
    @Option(help: "Number of classes.")
    var classes: Int = 10
    @Option(help: "Untimed warm-up steps before the timed ones.")
    var warmup: Int = 2
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate(steps: Int) throws {
        guard width > 0 else { throw ValidationError("--width must be positive") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard classes > 1 else { throw ValidationError("--classes must be at least 2") }
        guard steps > 0 else { throw ValidationError("--steps must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        if let threads, threads < 1 { throw ValidationError("--threads must be positive") }
    }

    var spec: ModelSpec { ModelSpec(arch: arch, width: width, inChannels: 1, classes: classes) }

    /// Multiply-adds of one window's forward pass (convolutions and classifier).
    var macsPerWindow: Int { CostTable(spec: spec, height: input.height, width: input.width).totalMACs }

    /// Applies `--threads` and returns the count the kernels use.
    func applyThreads() -> Int {
        if let threads { Parallel.threadCount = threads }
        return Parallel.threadCount
    }

    /// A batch of standard-normal windows [n, H, W, 1], deterministic.
    func randomInput(batch n: Int, seed: UInt64) -> Tensor {
        var random = SeededRandom(seed: seed)
        return Tensor(shape: [n, input.height, input.width, 1],
                      values: (0..<n * input.height * input.width).map { _ in random.nextNormal() })
    }

    /// The JSON fields that say what was measured, and on which vector instructions (the same
    /// machine type comes with and without AVX-512, and `GENRE_SIMD=avx2` holds a run to AVX2).
    func jsonHeader(command: String, threads: Int, steps: Int) -> [(String, Any)] {
        [("command", command), ("arch", arch.rawValue), ("width", width), ("batch", batch),
         ("input", "\(input.height)x\(input.width)"), ("classes", classes), ("threads", threads), ("steps", steps),
         ("simd", InstructionSet.active.rawValue)]
    }

    /// "2 threads, AVX2" for the text header.
    static func machine(threads: Int) -> String {
        "\(threads) thread\(threads == 1 ? "" : "s"), \(InstructionSet.active == .avx512 ? "AVX-512" : "AVX2")"
    }

    var description: String {
        "\(arch.rawValue) α=\(width), \(classes) classes, input 1×\(input.height)×\(input.width)"
    }
}
