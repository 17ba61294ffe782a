import Basics
import Dispatch
import Engine
import Glibc
import Synchronization

/// Batch prediction over many files: which files, in parallel, and the result rows
/// (CSV or JSON Lines) that `genre predict --out` writes as each file finishes.
extension Predictor {
    /// Classifies `files` on `workers` threads, each file whole on one worker; `report` is called
    /// (from the worker, one call at a time) as each file finishes, in completion order.
    /// `isCancelled` (asked under the same lock, before each file) stops the workers early.
    public func predictAll(_ files: [String], workers: Int, isCancelled: () -> Bool = { false },
                           _ report: (_ index: Int, _ result: Result<Prediction, Error>) -> Void) {
        let next = Atomic<Int>(0)
        let lock = Lock()
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
