import Basics
import Files
import ArgumentParser
import Engine
import FoundationEssentials
import Glibc
import GenreKit
import Tags

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Write predicted genres into audio files' own tags (a dry run unless --write).",
        discussion: """
            Each file is classified as 'genre predict' does, and its label goes into the format's own \
            genre field: ID3v2.4 TCON (MP3, and the ID3 chunk of WAV/AIFF), the Vorbis comment GENRE \
            (FLAC, Ogg Vorbis, Opus, Speex), the ©gen atom (MP4/M4A), WM/Genre (WMA), the APE item \
            Genre (WavPack, APE, Musepack, and True Audio with an APEv2 tag; else ID3v2.4). \
            GENRE_CONFIDENCE and GENRE_CHECKPOINT (the first 12 hex digits of the \
            checkpoint's SHA-256) go into free-form fields next to it. Other tags, cover art and the \
            audio are left as they are; each file is rewritten through a flushed copy renamed over it. \
            With --write, every changed file's previous genre fields go to a journal first, and \
            'genre tag --undo JOURNAL' puts them back. Exit status: 0 when every file was handled, 2 \
            when some failed, 1 when the checkpoint or journal cannot be used or the shard values are bad, 64 for \
            other bad options.
            """
    )

    @Argument(help: "Audio files, folders or playlists (.m3u, .m3u8, .pls).")
    var paths: [String] = []
    @Option(help: "Checkpoint (default: best.safetensors of the most recently modified run under runs/).")
    var checkpoint: String?
    @Flag(help: "Change the files (without it, only print each file's genre and what would be written).")
    var write = false
    @Option(name: .customLong("min-confidence"), help: "Least probability of a label written; a file whose best label is below it is left as it is.")
    var minConfidence: Double = 0.5
    @Option(help: "Write up to K labels (each at least --min-confidence) as a multi-valued genre.")
    var multi: Int = 1
    @Option(help: "Undo journal for --write (default: genre-tag-<UTC time>.jsonl in the current folder); {shard} becomes the shard's index.")
    var journal: String?
    @Option(help: "Threads (default: every core).")
    var threads: Int?
    @Option(help: "Restore the genre fields recorded in this journal, and nothing else.")
    var undo: String?
    @OptionGroup(title: "Batch runs on a cluster")
    var input: BatchInputOptions

    func validate() throws {
        if undo != nil {
            guard paths.isEmpty, checkpoint == nil, !write, journal == nil, !input.isUsed else {
                throw ValidationError("--undo takes only the journal")
            }
            return
        }
        guard !paths.isEmpty || input.filesFrom != nil else { throw ValidationError("give audio files or folders to tag (or --files-from FILE), or --undo JOURNAL") }
        guard multi >= 1 else { throw ValidationError("--multi must be at least 1") }
        guard (0...1).contains(minConfidence) else { throw ValidationError("--min-confidence must be between 0 and 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if journal != nil && !write { throw ValidationError("--journal needs --write") }
    }

    func run() throws {
        MemoryReuse.keepFreedMemory()
        // An installation problem, said once before any file or journal is touched.
        try reportingErrors { try TagFile.loadTagLib() }
        if let undo { return try runUndo(undo) }
        let selection = try input.selection()
        let files = try input.files(arguments: paths, selection: selection)
        let (predictor, checkpointID) = try reportingErrors { () -> (Predictor, String) in
            guard let path = checkpoint ?? RunFolder.latestBest() else {
                throw fail("no --checkpoint given and no runs/*/best.safetensors here; train one with 'genre train'")
            }
            if checkpoint == nil { StandardError.write("genre: using \(path)\n") }
            let predictor = try Predictor(checkpoint: path)
            return (predictor, String(try SHA256.hexDigest(file: path).prefix(12)))
        }
        let log = try reportingErrors { () -> TagJournal? in
            guard write else { return nil }
            return try journal.map { try TagJournal(creating: Shard.expand($0, shard: selection?.shard)) } ?? TagJournal.createDefault()
        }
        var tally = TagTally()

        // Files TagLib cannot open are reported before any audio is decoded.
        var taggable: [String] = []
        for file in files {
            do {
                _ = try GenreTagger.read(file)
                taggable.append(file)
            } catch {
                tally.error(String(describing: error))
            }
        }

        let threads = threads ?? Parallel.processorCount
        let workers = max(1, min(threads, taggable.count))
        Parallel.threadCount = max(1, threads / workers)
        let minimum = Float(minConfidence)
        predictor.predictAll(taggable, workers: workers) { index, result in
            let path = taggable[index]
            do {
                let prediction = try result.get()
                let current = try GenreTagger.read(path)
                let schema = current.schema
                let now = Self.describe(schema.currentGenre(current.fields))
                let best = prediction.top(1)[0]
                guard best.probability >= minimum else {
                    tally.row("below", "\(path): \(now) kept; best \(best.label) \(Self.number(best.probability)) < \(Self.number(minimum))")
                    tally.below += 1
                    return
                }
                let chosen = prediction.top(multi).filter { $0.probability >= minimum }
                let target = schema.target(current: current.fields, hasMirrorTag: current.hasMirrorTag, labels: chosen.map(\.label),
                                           probabilities: chosen.map(\.probability), checkpointID: checkpointID)
                let new = chosen.map { "\($0.label) (\(Self.number($0.probability)))" }.joined(separator: "; ")
                if schema.keys.allSatisfy({ current.fields[$0] == target[$0] }) {
                    tally.row("same", "\(path): \(new) already written")
                    tally.same += 1
                } else if let log {
                    try GenreTagger.write(path, fields: target, journal: log)
                    tally.row("tagged", "\(path): \(now) -> \(new)")
                    tally.changed += 1
                } else {
                    tally.row("would tag", "\(path): \(now) -> \(new)")
                    tally.changed += 1
                }
            } catch let nothing as NothingToClassify {
                tally.row("skipped", "\(nothing) (left as it is)")
                tally.skipped += 1
            } catch {
                tally.error(String(describing: error))
            }
        }

        var summary = "\(files.count) file\(files.count == 1 ? "" : "s"): \(tally.changed) \(write ? "tagged" : "to tag"), "
            + "\(tally.same) already tagged, \(tally.below) below \(Self.number(minimum)), "
            + (tally.skipped > 0 ? "\(tally.skipped) silent or too short, " : "") + "\(tally.failed) failed"
        if let log {
            if log.isEmpty {
                FileSystem.unlink(log.path)
            } else {
                summary += "\njournal: \(log.path) (undo with 'genre tag --undo \(log.path)')"
            }
        } else {
            summary += " (dry run: nothing written; add --write)"
        }
        StandardError.write(summary + "\n")
        if tally.failed > 0 { throw ExitCode(2) }
    }

    private func runUndo(_ path: String) throws {
        let changes = try reportingErrors { try TagJournal.read(path) }
        var tally = TagTally()
        for change in changes.reversed() {
            let schema = GenreSchema(change.format)
            do {
                switch try GenreTagger.undo(change) {
                case .restored:
                    tally.row("restored", "\(change.path): \(Self.describe(schema.currentGenre(change.after))) -> \(Self.describe(schema.currentGenre(change.before)))")
                    tally.changed += 1
                case .alreadyRestored:
                    tally.row("same", "\(change.path): \(Self.describe(schema.currentGenre(change.before))) already restored")
                    tally.same += 1
                }
            } catch {
                tally.error(String(describing: error))
            }
        }
        StandardError.write("\(changes.count) change\(changes.count == 1 ? "" : "s"): \(tally.changed) restored, \(tally.same) already restored, \(tally.failed) failed\n")
        if tally.failed > 0 { throw ExitCode(2) }
    }

    static func describe(_ values: [String]?) -> String {
        guard let values, !values.isEmpty else { return "(none)" }
        return values.joined(separator: "; ")
    }

    static func number(_ p: Float) -> String { String(cFormat: "%.2f", p) }
}

/// Result rows on stdout (`<status> <path>: <detail>`), errors also on stderr, and the counts.
struct TagTally {
    var changed = 0, same = 0, below = 0, skipped = 0, failed = 0

    func row(_ status: String, _ detail: String) {
        StandardOutput.print(status.padded(to: 10) + " " + detail)
        fflush(nil)
    }

    mutating func error(_ message: String) {
        failed += 1
        row("error", message)
        StandardError.write("genre: error: \(message)\n")
    }
}
