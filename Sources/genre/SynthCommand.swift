import Basics
import ArgumentParser
import FoundationEssentials
import Glibc
import Synth

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Render the built-in demo data set: procedurally generated music, one folder per genre.",
        discussion: "Genres: \(GenreStyle.names.joined(separator: ", ")). The same seed gives byte-identical files."
    )

    @Argument(help: "Output folder (created; one sub-folder per genre).")
    var folder: String
    @Option(help: "Clips per genre.")
    var clipsPerGenre = DemoDataSet.Parameters().clipsPerGenre
    @Option(help: "Seconds per clip.")
    var seconds = 8.0
    @Option(help: "Random seed.")
    var seed: UInt64 = 1
    @Option(help: "Comma-separated genres (default: all).")
    var genres: String?
    @Flag(help: "Write into a non-empty folder that 'genre synth' did not make.")
    var force = false

    func run() throws {
        try reportingErrors {
            var parameters = DemoDataSet.Parameters(clipsPerGenre: clipsPerGenre, seconds: seconds, seed: seed)
            if let genres { parameters.genres = genres.split(separator: ",").map { $0.trimmingWhitespace() } }
            let started = Date()
            let interactive = StandardError.isTerminal
            let paths = try DemoDataSet.synthesize(to: folder, parameters: parameters, force: force) { done, total in
                // A live counter on a terminal; about ten lines in a log.
                guard interactive || done == total || done % max(1, total / 10) == 0 else { return }
                let line = "synth: \(done)/\(total) clips"
                StandardError.write(interactive ? "\r" + line + (done == total ? "\n" : "") : line + "\n")
            }
            StandardOutput.print("\(folder): \(paths.count) clips (\(parameters.genres.count) genres × \(clipsPerGenre), "
                + "\(String(cFormat: "%g", seconds)) s, seed \(seed)) in \(String(cFormat: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }
}
