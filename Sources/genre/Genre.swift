import ArgumentParser
import Basics

@main
struct Genre: ParsableCommand {
    // Every command names itself: the default, the type's name through String(describing:), is a
    // protocol-conformance search through the whole binary, measurable at start-up.
    static let configuration = CommandConfiguration(
        commandName: "genre",
        abstract: "Music-genre classification: log-mel features and MobileNets in pure Swift.",
        version: "0.1.0",
        subcommands: [Info.self, FeaturesCommand.self, Summary.self, SynthCommand.self, Train.self, Eval.self, Predict.self, TagCommand.self, Bench.self]
    )

    /// Arguments decoded from their bytes without loss, so that a file whose name is not UTF-8
    /// still opens (`FileSystemBytes`; `CommandLine.arguments` would turn such bytes into U+FFFD).
    static func main() { main(Array(FileSystemBytes.arguments().dropFirst())) }
}
