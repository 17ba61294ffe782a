import Foundation

/// The files of one training run (a config's `output` folder): the one place their names live.
public struct RunFolder: Sendable, Equatable {
    public let path: String

    public init(_ path: String) { self.path = path }

    /// Best checkpoint by validation accuracy.
    public var best: String { file("best.safetensors") }
    /// Checkpoint after the last finished batch, and the training state beside it.
    public var last: String { file("last.safetensors") }
    public var state: String { file("last.state.safetensors") }
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
    public var holdsRun: Bool { FileManager.default.fileExists(atPath: state) }

    /// Removes what a previous run left, for a fresh start.
    public func clear() throws {
        for file in [best, last, state, metrics, curves] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.removeItem(atPath: file)
        }
    }

    /// The best checkpoint of the most recently modified run folder under `runs` that has one.
    public static func latestBest(under runs: String = "runs") -> String? {
        let manager = FileManager.default
        let names = (try? manager.contentsOfDirectory(atPath: runs)) ?? []
        let candidates = names.compactMap { name -> (String, Date)? in
            let folder = RunFolder((runs as NSString).appendingPathComponent(name))
            guard manager.fileExists(atPath: folder.best),
                  let modified = (try? manager.attributesOfItem(atPath: folder.path))?[.modificationDate] as? Date else { return nil }
            return (folder.best, modified)
        }
        return candidates.max { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }?.0
    }

    private func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
