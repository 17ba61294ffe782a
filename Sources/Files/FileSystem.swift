import Basics
#if canImport(Glibc)
import Glibc
#endif

/// The system's calls on paths, taking paths as `FileSystemBytes` strings so that a file whose
/// name is not UTF-8 opens like any other. Each returns what the call does and leaves `errno`.
public enum FileSystem {
    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        FileSystemBytes.withPath(path) { Glibc.open($0, flags, mode) }
    }

    /// The path's status (links followed); nil when `stat` fails.
    public static func status(_ path: String) -> stat? {
        FileSystemBytes.withPath(path) { path in
            var info = stat()
            return stat(path, &info) == 0 ? info : nil
        }
    }

    /// Whether something is at the path (links followed: a dangling link is nothing).
    public static func exists(_ path: String) -> Bool { status(path) != nil }

    /// What tells one folder from another, whatever the path taken to it.
    private struct Identity: Hashable {
        let device: UInt64, inode: UInt64

        init(_ status: stat) { (device, inode) = (UInt64(status.st_dev), UInt64(status.st_ino)) }
    }

    /// Walks the tree under `folder`, names sorted in each folder: `visit(relative path, name,
    /// status)` for every entry (status nil for a dangling link), going into a folder when it
    /// returns true. A link back to a folder the walk is inside is not followed (a loop). A
    /// folder that cannot be listed (no permission) goes to `unlisted(relative path)`, "" for
    /// `folder` itself, with `errno` saying why.
    public static func walk(_ folder: String, unlisted: (_ path: String) -> Void = { _ in },
                            _ visit: (_ path: String, _ name: String, _ status: stat?) -> Bool) {
        func walk(_ relative: String, within: Set<Identity>) {
            guard let names = entries(Path.join(folder, relative)) else { return unlisted(relative) }
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                let status = FileSystem.status(Path.join(folder, path))
                guard visit(path, name, status), let status, status.isDirectory else { continue }
                let identity = Identity(status)
                if !within.contains(identity) { walk(path, within: within.union([identity])) }
            }
        }
        walk("", within: status(folder).map { [Identity($0)] } ?? [])
    }

    /// Whether the path is a folder (links followed).
    public static func isDirectory(_ path: String) -> Bool {
        status(path)?.isDirectory ?? false
    }

    /// `access(2)`: 0 when the process may use the path as `mode` (`R_OK`, `W_OK`…) asks.
    public static func access(_ path: String, _ mode: Int32) -> Int32 {
        FileSystemBytes.withPath(path) { Glibc.access($0, mode) }
    }

    public static func rename(_ from: String, _ to: String) -> Int32 {
        FileSystemBytes.withPath(from) { from in FileSystemBytes.withPath(to) { Glibc.rename(from, $0) } }
    }

    @discardableResult
    public static func unlink(_ path: String) -> Int32 {
        FileSystemBytes.withPath(path) { Glibc.unlink($0) }
    }

    public static func truncate(_ path: String, _ length: off_t) -> Int32 {
        FileSystemBytes.withPath(path) { Glibc.truncate($0, length) }
    }

    /// The absolute path with every link resolved; nil when `realpath` fails.
    public static func resolve(_ path: String) -> String? {
        guard let resolved = FileSystemBytes.withPath(path, { realpath($0, nil) }) else { return nil }
        defer { free(resolved) }
        return FileSystemBytes.string(UnsafeBufferPointer(start: resolved, count: strlen(resolved)).map { UInt8(bitPattern: $0) })
    }

    /// Creates the folder and its missing parents (`mkdir -p`); a `FileError` naming the folder
    /// when one cannot be made.
    public static func createFolder(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = Path.parent(path)
        if !parent.isEmpty { try createFolder(parent) }
        guard FileSystemBytes.withPath(path, { mkdir($0, 0o755) }) == 0 || (errno == EEXIST && isDirectory(path)) else {
            throw FileError(path: path, problem: errno == EEXIST ? "exists and is not a folder" : "cannot create the folder (\(String(cString: strerror(errno))))")
        }
    }

    /// The names in a folder (not `.` and `..`), unsorted; nil when it cannot be listed.
    public static func entries(_ folder: String) -> [String]? {
        guard let directory = FileSystemBytes.withPath(folder, { opendir($0) }) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                FileSystemBytes.string(raw.prefix { $0 != 0 })
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

extension stat {
    /// Whether this is the status of a folder.
    public var isDirectory: Bool { st_mode & S_IFMT == S_IFDIR }
}
