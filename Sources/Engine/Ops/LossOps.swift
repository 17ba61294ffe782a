import Foundation

extension Tape {
    /// Mean softmax cross-entropy of logits [N, K] against class indices, with PyTorch's label
    /// smoothing: the target is (1 − ε)·one-hot + ε/K. Returns a one-element tensor.
    public func crossEntropy(_ logits: Tensor, labels: [Int], labelSmoothing: Float = 0) -> Tensor {
        precondition(logits.shape.count == 2 && logits.shape[0] == labels.count,
                     "cross-entropy: logits \(logits.shape) for \(labels.count) labels")
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "cross-entropy: a label is outside 0..<\(classes)")
        let probabilities = softmax(logits)
        var total = 0.0
        for n in 0..<batch {
            let row = logits.data + n * classes
            let largest = (0..<classes).map { Double(row[$0]) }.max()!
            let logSum = largest + log((0..<classes).reduce(0.0) { $0 + exp(Double(row[$1]) - largest) })
            let meanLogProbability = (0..<classes).reduce(0.0) { $0 + Double(row[$1]) - logSum } / Double(classes)
            let labelLogProbability = Double(row[labels[n]]) - logSum
            total -= (1 - Double(labelSmoothing)) * labelLogProbability + Double(labelSmoothing) * meanLogProbability
        }
        let loss = Tensor(shape: [1], values: [Float(total / Double(batch))], requiresGrad: needsGradient(logits))
        if loss.requiresGrad {
            let node = logits.node
            record(loss) { dLoss in
                let scale = dLoss.data[0] / Float(batch)
                let uniform = labelSmoothing / Float(classes)
                let dLogits = node.gradient().data
                for n in 0..<batch {
                    for k in 0..<classes {
                        let target = uniform + (k == labels[n] ? 1 - labelSmoothing : 0)
                        dLogits[n * classes + k] += (probabilities.data[n * classes + k] - target) * scale
                    }
                }
            }
        }
        return loss
    }
}

/// Row-wise softmax of [N, K] logits (no gradient: for predictions and the loss).
public func softmax(_ logits: Tensor) -> Tensor {
    precondition(logits.shape.count == 2, "softmax wants [N, K] logits, got \(logits.shape)")
    let (batch, classes) = (logits.shape[0], logits.shape[1])
    let result = Tensor(uninitialized: logits.shape)
    for n in 0..<batch {
        let (row, out) = (logits.data + n * classes, result.data + n * classes)
        let largest = (0..<classes).map { row[$0] }.max()!
        var sum: Float = 0
        for k in 0..<classes {
            out[k] = exp(row[k] - largest)
            sum += out[k]
        }
        for k in 0..<classes { out[k] /= sum }
    }
    return result
}
