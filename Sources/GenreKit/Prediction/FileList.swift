import Basics
import Files
import FoundationEssentials
import Glibc

/// A file to classify: its path as opened and reported, and the key that places it in a shard.
public struct InputFile: Sendable, Equatable {
    /// The path as the argument or list gave it, joined with the path found under a folder.
    public let path: String
    /// The path relative to the folder argument it was found under (components joined by `/`),
    /// or, for a file argument, the argument as given. A catalogue mounted at different places
    /// on different machines shards the same way when it is given as a folder.
    public let key: String

    public init(path: String, key: String) { (self.path, self.key) = (path, key) }
}

/// The files a batch run works on: path arguments and `--files-from` lists, folders searched.
public enum FileList {
    /// A file argument as it is; a folder searched recursively for audio extensions (hidden
    /// entries skipped, names sorted). A directory named like audio is listed as an entry — it
    /// fails and is reported — rather than searched. A path listed twice is kept once.
    public static func expand(_ arguments: [String]) -> [InputFile] {
        let manager = FileManager.default
        var files: [InputFile] = []
        var seen = Set<String>()
        func add(_ file: InputFile) {
            if seen.insert(file.path).inserted { files.append(file) }
        }
        for argument in arguments {
            var isDirectory = false
            if manager.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory {
                search(argument, relative: "").forEach(add)
            } else {
                add(InputFile(path: argument, key: argument))
            }
        }
        return files
    }

    private static func search(_ folder: String, relative: String) -> [InputFile] {
        let manager = FileManager.default
        var found: [InputFile] = []
        for name in ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).sorted() where !name.hasPrefix(".") {
            let path = Path.join(folder, name)
            let key = relative.isEmpty ? name : relative + "/" + name
            var isDirectory = false
            _ = manager.fileExists(atPath: path, isDirectory: &isDirectory)
            let audio = DataSet.audioExtensions.contains(Path.fileExtension(name).lowercased())
            if isDirectory && !audio {
                found += search(path, relative: key)
            } else if audio {
                found.append(InputFile(path: path, key: key))
            }
        }
        return found
    }

    /// The paths in a list: one a line (a trailing carriage return dropped), or NUL-separated
    /// when `nullSeparated`; empty entries are skipped. Paths are kept as written (spaces too).
    public static func parse(_ data: Data, nullSeparated: Bool) -> [String] {
        let separator: UInt8 = nullSeparated ? 0 : UInt8(ascii: "\n")
        return data.split(separator: separator, omittingEmptySubsequences: true).compactMap { bytes -> String? in
            var entry = String(decoding: bytes, as: UTF8.self)
            if !nullSeparated, entry.hasSuffix("\r") { entry.removeLast() }
            return entry.isEmpty ? nil : entry
        }
    }

    /// The paths listed in `source` (`-` for standard input, read to its end).
    public static func read(_ source: String, nullSeparated: Bool) throws -> [String] {
        let data: Data
        if source == "-" {
            data = Data(StandardInput.readAll())
        } else {
            guard let contents = FileManager.default.contents(atPath: source) else {
                throw FileError(path: source, problem: "cannot read the --files-from list (\(FileProblem.describe(path: source)))")
            }
            data = contents
        }
        return parse(data, nullSeparated: nullSeparated)
    }
}
