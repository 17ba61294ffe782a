import Basics
import Files
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// One changed file: its genre fields before and after (a missing key: the field was absent).
public struct TagChange: Sendable, Equatable {
    public var path: String
    public var format: TagFormat
    public var before: FieldValues
    public var after: FieldValues

    public init(path: String, format: TagFormat, before: FieldValues, after: FieldValues) {
        (self.path, self.format, self.before, self.after) = (path, format, before, after)
    }

    /// One JSON object: path, format, and before/after with every genre field of the format,
    /// null where it is absent.
    public func jsonLine() -> String {
        let keys = GenreSchema(format).keys
        func object(_ fields: FieldValues) -> JSON {
            .object(Dictionary(uniqueKeysWithValues: keys.map { ($0, fields[$0].map { .array($0.map(JSON.string)) } ?? .null) }))
        }
        return JSON.object(["path": .string(path), "format": .string(format.rawValue), "before": object(before), "after": object(after)]).text
    }

    /// Parses a line written by `jsonLine`; nil when it is not one.
    public init?(jsonLine line: Substring) {
        guard let object = (try? JSON(parsing: line.utf8))?.object,
              let path = object["path"]?.string,
              let format = object["format"]?.string.flatMap(TagFormat.init(rawValue:)),
              let before = object["before"]?.object, let after = object["after"]?.object else { return nil }
        func fields(_ object: [String: JSON]) -> FieldValues? {
            var fields: FieldValues = [:]
            for (key, value) in object {
                if value.isNull { continue }
                guard let values = value.strings else { return nil }
                fields[key] = values
            }
            return fields
        }
        guard let b = fields(before), let a = fields(after) else { return nil }
        self.init(path: path, format: format, before: b, after: a)
    }
}

/// The undo journal: JSON Lines, one `TagChange` per changed file, each line on disk (fsync)
/// before the file it describes is replaced.
public final class TagJournal {
    public var path: String { file.path }
    private let file: AppendingFile
    private var lines = 0

    /// Creates a new journal; an existing file is never overwritten.
    public init(creating path: String) throws {
        file = try AppendingFile(path: path, exclusive: true)
    }

    /// A new journal named `genre-tag-<UTC date and time>.jsonl` in `folder` (a counter is added
    /// when that name is taken).
    public static func createDefault(in folder: String = ".", now: Date = Date()) throws -> TagJournal {
        var seconds = time_t(now.timeIntervalSince1970.rounded(.down)), utc = tm()
        gmtime_r(&seconds, &utc)
        let stamp = String(cFormat: "%04d%02d%02dT%02d%02d%02dZ", Int(utc.tm_year) + 1900, Int(utc.tm_mon) + 1, Int(utc.tm_mday),
                           Int(utc.tm_hour), Int(utc.tm_min), Int(utc.tm_sec))
        let stem = Path.join(folder, "genre-tag-" + stamp)
        for n in 0..<1000 {
            let candidate = stem + (n == 0 ? "" : "-\(n)") + ".jsonl"
            do { return try TagJournal(creating: candidate) } catch let error as FileError where error.problem == "already exists" { continue }
        }
        throw FileError(path: stem + ".jsonl", problem: "already exists")
    }

    public var isEmpty: Bool { lines == 0 }

    public func record(_ change: TagChange) throws {
        // On disk before the file it describes is replaced; a line that cannot be written whole
        // (a full disk) is cut back off, so the journal keeps complete lines only.
        try file.append(Array((change.jsonLine() + "\n").utf8), durable: true)
        lines += 1
    }

    /// The changes in a journal, in the order written. A torn last line (a crash while it was
    /// written) is skipped; any other unreadable line is an error naming it.
    public static func read(_ path: String) throws -> [TagChange] {
        let text: String
        do { text = FileSystemBytes.string(try FileBytes.read(path: path)) } catch let error as FileError {
            throw FileError(path: path, problem: error.problem == "no such file" ? error.problem : "cannot read the journal (\(error.problem))")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        var changes: [TagChange] = []
        for (index, line) in lines.enumerated() {
            guard let change = TagChange(jsonLine: line) else {
                if index == lines.count - 1 && !text.hasSuffix("\n") { break }
                throw FileError(path: path, problem: "line \(index + 1) is not a genre tag journal entry")
            }
            changes.append(change)
        }
        return changes
    }
}
