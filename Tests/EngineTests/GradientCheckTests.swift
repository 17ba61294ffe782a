import Engine
import XCTest

/// Finite-difference checks of every op's backward at random (often odd) shapes, strides 1
/// and 2: the objective is Σ y·r for a random r, differentiated numerically in each input
/// coordinate (central differences, Double accumulation) and compared with the tape's gradient.
final class GradientCheckTests: XCTestCase {
    private var random = SeededRandom(seed: 2024)

    func testConvolutions() {
        for trial in 0..<6 {
            let stride = 1 + trial % 2
            let batch = 1 + trial % 2, height = 3 + Int(random.next() % 6), width = 3 + Int(random.next() % 6)
            let (inC, outC) = (1 + Int(random.next() % 4), 1 + Int(random.next() % 5))
            // Standard 3×3 (im2col), pointwise (GEMM), grouped 3×3 and 1×1, depthwise.
            let cases: [(in: Int, out: Int, kernel: Int, padding: Int, groups: Int, stride: Int)] = [
                (inC, outC, 3, 1, 1, stride), (inC, outC, 1, 0, 1, 1), (2 * inC, 2 * outC, 3, 1, 2, stride),
                (3 * inC, 3 * outC, 1, 0, 3, 1), (inC + 8, inC + 8, 3, 1, inC + 8, stride), (inC, outC, 5, 2, 1, stride),
            ]
            for c in cases {
                let x = randomTensor([batch, height, width, c.in])
                let w = randomTensor([c.kernel, c.kernel, c.in / c.groups, c.out])
                checkGradients("conv k\(c.kernel) s\(c.stride) g\(c.groups) \(x.shape)", [x, w]) {
                    $0.conv2d($1[0], $1[1], stride: c.stride, padding: c.padding, groups: c.groups)
                }
            }
        }
    }

    func testBatchNormInTraining() {
        for shape in [[2, 3, 5, 4], [3, 1, 1, 9], [5, 7]] {
            let channels = shape.last!
            let (mean, variance) = (Tensor(zeros: [channels]), Tensor(zeros: [channels]))
            checkGradients("batch norm \(shape)", [randomTensor(shape), randomTensor([channels]), randomTensor([channels])]) {
                $0.batchNorm($1[0], weight: $1[1], bias: $1[2], runningMean: mean, runningVariance: variance)
            }
        }
    }

    func testActivationsAwayFromTheirKinks() {
        for shape in [[2, 3, 5, 7], [1, 4, 4, 31]] {
            checkGradients("relu \(shape)", [spreadTensor(shape)]) { $0.relu($1[0]) }
            checkGradients("relu6 \(shape)", [spreadTensor(shape)]) { $0.relu6($1[0]) }
            checkGradients("dropout \(shape)", [randomTensor(shape)]) { $0.dropout($1[0], probability: 0.3) }
        }
    }

    func testPooling() {
        for (shape, stride) in [([2, 7, 6, 3], 2), ([1, 5, 9, 10], 1), ([2, 8, 8, 5], 2)] {
            checkGradients("average pool \(shape) s\(stride)", [randomTensor(shape)]) {
                $0.averagePool2d($1[0], kernel: 3, stride: stride, padding: 1)
            }
            checkGradients("max pool \(shape) s\(stride)", [spreadTensor(shape)]) {
                $0.maxPool2d($1[0], kernel: 3, stride: stride, padding: 1)
            }
            checkGradients("global average pool \(shape)", [randomTensor(shape)]) { $0.globalAveragePool($1[0]) }
        }
    }

    func testChannelOpsAndAdd() {
        let shape = [2, 3, 5, 6]
        checkGradients("add", [randomTensor(shape), randomTensor(shape)]) { $0.add($1[0], $1[1]) }
        checkGradients("add to itself", [randomTensor(shape)]) { $0.add($1[0], $1[0]) }
        checkGradients("channel shuffle", [randomTensor(shape)]) { $0.channelShuffle($1[0], groups: 3) }
        checkGradients("concat", [randomTensor(shape), randomTensor([2, 3, 5, 3])]) { $0.concatChannels([$1[0], $1[1]]) }
        checkGradients("split", [randomTensor(shape)]) { tape, inputs in
            let parts = tape.splitChannels(inputs[0], sizes: [2, 4])
            return tape.concatChannels([tape.relu6(parts[1]), parts[0]])
        }
    }

    func testLinearAndCrossEntropy() {
        for (batch, inputs, outputs) in [(3, 7, 4), (1, 33, 17), (5, 2, 9)] {
            checkGradients("linear \(batch)×\(inputs)→\(outputs)",
                           [randomTensor([batch, inputs]), randomTensor([outputs, inputs]), randomTensor([outputs])]) {
                $0.linear($1[0], weight: $1[1], bias: $1[2])
            }
            let labels = (0..<batch).map { _ in Int(random.next() % UInt64(outputs)) }
            let weights = (0..<outputs).map { _ in 0.2 + Float(random.next() % 1000) / 250 }
            for smoothing: Float in [0, 0.1] {
                checkGradients("cross-entropy \(batch)×\(outputs) ε \(smoothing)", [randomTensor([batch, outputs])]) {
                    $0.crossEntropy($1[0], labels: labels, labelSmoothing: smoothing)
                }
                checkGradients("weighted cross-entropy \(batch)×\(outputs) ε \(smoothing)", [randomTensor([batch, outputs])]) {
                    $0.crossEntropy($1[0], labels: labels, labelSmoothing: smoothing, classWeights: weights)
                }
            }
        }
    }

    // MARK: - Helpers

    private func randomTensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() }, requiresGrad: true)
    }

    /// Distinct values at least 0.1 apart, none near 0 or 6: finite differences never cross
    /// a kink or change a maximum.
    private func spreadTensor(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        var values = (0..<count).map { (Float($0) - Float(count / 2)) * 0.1 + 0.037 }
        values.shuffle(using: &random)
        return Tensor(shape: shape, values: values, requiresGrad: true)
    }

    private func checkGradients(_ label: String, _ inputs: [Tensor], step: Float = 1e-2, tolerance: Double = 5e-3,
                                file: StaticString = #filePath, line: UInt = #line, _ f: (Tape, [Tensor]) -> Tensor) {
        let tapeSeed: UInt64 = 99  // the same dropout mask in every forward
        let tape = Tape(mode: .training, seed: tapeSeed)
        let y = f(tape, inputs)
        let upstream = Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() })
        tape.backward(y, gradient: upstream)
        func objective() -> Double {
            let output = f(Tape(mode: .training, seed: tapeSeed), inputs)
            return (0..<output.count).reduce(0.0) { $0 + Double(output.data[$1]) * Double(upstream.data[$1]) }
        }
        for (index, input) in inputs.enumerated() {
            guard let analytic = input.grad else { return XCTFail("\(label): no gradient for input \(index)", file: file, line: line) }
            var worst = 0.0
            for i in sampledIndices(input.count) {
                let original = input.data[i]
                input.data[i] = original + step
                let plus = objective()
                input.data[i] = original - step
                let minus = objective()
                input.data[i] = original
                let numeric = (plus - minus) / Double(2 * step)
                worst = max(worst, abs(numeric - Double(analytic.data[i])) / (1 + abs(numeric)))
            }
            XCTAssertLessThan(worst, tolerance, "\(label): input \(index) gradient off by \(worst)", file: file, line: line)
        }
    }

    /// Every index of small tensors, 40 random ones of larger tensors.
    private func sampledIndices(_ count: Int) -> [Int] {
        count <= 40 ? Array(0..<count) : (0..<40).map { _ in Int(random.next() % UInt64(count)) }
    }
}
