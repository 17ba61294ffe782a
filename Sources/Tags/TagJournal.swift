import Files
import Foundation
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
        func object(_ fields: FieldValues) -> [String: Any] {
            Dictionary(uniqueKeysWithValues: keys.map { ($0, fields[$0].map { $0 as Any } ?? NSNull()) })
        }
        let line: [String: Any] = ["path": path, "format": format.rawValue, "before": object(before), "after": object(after)]
        let data = (try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses a line written by `jsonLine`; nil when it is not one.
    public init?(jsonLine line: Substring) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              let path = object["path"] as? String,
              let format = (object["format"] as? String).flatMap(TagFormat.init(rawValue:)),
              let before = object["before"] as? [String: Any], let after = object["after"] as? [String: Any] else { return nil }
        func fields(_ object: [String: Any]) -> FieldValues? {
            var fields: FieldValues = [:]
            for (key, value) in object {
                if value is NSNull { continue }
                guard let values = value as? [String] else { return nil }
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
    public let path: String
    private let fd: Int32
    private var lines = 0

    /// Creates a new journal; an existing file is never overwritten.
    public init(creating path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileError(path: path, problem: errno == EEXIST ? "journal already exists" : "cannot create the journal (\(String(cString: strerror(errno))))")
        }
        (self.path, self.fd) = (path, fd)
    }

    deinit { close(fd) }

    /// A new journal named `genre-tag-<UTC date and time>.jsonl` in `folder` (a counter is added
    /// when that name is taken).
    public static func createDefault(in folder: String = ".", now: Date = Date()) throws -> TagJournal {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stem = (folder as NSString).appendingPathComponent("genre-tag-" + formatter.string(from: now))
        for n in 0..<1000 {
            let candidate = stem + (n == 0 ? "" : "-\(n)") + ".jsonl"
            do { return try TagJournal(creating: candidate) } catch let error as FileError where error.problem == "journal already exists" { continue }
        }
        throw FileError(path: stem + ".jsonl", problem: "journal already exists")
    }

    public var isEmpty: Bool { lines == 0 }

    public func record(_ change: TagChange) throws {
        let bytes = Array((change.jsonLine() + "\n").utf8)
        // A line that cannot be written whole (a full disk) is cut back off: the journal keeps complete lines only.
        let start = lseek(fd, 0, SEEK_END)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                if start >= 0 { _ = ftruncate(fd, start) }
                throw FileError(path: path, problem: "cannot write the journal (\(reason))")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            if start >= 0 { _ = ftruncate(fd, start) }
            throw FileError(path: path, problem: "cannot flush the journal (\(reason))")
        }
        lines += 1
    }

    /// The changes in a journal, in the order written. A torn last line (a crash while it was
    /// written) is skipped; any other unreadable line is an error naming it.
    public static func read(_ path: String) throws -> [TagChange] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FileError(path: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot read the journal" : "no such file")
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
