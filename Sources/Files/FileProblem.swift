import Basics
#if canImport(Glibc)
import Glibc
#endif

/// Explains in a few words why a path cannot be read as a regular file.
public enum FileProblem {
    /// nil when the path names a readable, non-empty regular file.
    public static func check(path: String) -> String? {
        guard let st = FileSystem.status(path) else {
            return errno == ENOENT ? missing(path) : String(cString: strerror(errno))
        }
        if st.isDirectory {
            // A folder met in a search that could not list it, or one named as a file.
            guard let listing = FileSystemBytes.withPath(path, { opendir($0) }) else {
                return "cannot list the folder (\(String(cString: strerror(errno))))"
            }
            closedir(listing)
            return "is a directory, not a file"
        }
        if (st.st_mode & S_IFMT) != S_IFREG { return "not a regular file" }
        if FileSystem.access(path, R_OK) != 0 { return "permission denied" }
        if st.st_size == 0 { return "file is empty" }
        return nil
    }

    /// What is said of a path that does not exist: a stream's address (in a playlist, say) is
    /// named as such.
    public static func missing(_ path: String) -> String {
        path.contains("://") ? "no such file (a URL: only local files are read)" : "no such file"
    }

    /// A description for a path that failed to open; falls back to a generic phrase.
    public static func describe(path: String) -> String {
        check(path: path) ?? "cannot be read"
    }
}
