import Basics
import Glibc
import GenreKit

/// Training's voice on stderr: a live progress bar on a terminal, one plain line per epoch in a log.
final class TrainingStatus: @unchecked Sendable {
    let interactive = StandardError.isTerminal
    /// Prints nothing (the ranks of a data-parallel job but the first).
    let silent: Bool
    private let lock = Lock()

    init(silent: Bool = false) { self.silent = silent }

    func log(_ line: String) { write(line + "\n") }

    func counter(_ what: String, _ done: Int, _ total: Int) {
        guard interactive || done == total else { return }
        write((interactive ? "\r\u{1B}[K" : "") + "\(what): \(done)/\(total)" + (done == total ? "\n" : ""))
    }

    func batch(_ p: BatchProgress) {
        guard interactive else { return }
        let width = 24
        let filled = width * p.batch / max(p.batches, 1)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        write("\r\u{1B}[Kepoch \(p.epoch)/\(p.epochs) \(bar) \(p.batch)/\(p.batches) loss \(String(cFormat: "%.3f", p.loss)) "
            + "acc \(String(cFormat: "%.1f", p.accuracy * 100)) % \(String(cFormat: "%.0f", p.samplesPerSecond)) samples/s ETA \(duration(p.secondsLeft))")
    }

    func epoch(_ r: EpochRecord) {
        write((interactive ? "\r\u{1B}[K" : "") + "epoch \(r.epoch): loss \(String(cFormat: "%.4f", r.trainLoss)) "
            + "train acc \(String(cFormat: "%.1f", r.trainAccuracy * 100)) % val acc \(String(cFormat: "%.1f", r.validationAccuracy * 100)) % "
            + "lr \(String(cFormat: "%.2e", r.learningRate)) \(String(cFormat: "%.1f", r.seconds)) s \(String(cFormat: "%.0f", r.samplesPerSecond)) samples/s"
            + (r.isBest ? " (best)" : "") + "\n")
    }

    private func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(cFormat: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(cFormat: "%d:%02d", s / 60, s % 60)
    }

    private func write(_ text: String) {
        guard !silent else { return }
        lock.withLock { StandardError.write(text) }
    }
}
