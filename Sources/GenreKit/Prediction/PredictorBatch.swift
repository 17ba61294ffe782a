import Dispatch
import Engine
import Foundation
import Synchronization

/// Batch prediction over many files: which files, in parallel, and the result rows
/// (CSV or JSON Lines) that `genre predict --out` writes as each file finishes.
extension Predictor {
    /// The files to classify: a file argument as it is; a folder searched recursively for audio
    /// extensions (hidden entries skipped, sorted). A directory named like audio is listed as an
    /// entry — it fails and is reported — rather than searched.
    public static func inputFiles(_ paths: [String]) -> [String] {
        let manager = FileManager.default
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(path)
                continue
            }
            files += search(path)
        }
        return files
    }

    private static func search(_ folder: String) -> [String] {
        let manager = FileManager.default
        var found: [String] = []
        for name in ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).sorted() where !name.hasPrefix(".") {
            let path = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: path, isDirectory: &isDirectory)
            let audio = DataSet.audioExtensions.contains((name as NSString).pathExtension.lowercased())
            if isDirectory.boolValue && !audio { found += search(path) } else if audio { found.append(path) }
        }
        return found
    }

    /// Classifies `files` on `workers` threads, each file whole on one worker; `report` is called
    /// (from the worker, one call at a time) as each file finishes, in completion order.
    /// `isCancelled` (asked under the same lock, before each file) stops the workers early.
    public func predictAll(_ files: [String], workers: Int, isCancelled: () -> Bool = { false },
                           _ report: (_ index: Int, _ result: Result<Prediction, Error>) -> Void) {
        let next = Atomic<Int>(0)
        let lock = NSLock()
        withoutActuallyEscaping(isCancelled) { isCancelled in
        withoutActuallyEscaping(report) { report in
            let shared = UncheckedSendable(report)
            let cancelled = UncheckedSendable(isCancelled)
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, files.count))) { _ in
                while true {
                    guard !lock.withLock({ cancelled.value() }) else { return }
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < files.count else { return }
                    let result = Result { try self.predict(path: files[index]) }
                    lock.withLock { shared.value(index, result) }
                }
            }
        }
        }
    }
}
