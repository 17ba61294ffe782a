import Basics
import Files
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

/// The files a batch run works on: path arguments and `--files-from` lists, folders searched,
/// playlists read.
public enum FileList {
    /// A file argument as it is; a folder searched recursively for audio extensions (hidden
    /// entries skipped, names sorted); a playlist (`Playlist`) replaced by its entries, each a file
    /// or a folder in turn. A directory named like audio is listed as an entry — it fails and is
    /// reported — rather than searched. A path listed twice is kept once. A playlist that cannot be
    /// read is an error naming it.
    public static func expand(_ arguments: [String]) throws -> [InputFile] {
        var files: [InputFile] = []
        var seen = Set<String>()
        func add(_ file: InputFile) {
            if seen.insert(file.path).inserted { files.append(file) }
        }
        func take(_ path: String, key: String) {
            if FileSystem.isDirectory(path) {
                search(path).forEach(add)
            } else {
                add(InputFile(path: path, key: key))
            }
        }
        for argument in arguments {
            if Playlist.isPlaylist(argument), FileSystem.status(argument).map({ !$0.isDirectory }) ?? false {
                for (entry, path) in try Playlist.read(argument) { take(path, key: entry) }
            } else {
                take(argument, key: argument)
            }
        }
        return files
    }

    /// The audio files under `folder`: hidden entries skipped, an entry named like audio listed
    /// as it is (a directory so named fails later and is reported), other folders searched. A
    /// folder that cannot be listed is listed itself, so that it is reported as failed rather
    /// than left out unseen.
    private static func search(_ folder: String) -> [InputFile] {
        var found: [InputFile] = []
        FileSystem.walk(folder, unlisted: { key in
            found.append(key.isEmpty ? InputFile(path: folder, key: folder) : InputFile(path: Path.join(folder, key), key: key))
        }) { key, name, status in
            guard !Path.isHidden(name) else { return false }
            guard DataSet.audioExtensions.contains(Path.fileExtension(name).lowercased()) else { return status?.isDirectory ?? false }
            found.append(InputFile(path: Path.join(folder, key), key: key))
            return false
        }
        return found
    }

    /// The paths in a list: one a line (a trailing carriage return dropped), or NUL-separated
    /// when `nullSeparated`; empty entries and a byte-order mark (lists saved on Windows) are
    /// skipped. Paths are kept as written (spaces too).
    public static func parse(_ data: [UInt8], nullSeparated: Bool) -> [String] {
        let separator: UInt8 = nullSeparated ? 0 : UInt8(ascii: "\n")
        let data = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...]
        return data.split(separator: separator, omittingEmptySubsequences: true).compactMap { bytes -> String? in
            var entry = FileSystemBytes.string(bytes)
            if !nullSeparated, entry.hasSuffix("\r") { entry.removeLast() }
            return entry.isEmpty ? nil : entry
        }
    }

    /// The paths listed in `source` (`-` for standard input, read to its end).
    public static func read(_ source: String, nullSeparated: Bool) throws -> [String] {
        let data: [UInt8]
        if source == "-" {
            data = StandardInput.readAll()
        } else {
            // Read to the end, not by size: the list may be a pipe (`--files-from <(find …)`).
            let fd = FileSystem.isDirectory(source) ? -1 : FileSystem.open(source, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw FileError(path: source, problem: "cannot read the --files-from list (\(FileProblem.describe(path: source)))")
            }
            defer { close(fd) }
            data = StandardInput.readAll(from: fd)
        }
        return parse(data, nullSeparated: nullSeparated)
    }
}
