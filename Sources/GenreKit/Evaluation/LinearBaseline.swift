import Engine
import Features

/// The yardstick for the networks: multinomial logistic regression on each file's mean log-mel
/// spectrum (one value per mel band, standardised with the training files' statistics), trained
/// full-batch with Adam. What a network gains over it is what it learns from time and texture.
public enum LinearBaseline {
    /// File-level accuracy on the test split.
    public static func testAccuracy(_ data: TrainingData, steps: Int = 500, seed: UInt64 = 0) -> Double {
        accuracy(train: data.train, test: data.test, classes: data.labels.count, steps: steps, seed: seed)
    }

    /// Trained on the clips of `train`, scored on the clips of `test`.
    public static func accuracy(train trainSet: WindowSet, test testSet: WindowSet, classes: Int, steps: Int = 500, seed: UInt64 = 0) -> Double {
        let bands = trainSet.nMels
        func meanSpectra(_ windows: WindowSet) -> [[Float]] {
            windows.clips.map { clip in
                clip.withValues { values in
                    (0..<bands).map { m in values[(m * clip.frames)..<((m + 1) * clip.frames)].reduce(0, +) / Float(clip.frames) }
                }
            }
        }
        let train = meanSpectra(trainSet), test = meanSpectra(testSet)
        guard !train.isEmpty, !test.isEmpty else { return 0 }
        let mean = (0..<bands).map { m in train.reduce(0) { $0 + $1[m] } / Float(train.count) }
        let std = (0..<bands).map { m -> Float in
            let variance: Float = train.reduce(0) { sum, row in sum + (row[m] - mean[m]) * (row[m] - mean[m]) } / Float(train.count)
            return max(1e-6, variance.squareRoot())
        }
        func tensor(_ rows: [[Float]]) -> Tensor {
            Tensor(shape: [rows.count, bands], values: rows.flatMap { row in (0..<bands).map { (row[$0] - mean[$0]) / std[$0] } })
        }
        let (x, xTest) = (tensor(train), tensor(test))
        var random = SeededRandom(seed: seed)
        let classifier = Linear(inputFeatures: bands, outputFeatures: classes, random: &random)
        let optimizer = Adam.adamW(learningRate: 0.01, weightDecay: 0.01)
        for _ in 0..<steps {
            let tape = Tape(mode: .training)
            tape.backward(tape.crossEntropy(classifier(x, tape), labels: trainSet.labels))
            optimizer.step(classifier.parameters(prefix: ""))
            classifier.zeroGrad()
        }
        let logits = classifier(xTest, Tape(mode: .evaluation))
        let correct = testSet.labels.indices.filter { n in
            (0..<classes).max { logits.data[n * classes + $0] < logits.data[n * classes + $1] } == testSet.labels[n]
        }.count
        return Double(correct) / Double(testSet.labels.count)
    }
}
