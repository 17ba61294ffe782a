import Glibc

extension Tape {
    /// Mean softmax cross-entropy of logits [N, K] against class indices, with PyTorch's label
    /// smoothing: the target is (1 − ε)·one-hot + ε/K. Returns a one-element tensor.
    ///
    /// With `classWeights` (one per class) it is PyTorch's `CrossEntropyLoss(weight=w,
    /// label_smoothing=ε)` with mean reduction: each sample's term −log p[y] is weighted by w[y],
    /// the smoothing term −Σₖ log p[k] by w[k], and the sum is divided by Σₙ w[yₙ], the sum of the
    /// weights of the batch's targets (not by N).
    public func crossEntropy(_ logits: Tensor, labels: [Int], labelSmoothing: Float = 0, classWeights: [Float]? = nil) -> Tensor {
        precondition(logits.shape.count == 2 && logits.shape[0] == labels.count,
                     "cross-entropy: logits \(logits.shape) for \(labels.count) labels")
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "cross-entropy: a label is outside 0..<\(classes)")
        precondition(classWeights.map { $0.count == classes && $0.allSatisfy { $0 >= 0 } } ?? true,
                     "cross-entropy: \(classWeights?.count ?? 0) class weights for \(classes) classes (each ≥ 0)")
        let weights = classWeights.map { $0.map(Double.init) }
        let weightSum = weights.map { w in w.reduce(0, +) } ?? Double(classes)
        // The denominator: Σₙ w[yₙ], or N without weights.
        let normaliser = weights.map { w in labels.reduce(0.0) { $0 + w[$1] } } ?? Double(batch)
        let probabilities = softmax(logits)
        let epsilon = Double(labelSmoothing)
        var total = 0.0
        for n in 0..<batch {
            let row = logits.data + n * classes
            let largest = (0..<classes).map { Double(row[$0]) }.max()!
            let logSum = largest + log((0..<classes).reduce(0.0) { $0 + exp(Double(row[$1]) - largest) })
            let smoothing = (0..<classes).reduce(0.0) { $0 + (weights?[$1] ?? 1) * (Double(row[$1]) - logSum) } / Double(classes)
            let labelLogProbability = (weights?[labels[n]] ?? 1) * (Double(row[labels[n]]) - logSum)
            total -= (1 - epsilon) * labelLogProbability + epsilon * smoothing
        }
        let loss = Tensor(shape: [1], values: [Float(normaliser > 0 ? total / normaliser : 0)], requiresGrad: needsGradient(logits))
        if loss.requiresGrad {
            let node = logits.node
            record(loss) { dLoss in
                // d/dz[n,j] = ((1−ε)·w[yₙ] + ε·Σw/K)·p[n,j] − (1−ε)·w[yₙ]·[j = yₙ] − ε·w[j]/K, over the normaliser.
                let scale = normaliser > 0 ? Double(dLoss.data[0]) / normaliser : 0
                let dLogits = node.gradient().data
                for n in 0..<batch {
                    let labelWeight = (weights?[labels[n]] ?? 1) * (1 - epsilon)
                    let probabilityScale = labelWeight + epsilon * weightSum / Double(classes)
                    for k in 0..<classes {
                        let target = epsilon * (weights?[k] ?? 1) / Double(classes) + (k == labels[n] ? labelWeight : 0)
                        let g = probabilityScale * Double(probabilities.data[n * classes + k]) - target
                        dLogits[n * classes + k] += Float(g * scale)
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
