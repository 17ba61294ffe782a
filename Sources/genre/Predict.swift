import Basics
import Files
import ArgumentParser
import Audio
import Engine
import FoundationEssentials
import Dispatch
import Glibc
import GenreKit

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify audio files: one song, or whole folders into CSV or JSON Lines.",
        discussion: """
            One file: its duration and the top-K labels. Folders are searched recursively and their files \
            classified in parallel; each result row is written as soon as its file finishes. Exit status: \
            0 when every file was classified, 2 when some failed, 1 when the checkpoint cannot be used, \
            64 for bad options.
            """
    )

    @Argument(help: "Audio files, folders or playlists (.m3u, .m3u8, .pls; '-': one file read from standard input).")
    var paths: [String] = []
    @Option(help: "Checkpoint (default: best.safetensors of the most recently modified run under runs/).")
    var checkpoint: String?
    @Option(help: "Labels to show per file.")
    var top: Int = 3
    @Flag(help: "One file: print a JSON object. Several: JSON Lines on stdout.")
    var json = false
    @Option(help: "Write results here as each file finishes: CSV, or JSON Lines for .jsonl/.ndjson/.json; {shard} becomes the shard's index.")
    var out: String?
    @Flag(help: "Skip files that already have a result in --out (appending to it).")
    var skipDone = false
    @Flag(help: "Also give the label of every window with its time range.")
    var segments = false
    @Option(help: "Threads (default: every core).")
    var threads: Int?
    @OptionGroup(title: "Batch runs on a cluster")
    var input: BatchInputOptions
    @Option(name: .customLong("min-confidence"),
            help: "Withhold the label of a file whose best probability is below this (empty label; 'unknown' in text output), as 'genre tag --min-confidence' does.")
    var minConfidence: Double = 0

    func validate() throws {
        if paths.isEmpty && input.filesFrom == nil { throw ValidationError("give audio files or folders, or --files-from FILE") }
        guard (0...1).contains(minConfidence) else { throw ValidationError("--min-confidence must be between 0 and 1") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if skipDone && out == nil { throw ValidationError("--skip-done needs --out") }
        if paths.contains(AudioSource.standardInputPath) && (paths.count > 1 || input.filesFrom != nil || out != nil) {
            throw ValidationError("'-' (standard input) is one file: give it alone, without --out or --files-from")
        }
    }

    func run() throws {
        MemoryReuse.keepFreedMemory()
        let selection = try input.selection()
        let files = try input.isUsed || selection != nil ? input.files(arguments: paths, selection: selection) : nil
        let predictor = try reportingErrors { () -> Predictor in
            guard let path = checkpoint ?? RunFolder.latestBest() else {
                throw fail("no --checkpoint given and no runs/*/best.safetensors here; train one with 'genre train'")
            }
            if checkpoint == nil { StandardError.write("genre: using \(path)\n") }
            return try Predictor(checkpoint: path)
        }
        let threads = threads ?? Parallel.processorCount
        if files == nil, paths.count == 1, out == nil,
           paths[0] == AudioSource.standardInputPath || !(FileSystem.isDirectory(paths[0]) || Playlist.isPlaylist(paths[0])) {
            Parallel.threadCount = threads
            // One file: batches big enough that every thread runs passes of four windows of
            // its own (Sequential.infer), instead of all threads meeting after every layer of
            // one pass (a 30 s clip: 77.9 → 72.3 ms median, 118 → 84 ms of CPU). Folders keep four
            // windows a batch: there each worker thread has its own file.
            predictor.batchSize = 8 * threads
            try single(predictor, path: paths[0])
        } else {
            try batch(predictor, files: files ?? input.files(arguments: paths, selection: nil), shard: selection?.shard, threads: threads)
        }
    }

    private func single(_ predictor: Predictor, path: String) throws {
        let prediction: Prediction
        do { prediction = try predictor.predict(source: AudioSource.named(path)) } catch {
            _ = fail(String(describing: error))
            throw ExitCode(2)
        }
        if json {
            StandardOutput.print(prediction.json(top: top, segments: segments, minimumConfidence: Float(minConfidence)).text)
            return
        }
        let best = prediction.top(top)
        let nameWidth = best.map(\.label.count).max() ?? 0
        let silent = prediction.silentWindows > 0 ? " (\(prediction.silentWindows) silent, left out)" : ""
        var lines = ["\(path): \(Self.clock(prediction.duration)), \(prediction.windows.count) window\(prediction.windows.count == 1 ? "" : "s")\(silent)"]
        for (label, p) in best {
            let eighths = p.isFinite ? Int((min(max(p, 0), 1) * 160).rounded()) : 0  // 20 cells of 8 steps
            let bar = String(repeating: "█", count: eighths / 8) + (eighths % 8 == 0 ? "" : String(Array("▏▎▍▌▋▊▉")[eighths % 8 - 1]))
            lines.append("  " + label.padded(to: nameWidth) + String(cFormat: " %5.1f %% ", p * 100) + bar)
        }
        if minConfidence > 0 {
            let answer = prediction.label(minimumConfidence: Float(minConfidence))
            lines.append(answer.isEmpty
                ? "  label: unknown (best \(prediction.label) " + String(cFormat: "%.1f %% < --min-confidence %.1f %%)", prediction.confidence * 100, minConfidence * 100)
                : "  label: \(answer)")
        }
        if segments {
            lines.append("windows:")
            for window in prediction.windows {
                let k = window.probabilities.indices.max { window.probabilities[$0] < window.probabilities[$1] } ?? 0
                lines.append("  \(Self.clock(window.start, fraction: 1))–\(Self.clock(window.end, fraction: 1))  \(prediction.labels[k]) "
                    + String(cFormat: "%.1f %%", window.probabilities[k] * 100))
            }
        }
        StandardOutput.print(lines.joined(separator: "\n"))
    }

    private func batch(_ predictor: Predictor, files: [String], shard: Shard?, threads: Int) throws {
        let out = out.map { Shard.expand($0, shard: shard) }
        let format = out.map(PredictionFormat.init(path:)) ?? (json ? .jsonLines : .csv)
        if segments && format == .csv {
            throw fail("--segments with several files needs JSON Lines output (--json, or --out with .jsonl)")
        }
        var files = files
        let output = try reportingErrors {
            try out.map { try ResultSink(path: $0, format: format, top: top, resume: skipDone) } ?? ResultSink(standardOutputFor: format, top: top)
        }
        let before = files.count
        files.removeAll { output.donePaths.contains($0) }
        let status = PredictStatus(total: files.count, skipped: before - files.count)
        guard !files.isEmpty else {
            output.close()
            status.finish(failed: 0)
            return
        }
        let workers = min(threads, files.count)
        Parallel.threadCount = max(1, threads / workers)
        let k = min(top, predictor.labels.count)
        var failed = 0
        predictor.predictAll(files, workers: workers, isCancelled: { output.failure != nil }) { index, result in
            switch result {
            case .success(let prediction):
                output.write(format.row(prediction, top: k, segments: segments, minimumConfidence: Float(minConfidence)))
            case .failure(let error):
                failed += 1
                status.error(String(describing: error))
                output.write(format.errorRow(path: files[index], message: String(describing: error), top: k))
            }
            status.advance()
        }
        output.close()
        if let failure = output.failure { throw fail(failure.description) }
        status.finish(failed: failed)
        if failed > 0 { throw ExitCode(2) }
    }

    static func clock(_ seconds: Double, fraction: Int = 1) -> String {
        let minutes = Int(seconds / 60)
        let rest = seconds - Double(minutes * 60)
        return String(cFormat: "%d:%0\(3 + fraction).\(fraction)f", minutes, rest)
    }
}

/// Batch progress on stderr: a live bar with files/s and ETA on a terminal, then a summary line.
final class PredictStatus {
    private let interactive = StandardError.isTerminal
    private let total: Int
    private let skipped: Int
    private var done = 0
    private var lastDraw = -1.0
    private let start = DispatchTime.now()

    init(total: Int, skipped: Int) { (self.total, self.skipped) = (total, skipped) }

    private var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }

    func error(_ message: String) {
        write((interactive ? "\r\u{1B}[K" : "") + "genre: error: \(message)\n")
    }

    func advance() {
        done += 1
        guard interactive, done == total || elapsed - lastDraw >= 0.1 else { return }  // at most ten redraws a second
        lastDraw = elapsed
        let rate = Double(done) / max(elapsed, 1e-9)
        let width = 24
        let filled = width * done / max(total, 1)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let eta = Int((Double(total - done) / max(rate, 1e-9)).rounded())
        write("\r\u{1B}[K\(bar) \(done)/\(total) files " + String(cFormat: "%.1f files/s", rate)
            + String(cFormat: " ETA %d:%02d", eta / 60, eta % 60))
    }

    func finish(failed: Int) {
        let seconds = elapsed
        write((interactive ? "\r\u{1B}[K" : "") + "\(total) file\(total == 1 ? "" : "s"): \(total - failed) classified, \(failed) failed in "
            + String(cFormat: "%.1f s (%.1f files/s)", seconds, Double(total) / max(seconds, 1e-9))
            + (skipped > 0 ? ", \(skipped) already done" : "") + "\n")
    }

    private func write(_ text: String) { StandardError.write(text) }
}
