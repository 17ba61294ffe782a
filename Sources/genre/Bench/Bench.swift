import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Throughput figures for this machine (use a release build).",
        subcommands: [BenchFeatures.self, BenchEngine.self, BenchTrain.self, BenchInfer.self, BenchPredict.self, BenchAllreduce.self]
    )
}
