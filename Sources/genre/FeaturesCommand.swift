import Basics
import ArgumentParser
import Audio
import Features
import Files
import FoundationEssentials
import Glibc

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute the log-mel spectrogram the network sees.",
        discussion: "Writes float32 [n_mels, frames] in dB as a NumPy .npy file and, with --png, an image of it."
    )

    @Argument(help: "An audio file ('-': standard input, with -o).")
    var file: String
    @Option(name: .shortAndLong, help: "Output .npy file (default: the input's name with .npy, in the current folder).")
    var output: String?
    @Option(help: "Also write a PNG image of the spectrogram.")
    var png: String?
    @OptionGroup var features: FeatureOptions

    func validate() throws {
        if file == AudioSource.standardInputPath && output == nil { throw ValidationError("standard input ('-') needs -o FILE.npy") }
    }

    func run() throws {
        MemoryReuse.keepFreedMemory()
        let npyPath = output ?? Path.stem(file) + ".npy"
        try reportingErrors {
            let spectrogram = try LogMel(features.parameters).compute(source: AudioSource.named(file))
            // Both outputs or neither: a bad --png path leaves no .npy behind.
            let staged = [try NpyWriter.stage(spectrogram, to: npyPath)]
                + (try png.map { [try AtomicFile.stage(SpectrogramImage.png(spectrogram), to: $0)] } ?? [])
            for file in staged { try file.commit() }
            let seconds = Double(spectrogram.frames - 1) * Double(features.hopLength) / Double(features.sampleRate)
            let (minimum, maximum) = spectrogram.extremes
            StandardOutput.print("\(npyPath): [\(spectrogram.nMels), \(spectrogram.frames)] log-mel, \(String(cFormat: "%.1f", seconds)) s, "
                + "\(String(cFormat: "%.1f", minimum))…\(String(cFormat: "%.1f", maximum)) dB"
                + (png.map { ", image \($0)" } ?? ""))
        }
    }
}
