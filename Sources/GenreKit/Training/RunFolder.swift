import Basics
import Files
import FoundationEssentials
import Glibc
import SafeTensors

/// The files of one training run (a config's `output` folder): the one place their names live.
public struct RunFolder: Sendable, Equatable {
    public let path: String

    public init(_ path: String) { self.path = path }

    /// Best checkpoint by validation accuracy.
    public var best: String { file("best.safetensors") }
    /// Checkpoint after the last finished batch, and the training state beside it.
    public var last: String { file("last.safetensors") }
    public var state: String { file("last.state.safetensors") }
    /// The next state while `last.safetensors` is being replaced (see `commitPendingState`).
    public var pendingState: String { file("last.state.safetensors.pending") }
    /// Held (flock) by the `genre train` using the folder.
    public var lockFile: String { file("train.lock") }
    /// One JSON line per epoch.
    public var metrics: String { file("metrics.jsonl") }
    /// Training loss, validation accuracy and macro F1 and learning rate per epoch, redrawn after
    /// every epoch.
    public var curves: String { file("curves.png") }
    /// `genre eval`'s confusion-matrix image.
    public var confusion: String { file("confusion.png") }
    /// `genre eval`'s reliability diagram (before and after temperature scaling).
    public var reliability: String { file("reliability.png") }

    /// True when a run was started here (its training state exists).
    public var holdsRun: Bool { FileSystem.exists(state) || FileSystem.exists(pendingState) }

    /// True when nothing of a run was saved here yet (no checkpoint, state or metrics): a run
    /// killed before its first epoch ended.
    public var holdsNothingSaved: Bool {
        [best, last, state, pendingState, metrics].allSatisfy { !FileSystem.exists($0) }
    }

    /// Removes what a previous run left, for a fresh start.
    public func clear() throws {
        for file in [best, last, state, pendingState, metrics, curves] {
            guard FileSystem.unlink(file) == 0 || errno == ENOENT else {
                throw FileError(path: file, problem: "cannot remove it to start over (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// Renames the pending state over `last.state.safetensors`: the last step of writing the pair.
    public func commitPendingState() throws {
        guard FileSystem.rename(pendingState, state) == 0 else {
            throw FileError(path: state, problem: "cannot replace the training state (\(String(cString: strerror(errno))))")
        }
        let folder = FileSystem.open(path, O_RDONLY)
        if folder >= 0 { fsync(folder); close(folder) }
    }

    /// After a kill while the pair was written: a pending state that belongs to `last.safetensors`
    /// (same epoch and batch) is committed; one that does not (the kill came before the
    /// checkpoint was replaced) is dropped, leaving the previous pair.
    public func completePendingState() throws {
        guard FileSystem.exists(pendingState) else { return }
        let pending = try? SafeTensorsFile(contentsOf: pendingState)
        let weights = try? SafeTensorsFile(contentsOf: last)
        if let pending, let weights, pending.metadata["epoch"] != nil,
           pending.metadata["epoch"] == weights.metadata["epoch"], pending.metadata["batch"] == weights.metadata["batch"] {
            try commitPendingState()
        } else if FileSystem.unlink(pendingState) != 0 {
            throw FileError(path: pendingState, problem: "cannot remove an unfinished training state (\(String(cString: strerror(errno))))")
        }
    }

    /// Takes the folder for one `genre train` (creating it): an advisory lock on `train.lock`,
    /// released when the returned object is released or the process ends in any way. A folder
    /// in use is an error naming it.
    public func lock() throws -> RunLock {
        try FileSystem.createFolder(path)
        return try RunLock(path: lockFile, folder: path)
    }

    /// As `lock`, but only when the folder exists already (nothing is created); nil otherwise.
    public func lockIfPresent() throws -> RunLock? {
        guard FileSystem.isDirectory(path) else { return nil }
        return try RunLock(path: lockFile, folder: path)
    }

    /// The best checkpoint of the most recently modified run folder under `runs` that has one.
    public static func latestBest(under runs: String = "runs") -> String? {
        // (modified seconds, nanoseconds, checkpoint): the newest, ties by name.
        let candidates = (FileSystem.entries(runs) ?? []).compactMap { name -> (Int, Int, String)? in
            let folder = RunFolder(Path.join(runs, name))
            guard FileSystem.exists(folder.best), let status = FileSystem.status(folder.path) else { return nil }
            return (status.st_mtim.tv_sec, status.st_mtim.tv_nsec, folder.best)
        }
        return candidates.max { $0 < $1 }?.2
    }

    private func file(_ name: String) -> String { Path.join(path, name) }
}

/// An exclusive flock on a run folder's lock file, held while this object lives (and dropped by
/// the kernel when the process dies, however it dies). The file holds the owner's process id.
public final class RunLock {
    private let fd: Int32

    init(path: String, folder: String) throws {
        let fd = FileSystem.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileError(path: path, problem: "cannot create the lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            guard busy else { throw FileError(path: path, problem: "cannot lock (\(reason))") }
            let owner = Int(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).trimmingWhitespace())
            throw FileError(path: folder, problem: "in use by another 'genre train'\(owner.map { " (process \($0))" } ?? ""); "
                + "wait for it to finish or stop it, then --resume")
        }
        self.fd = fd
        // The owner's pid, for the message above; a full disk only loses the pid.
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
