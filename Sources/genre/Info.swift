import Basics
import ArgumentParser
import Audio
import Glibc

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print an audio file's format, rate, channels and duration.")

    @Argument(help: "Audio files ('-': standard input).")
    var files: [String]

    func run() throws {
        var failed = false
        for path in files {
            do {
                let info = try AudioInfo(source: AudioSource.named(path))
                StandardOutput.print("\(path): \(info.format), \(info.sampleRate) Hz, \(info.channels) channel\(info.channels == 1 ? "" : "s"), "
                    + "\(String(cFormat: "%.3f", info.duration)) s (\(info.frames) frames)")
            } catch {
                _ = fail(String(describing: error))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
