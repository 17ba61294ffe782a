import Basics
import ArgumentParser
import Audio
import Dispatch
import Engine
import Features
import Files
import FoundationEssentials
import GenreKit
import Glibc
import Synchronization

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute the log-mel spectrogram the network sees.",
        discussion: """
            Writes float32 [n_mels, frames] in dB as a NumPy .npy file and, with --png, an image of it. \
            Several files, a folder or a playlist are written under the -o folder, in parallel: each \
            file's path relative to its folder argument (a file argument's name) with .npy. Exit \
            status: 0 when every file was written, 2 when some failed, 64 for bad options.
            """
    )

    @Argument(help: "Audio files, folders or playlists ('-': one file read from standard input, with -o).")
    var files: [String]
    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Output .npy file for one file (default: the input's name with .npy, in the current folder); the output folder for several.",
        valueName: "output"))
    var output: String?
    @Option(help: "Also write a PNG image of the spectrogram (one file only).")
    var png: String?
    @Option(help: "Threads for several files (default: every core).")
    var threads: Int?
    @OptionGroup var features: FeatureOptions

    /// Several files, a folder or a playlist: written under the -o folder. A folder given with a
    /// .npy or --png output is taken for one file, and refused as a directory.
    private var isBatch: Bool {
        guard let first = files.first, files.count == 1 else { return true }
        let oneFileOutput = png != nil || output.map { Path.fileExtension($0).lowercased() == "npy" } ?? false
        return Playlist.isPlaylist(first) || (FileSystem.isDirectory(first) && !oneFileOutput)
    }

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give an audio file, or files, folders or playlists with -o FOLDER") }
        if files.contains(AudioSource.standardInputPath) {
            guard files.count == 1 else { throw ValidationError("'-' (standard input) is one file: give it alone") }
            if output == nil { throw ValidationError("standard input ('-') needs -o FILE.npy") }
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if isBatch {
            if output == nil { throw ValidationError("several files, a folder or a playlist need -o FOLDER") }
            if png != nil { throw ValidationError("--png is for one file") }
        }
    }

    func run() throws {
        MemoryReuse.keepFreedMemory()
        if isBatch { return try batch(into: output!) }
        let file = files[0]
        let npyPath = output ?? Path.stem(file) + ".npy"
        try reportingErrors {
            let spectrogram = try LogMel(features.parameters).compute(source: AudioSource.named(file))
            // Both outputs or neither: a bad --png path leaves no .npy behind.
            let staged = [try NpyWriter.stage(spectrogram, to: npyPath)]
                + (try png.map { [try AtomicFile.stage(SpectrogramImage.png(spectrogram), to: $0)] } ?? [])
            for file in staged { try file.commit() }
            StandardOutput.print(describe(spectrogram, npyPath) + (png.map { ", image \($0)" } ?? ""))
        }
    }

    /// "out.npy: [128, 1293] log-mel, 30.0 s, -62.1…21.9 dB"
    private func describe(_ spectrogram: Spectrogram, _ npyPath: String) -> String {
        let seconds = Double(spectrogram.frames - 1) * Double(features.hopLength) / Double(features.sampleRate)
        let (minimum, maximum) = spectrogram.extremes
        return "\(npyPath): [\(spectrogram.nMels), \(spectrogram.frames)] log-mel, \(String(cFormat: "%.1f", seconds)) s, "
            + "\(String(cFormat: "%.1f", minimum))…\(String(cFormat: "%.1f", maximum)) dB"
    }

    /// Every file of the arguments to `folder`, on every core: a line per file written, an error
    /// line per file that failed, and a summary on stderr.
    private func batch(into folder: String) throws {
        let inputs = try reportingErrors { try FileList.expand(files) }
        guard !inputs.isEmpty else { throw fail("no audio files in \(files.joined(separator: ", "))") }
        // A file's place under the folder: its path relative to the folder argument it was found
        // in; a file named directly (or a playlist entry reaching outside) keeps only its name.
        var firstInput: [String: String] = [:]
        let jobs = inputs.map { input -> (input: String, output: String, clash: String?) in
            let outside = input.key == input.path || input.key.hasPrefix("/") || input.key.split(separator: "/").contains("..")
            let relative = outside ? Path.lastComponent(input.path) : input.key
            let target = Path.join(folder, Path.join(Path.parent(relative), Path.stem(relative) + ".npy"))
            defer { if firstInput[target] == nil { firstInput[target] = input.path } }
            return (input.path, target, firstInput[target])
        }
        let parameters = features.parameters
        let tally = Tally()
        let next = Atomic<Int>(0)
        let workers = max(1, min(threads ?? Parallel.processorCount, jobs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let logMel = LogMel(parameters)
            while case let index = next.add(1, ordering: .relaxed).oldValue, index < jobs.count {
                let job = jobs[index]
                do {
                    if let clash = job.clash { throw FileError(path: job.input, problem: "would overwrite \(job.output), written for \(clash)") }
                    let spectrogram = try logMel.compute(source: .file(job.input))
                    try FileSystem.createFolder(Path.parent(job.output))
                    try NpyWriter.write(spectrogram, to: job.output)
                    tally.written(describe(spectrogram, job.output))
                } catch {
                    tally.failed("genre: error: \(error)")
                }
            }
        }
        let failed = tally.failures
        StandardError.write("\(jobs.count) file\(jobs.count == 1 ? "" : "s"): \(jobs.count - failed) written, \(failed) failed\n")
        if failed > 0 { throw ExitCode(2) }
    }
}

/// The lines of a batch's workers, one at a time, and its failures.
private final class Tally: @unchecked Sendable {
    private let lock = Lock()
    private(set) var failures = 0

    func written(_ line: String) { lock.withLock { StandardOutput.print(line) } }

    func failed(_ line: String) {
        lock.withLock {
            failures += 1
            StandardError.write(line + "\n")
        }
    }
}
