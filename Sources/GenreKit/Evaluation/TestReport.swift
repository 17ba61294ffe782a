import Foundation

/// What `genre train` prints at the end: the best checkpoint on the test split, next to a
/// linear classifier on mean log-mel spectra trained on the same split.
public struct TestReport: Sendable {
    public let checkpoint: String
    public let arch: String
    public let labels: [String]
    public let metrics: Metrics
    /// File-level test accuracy of the linear baseline.
    public let baselineAccuracy: Double

    public init(checkpoint: String, data: TrainingData) throws {
        let (network, info) = try Checkpoint.load(path: checkpoint)
        self.checkpoint = checkpoint
        arch = info.spec.arch.rawValue
        labels = data.labels
        metrics = try Evaluation.checkedMetrics(network, data.test, mean: info.mean, std: info.std, checkpoint: checkpoint)
        baselineAccuracy = LinearBaseline.testAccuracy(data)
    }

    public var text: String {
        "test split, \(checkpoint):\n" + metrics.report(labels: labels)
            + "\n\nfile-level test accuracy: \(arch) \(String(format: "%.1f", metrics.accuracy * 100)) %, "
            + "linear classifier on the mean log-mel spectrum \(String(format: "%.1f", baselineAccuracy * 100)) %"
    }
}
