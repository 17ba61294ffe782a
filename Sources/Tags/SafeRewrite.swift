import Basics
import CExtendedAttributes
import Files
#if canImport(Glibc)
import Glibc
#endif

/// Changes a file so that a crash at any moment leaves either the old file or the new one:
/// the file is copied to a hidden temporary in the same folder (same owner, mode and extended
/// attributes, ACLs among them), the copy is edited and flushed to disk, then renamed over the
/// original and the folder flushed. Another hard link to the file keeps the old bytes. When
/// another program writes or replaces the file meanwhile (a player saving a rating, a tagger),
/// the copy is dropped and that program's change kept.
public enum SafeRewrite {
    /// Test hook: when this variable holds a number of seconds, the writer prints
    /// `paused <temporary>` on stderr and sleeps that long after the edited copy is flushed,
    /// before it replaces the original.
    public static let pauseVariable = "GENRE_TAG_TEST_PAUSE"

    /// Edits a copy of `path` with `edit(copyPath)`, then calls `commit()` (which may still
    /// throw to abandon the change) and replaces the file. A symbolic link is followed: the
    /// file it points to is replaced. Errors are one line naming `path`.
    public static func rewrite(_ path: String, edit: (String) throws -> Void, commit: () throws -> Void = {}) throws {
        func failure(_ problem: String) -> FileError { FileError(path: path, problem: problem) }
        func reason() -> String { String(cString: strerror(errno)) }

        guard let target = FileSystem.resolve(path) else {
            throw failure(errno == ENOENT ? FileProblem.missing(path) : "cannot resolve path (\(reason()))")
        }
        guard let info = FileSystem.status(target) else { throw failure("cannot read file (\(reason()))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw failure("not a regular file") }
        guard FileSystem.access(target, W_OK) == 0 else { throw failure("permission denied (file is not writable)") }

        let folder = Path.parent(target)
        let temporary = folder + "/.\(Path.lastComponent(target)).genre-tag-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var keep = false
        defer { if !keep { FileSystem.unlink(temporary) } }

        // The copy, with the original's owner and mode.
        let source = FileSystem.open(target, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw failure("cannot read file (\(reason()))") }
        defer { close(source) }
        let copy = FileSystem.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard copy >= 0 else {
            throw failure("cannot create a temporary file in \(folder) (\(reason()); the edited copy is made beside the file, so its folder must be writable)")
        }
        do {
            defer { close(copy) }
            try copyBytes(from: source, to: copy, path: path)
            if fchown(copy, info.st_uid, info.st_gid) != 0 {
                var mine = stat()
                guard fstat(copy, &mine) == 0, mine.st_uid == info.st_uid, mine.st_gid == info.st_gid else {
                    let whose = mine.st_uid == info.st_uid ? "group \(info.st_gid)" : "user \(info.st_uid)"
                    throw failure("cannot keep the file's owner (\(reason()); it belongs to \(whose), and the edited copy "
                        + "would not: tag it as its owner)")
                }
            }
            guard fchmod(copy, info.st_mode & 0o7777) == 0 else { throw failure("cannot keep the file's mode (\(reason()))") }
            try copyExtendedAttributes(from: source, to: copy, failure: failure)
        }

        try edit(temporary)

        let flush = FileSystem.open(temporary, O_RDONLY | O_CLOEXEC)
        guard flush >= 0, fsync(flush) == 0 else {
            if flush >= 0 { close(flush) }
            throw failure("cannot flush the edited copy (\(reason()))")
        }
        close(flush)
        if let seconds = Environment[pauseVariable].flatMap(Double.init) {
            StandardError.write("paused \(temporary)\n")
            usleep(useconds_t(seconds * 1e6))
        }
        // Renaming over a file someone else has just written would silently undo their change;
        // checked again after `commit`, which flushes a journal.
        try checkUnchanged(target, since: info, path: path)
        try commit()
        try checkUnchanged(target, since: info, path: path)
        guard FileSystem.rename(temporary, target) == 0 else { throw failure("cannot replace the file (\(reason()))") }
        keep = true
        let directory = FileSystem.open(folder, O_RDONLY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); close(directory) }
    }

    /// Throws (naming `path`) when `target` is no longer the file `before` describes: another
    /// inode at its path, or the same one with new contents, size, mode, owner or attributes.
    private static func checkUnchanged(_ target: String, since before: stat, path: String) throws {
        func same(_ a: timespec, _ b: timespec) -> Bool { a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }
        guard let now = FileSystem.status(target), now.st_dev == before.st_dev, now.st_ino == before.st_ino,
              now.st_size == before.st_size, same(now.st_mtim, before.st_mtim), same(now.st_ctim, before.st_ctim) else {
            throw changedMeanwhile(path)
        }
    }

    /// The error for a file another program wrote while it was being rewritten.
    public static func changedMeanwhile(_ path: String) -> FileError {
        FileError(path: path, problem: "was changed by another program while it was tagged; left as that program wrote it")
    }

    /// Every extended attribute of `source` set on `destination`: user attributes (a player's
    /// rating, a download's origin) and ACLs must come along, or the change is abandoned; the
    /// system gives the new file its own security label where it refuses the old one.
    private static func copyExtendedAttributes(from source: Int32, to destination: Int32, failure: (String) -> FileError) throws {
        func reason() -> String { String(cString: strerror(errno)) }
        var size = flistxattr(source, nil, 0)
        if size < 0 && (errno == ENOTSUP || errno == ENOSYS) { return }
        guard size >= 0 else { throw failure("cannot list the file's extended attributes (\(reason()))") }
        var names = [CChar](repeating: 0, count: size)
        size = flistxattr(source, &names, names.count)
        guard size >= 0 else { throw failure("cannot list the file's extended attributes (\(reason()))") }
        for bytes in names.prefix(size).split(separator: 0) {
            let name = Array(bytes) + [0]
            let label = String(decoding: bytes.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var length = fgetxattr(source, name, nil, 0)
            var value = [UInt8](repeating: 0, count: max(length, 0))
            if length > 0 { length = fgetxattr(source, name, &value, value.count) }
            guard length >= 0 else { throw failure("cannot read the extended attribute \(label) (\(reason()))") }
            if fsetxattr(destination, name, value, length, 0) != 0 && !(label.hasPrefix("security.") || label.hasPrefix("trusted.")) {
                throw failure("cannot keep the extended attribute \(label) (\(reason()))")
            }
        }
    }

    private static func copyBytes(from source: Int32, to destination: Int32, path: String) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, problem: "cannot read file (\(String(cString: strerror(errno))))")
            }
            if n == 0 { return }
            var written = 0
            while written < n {
                let m = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + written, n - written) }
                if m < 0 {
                    if errno == EINTR { continue }
                    throw FileError(path: path, problem: "cannot write the temporary copy (\(String(cString: strerror(errno))))")
                }
                written += m
            }
        }
    }
}
