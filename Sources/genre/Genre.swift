import ArgumentParser
import Basics

@main
struct Genre: ParsableCommand {
    // Every command names itself: the default, the type's name through String(describing:), is a
    // protocol-conformance search through the whole binary, measurable at start-up.
    private static let plain = CommandConfiguration(
        commandName: "genre",
        abstract: "Music-genre classification: log-mel features and MobileNets in pure Swift.",
        version: "0.1.0",
        subcommands: [Info.self, FeaturesCommand.self, Summary.self, SynthCommand.self, Train.self, Eval.self, Predict.self, TagCommand.self, Bench.self]
    )

    /// The same under a super-command's name, for which ArgumentParser skips its look for
    /// `--generate-completion-script`: two more parses of the arguments, as two other commands
    /// by reflection (70 % of its time in `genre --version`). Help, usage and error messages
    /// would put that name before "genre", so this stands only while arguments that ask for no
    /// completion are parsed; the messages are written after, from `plain`.
    private static let skippingCompletionCheck = {
        var configuration = plain
        configuration._superCommandName = "genre"
        return configuration
    }()

    nonisolated(unsafe) private static var parsingWithoutCompletion = false

    static var configuration: CommandConfiguration { parsingWithoutCompletion ? skippingCompletionCheck : plain }

    /// Arguments decoded from their bytes without loss, so that a file whose name is not UTF-8
    /// still opens (`FileSystemBytes`; `CommandLine.arguments` would turn such bytes into U+FFFD).
    static func main() {
        let arguments = Array(FileSystemBytes.arguments().dropFirst())
        parsingWithoutCompletion = !arguments.contains { $0.hasPrefix("--generate-completion-script") || $0 == "---completion" }
        let parsed = Result { try parseAsRoot(arguments) }
        parsingWithoutCompletion = false
        do {
            var command = try parsed.get()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
