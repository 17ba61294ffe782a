import Basics
import Glibc

/// One of N disjoint parts of a batch run, for cluster schedulers (Slurm job arrays, Kubernetes
/// Indexed Jobs, GNU parallel, Spark): shard I of N keeps the files whose key — the path
/// relative to the folder argument it was found under, or a file argument as given — hashes to
/// I modulo N. The hash is FNV-1a 64 of the key's bytes (fixed, not Swift's randomised
/// `Hasher`), so every process on every machine agrees: each file is in exactly one shard,
/// whatever the listing order, and adding files never moves another file.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ShardError("the shard count must be at least 1, got \(count)") }
        guard (0..<count).contains(index) else {
            throw ShardError("shard index \(index) is out of range for \(count) shard\(count == 1 ? "" : "s") (0 to \(count - 1))")
        }
        (self.index, self.count) = (index, count)
    }

    /// `I/N`, as `--shard` takes it.
    public var description: String { "\(index)/\(count)" }

    /// Whether the file with this key belongs to the shard.
    public func contains(key: String) -> Bool {
        Self.fnv1a64(key) % UInt64(count) == UInt64(index)
    }

    /// The files of `files` in this shard, in their order.
    public func select(_ files: [InputFile]) -> [InputFile] {
        files.filter { contains(key: $0.key) }
    }

    /// FNV-1a, 64 bits, over the bytes of `text`: its UTF-8, or a file name's own bytes
    /// (`FileSystemBytes`) where they are not UTF-8.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in FileSystemBytes.bytes(text) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// Which shard a run is, and where that came from (for one line on stderr).
    public struct Selection: Sendable, Equatable {
        public let shard: Shard
        public let source: String
    }

    /// The shard a run is asked for, or nil for the whole list. In order of precedence:
    ///
    /// 1. `flag` (`--shard`): `I/N`, or `I` with the count from `countFlag` (`--shard-count`) or
    ///    `GENRE_SHARD_COUNT`;
    /// 2. a Slurm job array: `SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` (divided by
    ///    `SLURM_ARRAY_TASK_STEP` when there is one) of `SLURM_ARRAY_TASK_COUNT`; an array that is
    ///    not one range (MIN to MAX by STEP), or of one task — what rerunning some tasks of an
    ///    array gives — is refused, since its count is not the shards' count;
    /// 3. a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, with the count from `countFlag` or
    ///    `GENRE_SHARD_COUNT`.
    ///
    /// Empty variables count as unset. Anything that is not a whole number, an index without a
    /// count, a count without an index given on the command line, an index outside 0..<N, or a
    /// `--shard-count` that disagrees with the count in use is a `ShardError`.
    public static func resolve(flag: String?, countFlag: String?, environment: [String: String]) throws -> Selection? {
        func variable(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingWhitespace(), !value.isEmpty else { return nil }
            return value
        }
        func number(_ text: String, _ what: String) throws -> Int {
            guard let value = Int(text.trimmingWhitespace()), value >= 0 else {
                throw ShardError("\(what) must be a whole number, got '\(text)'")
            }
            return value
        }
        let explicitCount = try countFlag.map { try number($0, "--shard-count") }
        if let explicitCount, explicitCount < 1 { throw ShardError("--shard-count must be at least 1, got \(explicitCount)") }
        func agreeing(_ count: Int, _ source: String) throws -> Int {
            if let explicitCount, explicitCount != count {
                throw ShardError("--shard-count \(explicitCount) disagrees with \(source)")
            }
            return count
        }

        if let flag {
            let parts = flag.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, !parts[0].isEmpty else { throw ShardError("--shard takes I/N (shard I of N, counted from 0), got '\(flag)'") }
            let index = try number(parts[0], "--shard's index")
            if parts.count == 2 {
                let count = try agreeing(try number(parts[1], "--shard's count"), "--shard \(flag)")
                return Selection(shard: try Shard(index: index, count: count), source: "--shard")
            }
            if let explicitCount {
                return Selection(shard: try Shard(index: index, count: explicitCount), source: "--shard, --shard-count")
            }
            if let count = variable("GENRE_SHARD_COUNT") {
                return Selection(shard: try Shard(index: index, count: try number(count, "GENRE_SHARD_COUNT")), source: "--shard, GENRE_SHARD_COUNT=\(count)")
            }
            throw ShardError("--shard \(flag) has no count: give --shard \(flag)/N, --shard-count N or GENRE_SHARD_COUNT")
        }

        if let id = variable("SLURM_ARRAY_TASK_ID") {
            let task = try number(id, "SLURM_ARRAY_TASK_ID")
            guard let countText = variable("SLURM_ARRAY_TASK_COUNT") else {
                throw ShardError("SLURM_ARRAY_TASK_ID=\(id) without SLURM_ARRAY_TASK_COUNT: give --shard I/N")
            }
            let minimum = try variable("SLURM_ARRAY_TASK_MIN").map { try number($0, "SLURM_ARRAY_TASK_MIN") } ?? 0
            let step = try variable("SLURM_ARRAY_TASK_STEP").map { try number($0, "SLURM_ARRAY_TASK_STEP") } ?? 1
            guard task >= minimum, step >= 1, (task - minimum) % step == 0 else {
                throw ShardError("SLURM_ARRAY_TASK_ID=\(id) is not on the array's range (SLURM_ARRAY_TASK_MIN=\(minimum), step \(step)): give --shard I/N")
            }
            let count = try number(countText, "SLURM_ARRAY_TASK_COUNT")
            // A rerun of some of an array's tasks (--array=3,11 or --array=3) gets its own MIN
            // and COUNT: refused rather than sharded with the wrong N.
            if let maximum = try variable("SLURM_ARRAY_TASK_MAX").map({ try number($0, "SLURM_ARRAY_TASK_MAX") }),
               maximum < minimum || (maximum - minimum) / step + 1 != count {
                throw ShardError("the Slurm array is not one range (SLURM_ARRAY_TASK_MIN=\(minimum), SLURM_ARRAY_TASK_MAX=\(maximum), SLURM_ARRAY_TASK_COUNT=\(countText)): give --shard I/N")
            }
            if count == 1 {
                throw ShardError("a Slurm array of one task (SLURM_ARRAY_TASK_ID=\(id)) is not a set of shards: give --shard I/N (--shard 0/1 for every file)")
            }
            var source = "SLURM_ARRAY_TASK_ID=\(id) - SLURM_ARRAY_TASK_MIN=\(minimum)"
            if step > 1 { source = "(\(source)) / SLURM_ARRAY_TASK_STEP=\(step)" }
            source += " of SLURM_ARRAY_TASK_COUNT=\(countText)"
            let shard: Shard
            do { shard = try Shard(index: (task - minimum) / step, count: try agreeing(count, "SLURM_ARRAY_TASK_COUNT=\(countText)")) } catch let error as ShardError {
                throw ShardError("\(error.message) (\(source)): the array must be contiguous, or give --shard I/N")
            }
            return Selection(shard: shard, source: source)
        }

        if let indexText = variable("JOB_COMPLETION_INDEX") {
            let index = try number(indexText, "JOB_COMPLETION_INDEX")
            if let explicitCount {
                return Selection(shard: try Shard(index: index, count: explicitCount), source: "JOB_COMPLETION_INDEX=\(indexText), --shard-count")
            }
            guard let count = variable("GENRE_SHARD_COUNT") else {
                throw ShardError("JOB_COMPLETION_INDEX=\(indexText) has no count: give --shard-count N or GENRE_SHARD_COUNT (the Job's completions)")
            }
            return Selection(shard: try Shard(index: index, count: try number(count, "GENRE_SHARD_COUNT")),
                             source: "JOB_COMPLETION_INDEX=\(indexText), GENRE_SHARD_COUNT=\(count)")
        }

        if countFlag != nil {
            throw ShardError("--shard-count needs an index: --shard I, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
        }
        return nil
    }

    /// `template` with every `{shard}` replaced by the shard's index (0 for an unsharded run).
    public static func expand(_ template: String, shard: Shard?) -> String {
        template.replacing("{shard}", with: String(shard?.index ?? 0))
    }
}

/// A shard option or variable that cannot be used; the message is one line.
public struct ShardError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
