import Engine
import Files
import Models

/// File-level classification of prepared windows (docs/contracts.md §2): each window normalised and
/// run in evaluation mode, a clip's probabilities the mean of its windows' softmax.
public enum Evaluation {
    /// Mean window probabilities of every clip in `windows`, [clips][classes]; with `clips`, only
    /// of the clips it accepts (the others' rows stay zero).
    public static func clipProbabilities(_ network: Network, _ windows: WindowSet, mean: Float, std: Float,
                                         batchSize: Int = 32, clips: ((Int) -> Bool)? = nil) -> [[Float]] {
        let classes = network.spec.classes
        var sums = [[Float]](repeating: [Float](repeating: 0, count: classes), count: windows.clips.count)
        var counts = [Int](repeating: 0, count: windows.clips.count)
        let size = windows.nMels * windows.width
        var window = [Float](repeating: 0, count: size)
        let items = clips.map { accepts in windows.windows.filter { accepts($0.clip) } } ?? windows.windows
        // The network does not change during the call: its 1×1 weights are packed once.
        let packedWeights = PackedWeights()
        for start in stride(from: 0, to: items.count, by: batchSize) {
            let batch = Array(items[start..<min(start + batchSize, items.count)])
            let input = Tensor(uninitialized: [batch.count, windows.nMels, windows.width, 1])
            for (n, item) in batch.enumerated() {
                windows.copy(item, into: &window, mean: mean, std: std)
                window.withUnsafeBufferPointer { input.data.advanced(by: n * size).update(from: $0.baseAddress!, count: size) }
            }
            let probabilities = softmax(network.infer(input, packedWeights: packedWeights))
            for (n, item) in batch.enumerated() {
                for k in 0..<classes { sums[item.clip][k] += probabilities.data[n * classes + k] }
                counts[item.clip] += 1
            }
        }
        return zip(sums, counts).map { sum, count in sum.map { $0 / Float(max(count, 1)) } }
    }

    /// As `metrics`, but a network output that is not finite (a damaged checkpoint) is an error
    /// naming `checkpoint` instead of a meaningless score.
    public static func checkedMetrics(_ network: Network, _ windows: WindowSet, mean: Float, std: Float, batchSize: Int = 32,
                                      checkpoint: String) throws -> Metrics {
        let probabilities = clipProbabilities(network, windows, mean: mean, std: std, batchSize: batchSize)
        let broken = probabilities.filter { !$0.allSatisfy(\.isFinite) }.count
        guard broken == 0 else {
            throw FileError(path: checkpoint, problem: "the network's output is not finite on \(broken) of \(probabilities.count) files")
        }
        return Metrics(classes: network.spec.classes, truth: windows.labels,
                       predicted: probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 })
    }

    /// Accuracy, per-class scores and confusion of the clips' arg-max predictions.
    public static func metrics(_ network: Network, _ windows: WindowSet, mean: Float, std: Float, batchSize: Int = 32) -> Metrics {
        let predicted = clipProbabilities(network, windows, mean: mean, std: std, batchSize: batchSize).map { row in
            row.indices.max { row[$0] < row[$1] } ?? 0
        }
        return Metrics(classes: network.spec.classes, truth: windows.labels, predicted: predicted)
    }
}
