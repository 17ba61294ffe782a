import Basics
import ArgumentParser
import Distributed
import Engine
import FoundationEssentials
import Glibc
import GenreKit
import Models

struct BenchAllreduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Gradient allreduce time per model, and the data-parallel step-time model.",
        discussion: """
            Run it under mpirun (mpirun -np 2 genre bench allreduce) to measure MPI between those \
            processes; alone it measures only the packing into buckets. For MobileNetV1, V2 and \
            ShuffleNet at width 1 it averages float32 gradients of each model's size as training does \
            (4 MB buckets) and prints the median time, then models a step on N machines as \
            compute/N + ring allreduce, 2(N−1)/N · bytes / bandwidth + 2(N−1) · latency per bucket, \
            at 10 and 25 Gb/s. The compute time is one training step of --batch windows measured here \
            on the cores rank 0 may use (mpirun binds ranks to cores: add --bind-to none to time \
            the whole machine).
            """
    )

    @Option(help: "Timed allreduces per model (the median is printed).")
    var steps: Int = 10
    @Option(help: "Global batch of the modelled step.")
    var batch: Int = 32
    @Option(help: "Input height×width (one channel).")
    var input: InputSize = InputSize(height: 128, width: 128)
    @Option(help: "Timed training steps for the compute time (0 skips it and the model).")
    var computeSteps: Int = 2
    @Option(help: "Latency of one message between machines in the model, microseconds.")
    var latency: Double = 20
    @Option(help: "Largest N modelled.")
    var machines: Int = 64

    func validate() throws {
        guard steps > 0, batch > 0, computeSteps >= 0, latency >= 0, machines >= 2 else {
            throw ValidationError("--steps and --batch must be positive, --compute-steps and --latency not negative, --machines at least 2")
        }
    }

    func run() throws {
        let mpi = try reportingErrors { try MPIGroup.join() }
        let group: any ProcessGroup = mpi ?? SoloGroup()
        defer { mpi?.finalize() }
        let parallel = DataParallel(group: group, synchronizeBatchNorm: false)
        let writer = group.rank == 0
        func say(_ line: String) { if writer { print(line) } }
        Parallel.threadCount = mpi?.workerThreads ?? Parallel.processorCount
        // Rank 0 times the compute alone, on the cores it may use (all of them with --bind-to none).
        let cores = MPIGroup.availableCores

        let archs: [ModelSpec.Architecture] = [.mobilenetV1, .mobilenetV2, .shufflenetV1]
        let transport = mpi == nil ? "1 process, no MPI: packing into buckets only"
            : "\(group.size) processes on \(group.size / group.localSize == 1 ? "one machine" : "\(group.size / group.localSize) machines") (\(MPIGroup.libraryVersion))"
        say("gradient allreduce, float32, \(transport); median of \(steps)")
        say("model".padded(to: 16) + "parameters        MB  buckets  allreduce ms")
        var rows: [(ModelSpec.Architecture, Int, Int, Double)] = []
        for arch in archs {
            let network = Network(ModelSpec(arch: arch, width: 1, inChannels: 1, classes: 10), seed: 0)
            let gradients = network.parameters(prefix: "").map { named -> Tensor in
                let tensor = Tensor(uninitialized: named.parameter.value.shape)
                tensor.fill(1)
                return tensor
            }
            let counts = gradients.map(\.count)
            let elements = counts.reduce(0, +)
            let buckets = DataParallel.collectives(for: counts, bucketCount: parallel.bucketCount)
            parallel.average(gradients)  // warm-up
            var times: [Double] = []
            for _ in 0..<steps {
                group.barrier()
                let start = Date()
                parallel.average(gradients)
                times.append(Date().timeIntervalSince(start))
            }
            // The slowest process's median.
            var median = [BenchTiming.median(times)]
            median.withUnsafeMutableBufferPointer { group.maximum($0) }
            rows.append((arch, elements, buckets, median[0]))
            say(arch.rawValue.padded(to: 16)
                + String(cFormat: "%10d  %8.1f  %7d  %12.2f", elements, Double(elements * 4) / 1e6, buckets, median[0] * 1e3))
        }
        guard computeSteps > 0 else { return }

        // Compute: one training step of the global batch on every core, on rank 0 alone.
        // The others wait in the barrier, which sleeps rather than spins.
        var computes = [Double](repeating: 0, count: archs.count)
        group.barrier()
        if writer {
            Parallel.threadCount = cores
            for (i, arch) in archs.enumerated() { computes[i] = stepSeconds(arch) }
        }
        group.barrier()
        computes.withUnsafeMutableBufferPointer { group.sum($0) }
        say("")
        say("step time on N machines = compute/N + ring allreduce (2(N−1)/N · bytes / bandwidth + 2(N−1) · \(Int(latency)) µs per bucket);")
        say("compute = one step of batch \(batch) at 1×\(input.height)×\(input.width) on \(cores) core\(cores == 1 ? "" : "s") of this machine")
        for (i, (arch, elements, buckets, _)) in rows.enumerated() {
            let compute = computes[i]
            say("")
            say("\(arch.rawValue): compute \(String(cFormat: "%.0f", compute * 1e3)) ms, \(String(cFormat: "%.1f", Double(elements * 4) / 1e6)) MB of gradients")
            say("   N  compute/N ms |  10 Gb/s: allreduce ms  step ms  speedup |  25 Gb/s: allreduce ms  step ms  speedup")
            var n = 2
            while n <= machines {
                var line = String(cFormat: "%4d  %11.1f", n, compute / Double(n) * 1e3)
                for gigabits in [10.0, 25.0] {
                    let allreduce = ringAllreduce(bytes: Double(elements * 4), machines: n, bitsPerSecond: gigabits * 1e9, buckets: buckets)
                    let step = compute / Double(n) + allreduce
                    line += String(cFormat: " | %21.1f  %7.1f  %7.1f", allreduce * 1e3, step * 1e3, compute / step)
                }
                say(line)
                n *= 2
            }
        }
    }

    /// Seconds of a ring allreduce of `bytes` over `machines` at `bitsPerSecond`.
    private func ringAllreduce(bytes: Double, machines n: Int, bitsPerSecond: Double, buckets: Int) -> Double {
        2 * Double(n - 1) / Double(n) * bytes * 8 / bitsPerSecond + 2 * Double(n - 1) * latency * 1e-6 * Double(buckets)
    }

    /// Median seconds of one training step (forward, loss, backward, SGD) at `batch`.
    private func stepSeconds(_ arch: ModelSpec.Architecture) -> Double {
        let network = Network(ModelSpec(arch: arch, width: 1, inChannels: 1, classes: 10), seed: 0)
        let parameters = network.parameters(prefix: "")
        let optimizer = SGD(learningRate: 0.01, momentum: 0.9)
        var random = SeededRandom(seed: 1)
        let x = Tensor(shape: [batch, input.height, input.width, 1], values: (0..<batch * input.height * input.width).map { _ in random.nextNormal() })
        let labels = (0..<batch).map { _ in Int(random.next() % 10) }
        let times = BenchTiming.times(warmup: 1, steps: computeSteps) {
            let tape = Tape(mode: .training, seed: 1)
            tape.backward(tape.crossEntropy(network(x, tape), labels: labels))
            optimizer.step(parameters)
            network.zeroGrad()
        }
        return BenchTiming.median(times)
    }
}

/// One process alone: sums are the values themselves.
private final class SoloGroup: ProcessGroup {
    let rank = 0, size = 1, localRank = 0, localSize = 1
    func sum(_ values: UnsafeMutableBufferPointer<Float>) {}
    func sum(_ values: UnsafeMutableBufferPointer<Double>) {}
    func maximum(_ values: UnsafeMutableBufferPointer<Double>) {}
    func minimum(_ values: UnsafeMutableBufferPointer<Double>) {}
    func barrier() {}
}
