/// A training run whose loss or weights stopped being finite: it stops at once, writing nothing,
/// so the checkpoints on disk keep the last good epoch.
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let run: String
    /// 1-based.
    public let epoch: Int
    public let batch: Int
    public let problem: String

    public var description: String {
        "\(run): training diverged at epoch \(epoch), batch \(batch): \(problem); stopped without writing, "
            + "the checkpoints there keep the last good epoch (try a lower training.optimizer.lr)"
    }
}
