import Basics
import Files
import Glibc

/// A playlist given where audio files are expected (`genre predict Workout.m3u8`, `--files-from
/// Favourites.pls`): M3U and M3U8 (one entry a line, `#` lines are comments and extended-M3U
/// information) and PLS (`FileN=` lines). Entries are taken as players take them: relative to the
/// playlist's folder, `file://` URLs as the paths they name, and `\` as a separator in a relative
/// entry written on Windows when no `/` is in it.
public enum Playlist {
    public static let extensions: Set<String> = ["m3u", "m3u8", "pls"]

    /// Whether `path` is named like a playlist.
    public static func isPlaylist(_ path: String) -> Bool { extensions.contains(Path.fileExtension(path).lowercased()) }

    /// The entries of the playlist at `path`, in order: each as written (`entry`, the key that
    /// places it in a shard) and as a path to open.
    public static func read(_ path: String) throws -> [(entry: String, path: String)] {
        guard let file = ReadOnlyFile(path: path), file.isRegularFile, let bytes = file.read(at: 0, count: Int(file.size)) else {
            throw FileError(path: path, problem: "cannot read the playlist (\(FileProblem.describe(path: path)))")
        }
        let folder = Path.parent(path)
        return entries(bytes, pls: Path.fileExtension(path).lowercased() == "pls").map { ($0, resolve($0, in: folder)) }
    }

    /// The entries of a playlist's bytes as written: blank lines, comments and a byte-order mark
    /// skipped, line ends `\n` or `\r\n`.
    public static func entries(_ bytes: [UInt8], pls: Bool) -> [String] {
        FileList.parse(bytes, nullSeparated: false).compactMap { line -> String? in
            let trimmed = line.trimmingWhitespace()
            if pls {
                // `File12=path`; the [playlist] header, titles, lengths and counts are not entries.
                guard let equals = trimmed.firstIndex(of: "=") else { return nil }
                let key = String(trimmed[..<equals]).trimmingWhitespace().lowercased()
                guard key.hasPrefix("file"), key.count > 4, key.dropFirst(4).allSatisfy(\.isNumber) else { return nil }
                let value = String(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace()
                return value.isEmpty ? nil : value
            }
            return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : trimmed
        }
    }

    /// The path an entry names, for a playlist in `folder`.
    public static func resolve(_ entry: String, in folder: String) -> String {
        var path = entry
        if entry.lowercased().hasPrefix("file://") {
            // file:///music/a%20b.mp3, or file://localhost/music/…
            var rest = Substring(entry.dropFirst(7))
            if rest.lowercased().hasPrefix("localhost/") { rest = rest.dropFirst(9) }
            path = percentDecoded(String(rest))
        } else if entry.contains("://") {
            return entry  // a stream's URL: not a local file, and reported as such
        }
        if !path.hasPrefix("/"), path.contains("\\"), !path.contains("/") {
            path = String(path.map { $0 == "\\" ? "/" : $0 })
        }
        return path.hasPrefix("/") ? path : Path.join(folder, path)
    }

    /// `%XX` escapes turned back into their bytes (a malformed escape is kept as written).
    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "%"), input.count >= 2, input.prefix(2).allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
               let value = UInt8(String(decoding: input.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                input = input.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return FileSystemBytes.string(bytes[...])
    }
}
