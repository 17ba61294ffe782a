import Basics
import Files
import Glibc

/// What `genre train` prints at the end: the best checkpoint on the test split, next to a
/// linear classifier on mean log-mel spectra trained on the same split.
public struct TestReport: Sendable {
    public let checkpoint: String
    public let arch: String
    public let labels: [String]
    public let metrics: Metrics
    /// File-level test accuracy of the linear baseline.
    public let baselineAccuracy: Double
    /// ECE and NLL on the test split before and after the checkpoint's temperature.
    public let calibration: Calibration.Report

    public init(checkpoint: String, data: TrainingData) throws {
        let (network, info) = try Checkpoint.load(path: checkpoint)
        self.checkpoint = checkpoint
        arch = info.spec.arch.rawValue
        labels = data.labels
        calibration = Calibration.Report(Evaluation.windowLogits(network, data.test, mean: info.mean, std: info.std), temperature: info.temperature)
        metrics = Metrics(classes: info.labels.count, truth: data.test.labels,
                          predicted: calibration.after.map { p in p.indices.max { p[$0] < p[$1] } ?? 0 })
        let broken = calibration.after.filter { !$0.allSatisfy(\.isFinite) }.count
        guard broken == 0 else {
            throw FileError(path: checkpoint, problem: "the network's output is not finite on \(broken) of \(calibration.after.count) files")
        }
        baselineAccuracy = LinearBaseline.testAccuracy(data)
    }

    public var text: String {
        "test split, \(checkpoint):\n" + metrics.report(labels: labels)
            + "\n\nfile-level test accuracy: \(arch) \(String(cFormat: "%.1f", metrics.accuracy * 100)) %, "
            + "linear classifier on the mean log-mel spectrum \(String(cFormat: "%.1f", baselineAccuracy * 100)) %"
            + "\ntest split " + calibration.text
    }
}
