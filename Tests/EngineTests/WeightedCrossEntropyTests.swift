import Engine
import Foundation
import XCTest

/// Class-weighted cross-entropy against PyTorch's `CrossEntropyLoss(weight=w, label_smoothing=ε)`
/// (mean reduction), written out independently here from PyTorch's definition
/// (aten/src/ATen/native/LossNLL.cpp, cross_entropy_loss_label_smoothing):
///   nll    = Σₙ w[yₙ]·(−log pₙ[yₙ]) / Σₙ w[yₙ]
///   smooth = Σₙ Σₖ w[k]·(−log pₙ[k]) / Σₙ w[yₙ]
///   loss   = (1 − ε)·nll + ε/K·smooth
final class WeightedCrossEntropyTests: XCTestCase {
    private func torchLoss(_ logits: [[Double]], _ labels: [Int], _ w: [Double], _ epsilon: Double) -> Double {
        let classes = w.count
        var nll = 0.0, smooth = 0.0, denominator = 0.0
        for (row, y) in zip(logits, labels) {
            let m = row.max()!
            let logSum = m + log(row.reduce(0) { $0 + exp($1 - m) })
            let logP = row.map { $0 - logSum }
            nll += w[y] * -logP[y]
            smooth += (0..<classes).reduce(0) { $0 + w[$1] * -logP[$1] }
            denominator += w[y]
        }
        return (1 - epsilon) * nll / denominator + epsilon / Double(classes) * smooth / denominator
    }

    private func loss(_ logits: [[Double]], _ labels: [Int], _ w: [Float]?, _ epsilon: Float) -> (Float, Tensor) {
        let x = Tensor(shape: [logits.count, logits[0].count], values: logits.flatMap { $0.map(Float.init) }, requiresGrad: true)
        let tape = Tape(mode: .training)
        let y = tape.crossEntropy(x, labels: labels, labelSmoothing: epsilon, classWeights: w)
        tape.backward(y)
        return (y.data[0], x.grad!)
    }

    func testMatchesPyTorchsDefinition() {
        var random = SeededRandom(seed: 7)
        for (batch, classes) in [(1, 2), (5, 3), (8, 10), (16, 4)] {
            let logits = (0..<batch).map { _ in (0..<classes).map { _ in Double(random.nextNormal()) * 2 } }
            let labels = (0..<batch).map { _ in Int(random.next() % UInt64(classes)) }
            let w = (0..<classes).map { _ in 0.1 + Double(random.next() % 100) / 20 }
            for epsilon in [0.0, 0.1, 0.3] {
                let (value, _) = loss(logits, labels, w.map(Float.init), Float(epsilon))
                let expected = torchLoss(logits, labels, w, epsilon)
                XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, abs(expected)), "\(batch)×\(classes) ε \(epsilon)")
            }
        }
    }

    /// A worked example: logits [[2, 0], [0, 1], [1, 1]], labels [0, 1, 1], weights [1, 3].
    /// −log p: row 0 label 0: log(1 + e⁻²) = 0.126928; row 1 label 1: log(1 + e⁻¹) = 0.313262;
    /// row 2 label 1: log 2 = 0.693147. Weighted mean: (0.126928 + 3·0.313262 + 3·0.693147) / 7
    /// = 0.449451 — dividing by the batch size (3) instead would give 1.048718.
    func testWorkedExampleDividesByTheTargetsWeights() {
        let (value, _) = loss([[2, 0], [0, 1], [1, 1]], [0, 1, 1], [1, 3], 0)
        XCTAssertEqual(value, 0.449451, accuracy: 1e-5)
    }

    /// Integer weights act like repeating each sample w[y] times (ε = 0): same loss, and each
    /// sample's gradient is w[y] times a copy's.
    func testIntegerWeightsEqualRepeatedSamples() {
        var random = SeededRandom(seed: 3)
        let classes = 4
        let logits = (0..<6).map { _ in (0..<classes).map { _ in Double(random.nextNormal()) } }
        let labels = [0, 1, 2, 3, 1, 0]
        let w: [Float] = [1, 2, 3, 1]
        var repeated: [[Double]] = [], repeatedLabels: [Int] = []
        for (row, y) in zip(logits, labels) {
            for _ in 0..<Int(w[y]) { repeated.append(row); repeatedLabels.append(y) }
        }
        let (weighted, gradient) = loss(logits, labels, w, 0)
        let (plain, plainGradient) = loss(repeated, repeatedLabels, nil, 0)
        XCTAssertEqual(weighted, plain, accuracy: 1e-6)
        var row = 0
        for (n, y) in labels.enumerated() {
            for k in 0..<classes {
                XCTAssertEqual(gradient.data[n * classes + k], w[y] * plainGradient.data[row * classes + k], accuracy: 1e-6)
            }
            row += Int(w[y])
        }
    }

    /// Weights of 1 change nothing: the same loss and gradient as without weights.
    func testUnitWeightsAreUnweighted() {
        let logits: [[Double]] = [[0.5, -1, 2], [1, 1, 0], [-2, 0.3, 0.1]]
        for epsilon: Float in [0, 0.2] {
            let (a, ga) = loss(logits, [2, 0, 1], [1, 1, 1], epsilon)
            let (b, gb) = loss(logits, [2, 0, 1], nil, epsilon)
            XCTAssertEqual(a, b, accuracy: 1e-7)
            for i in 0..<9 { XCTAssertEqual(ga.data[i], gb.data[i], accuracy: 1e-7) }
        }
    }
}
