import Basics
import ArgumentParser
import FoundationEssentials
import Glibc
import GenreKit

/// The options `genre predict` and `genre tag` share for batch runs on cluster schedulers:
/// which shard of the files to take, and lists of paths besides the arguments.
struct BatchInputOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Take only shard I of N (counted from 0): the files whose FNV-1a 64 hash of their path (relative to the folder argument they are in; a file argument as given) is I modulo N. Without it, Slurm job arrays and Kubernetes Indexed Jobs choose the shard (docs/cluster.md).",
        valueName: "I/N"))
    var shard: String?
    @Option(name: .customLong("shard-count"), help: ArgumentHelp(
        "Number of shards, for --shard I or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (default: GENRE_SHARD_COUNT).",
        valueName: "N"))
    var shardCount: String?
    @Option(name: .customLong("files-from"), help: ArgumentHelp(
        "Also take the paths listed in FILE, one a line ('-': standard input), or the entries of a playlist (.m3u, .m3u8, .pls).",
        valueName: "FILE"))
    var filesFrom: String?
    @Flag(name: .customLong("null"), help: "--files-from entries are separated by NUL bytes (find -print0) instead of newlines.")
    var null = false

    /// Whether any of these options is in use (they all mean a batch run).
    var isUsed: Bool { shard != nil || shardCount != nil || filesFrom != nil || null }

    /// The shard this run is asked for (flag or scheduler variables), or nil; bad values are a
    /// one-line usage error with exit status 1.
    func selection() throws -> Shard.Selection? {
        if null && filesFrom == nil { throw fail("--null needs --files-from") }
        do {
            return try Shard.resolve(flag: shard, countFlag: shardCount, environment: Environment.all)
        } catch {
            throw fail(String(describing: error))
        }
    }

    /// The files of the path arguments (playlists read) and the `--files-from` list, then only those of
    /// `selection`'s shard, which is announced on stderr (one line). No file at all is a usage
    /// error, except for a `--files-from` list alone, which may be empty (an empty Spark partition).
    func files(arguments: [String], selection: Shard.Selection?) throws -> [String] {
        var sources = arguments
        if let filesFrom {
            sources += Playlist.isPlaylist(filesFrom) ? [filesFrom] : try reportingErrors { try FileList.read(filesFrom, nullSeparated: null) }
        }
        let all = try reportingErrors { try FileList.expand(sources) }
        if all.isEmpty && (filesFrom == nil || !arguments.isEmpty) {
            throw fail("no audio files in \(arguments.joined(separator: ", "))")
        }
        guard let selection else { return all.map(\.path) }
        let chosen = selection.shard.select(all)
        StandardError.write(
            "genre: shard \(selection.shard) (\(selection.source)): \(chosen.count) of \(all.count) file\(all.count == 1 ? "" : "s")\n")
        return chosen.map(\.path)
    }
}
