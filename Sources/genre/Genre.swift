import ArgumentParser

@main
struct Genre: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genre",
        abstract: "Music-genre classification: log-mel features and MobileNets in pure Swift.",
        version: "0.1.0",
        subcommands: [Info.self, FeaturesCommand.self, Summary.self, SynthCommand.self, Train.self, Eval.self, Predict.self, TagCommand.self, Bench.self]
    )
}
