import Engine
import TestSupport
import XCTest

/// Evaluation-mode fusion: a Sequential's conv → batch norm (→ ReLU / ReLU6) runs as one
/// `conv2dBatchNorm` and gives what the three separate ops give, for every convolution path
/// (pointwise GEMM with column and row splits, im2col, grouped, depthwise 3×3 strides 1 and 2,
/// channel counts with and without a vector tail, GEMM edge tiles).
final class FusionTests: XCTestCase {
    private var random = SeededRandom(seed: 77)

    private func randomTensor(_ shape: [Int], scale: Float = 1, offset: Float = 0) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() * scale + offset })
    }

    private func batchNorm(_ channels: Int) -> BatchNorm {
        let norm = BatchNorm(channels: channels)
        for (parameter, scale, offset) in [(norm.weight, Float(0.5), Float(1)), (norm.bias, 0.5, 0), (norm.runningMean, 0.3, 0.1)] {
            parameter.value.data.update(from: randomTensor([channels], scale: scale, offset: offset).data, count: channels)
        }
        for c in 0..<channels { norm.runningVariance.value.data[c] = 0.2 + random.nextUnitFloat() }
        return norm
    }

    func testFusedMatchesSeparateOps() {
        forEachInstructionSet { checkFusedMatchesSeparateOps(label: $0.rawValue) }
    }

    private func checkFusedMatchesSeparateOps(label set: String) {
        // (batch, height, width, in, out, kernel, stride, padding, groups)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (2, 9, 7, 13, 37, 1, 1, 0, 1),     // pointwise, edge tiles, row split
            (1, 2, 3, 24, 200, 1, 1, 0, 1),    // pointwise, column split
            (2, 6, 6, 16, 48, 1, 1, 0, 1),     // pointwise, whole tiles of 32 and 16 columns
            (3, 11, 10, 1, 32, 3, 2, 1, 1),    // stem: im2col
            (2, 8, 8, 12, 18, 1, 1, 0, 3),     // grouped pointwise
            (2, 7, 9, 6, 12, 3, 1, 1, 3),      // grouped 3×3
            (2, 10, 9, 20, 20, 3, 1, 1, 20),   // depthwise, vector tail
            (2, 9, 13, 24, 24, 3, 1, 1, 24),   // depthwise, 16 + 8 channels (AVX-512 and AVX2 blocks)
            (1, 9, 12, 96, 96, 3, 2, 1, 96),   // depthwise stride 2
            (2, 1, 1, 5, 7, 3, 1, 1, 1),       // all padding
        ]
        for (batch, height, width, inC, outC, kernel, stride, padding, groups) in cases {
            for activation in [nil, "relu", "relu6"] as [String?] {
                var scratch = SeededRandom(seed: random.next())
                let conv = Conv2D(inputChannels: inC, outputChannels: outC, kernelSize: kernel, stride: stride, padding: padding,
                                  groups: groups, random: &scratch)
                let norm = batchNorm(outC)
                var layers: [any Layer] = [conv, norm]
                if activation == "relu" { layers.append(ReLU()) }
                if activation == "relu6" { layers.append(ReLU6()) }
                let x = randomTensor([batch, height, width, inC], scale: 3)
                let fused = Sequential(layers)(x, Tape(mode: .evaluation))
                let separate = layers.reduce(x) { y, layer in layer(y, Tape(mode: .evaluation)) }
                let label = "\(set) k\(kernel) s\(stride) g\(groups) \(inC)→\(outC) \(activation ?? "none")"
                XCTAssertEqual(fused.shape, separate.shape, label)
                var worst: Float = 0
                for i in 0..<fused.count { worst = max(worst, abs(fused.data[i] - separate.data[i]) / max(1, abs(separate.data[i]))) }
                XCTAssertLessThanOrEqual(worst, 1e-6, label)
                if activation == "relu6" { XCTAssertTrue(fused.values.allSatisfy { (0...6).contains($0) }, label) }
            }
        }
    }

    /// Training fuses only batch norm + activation: same output, same gradients of the input,
    /// the conv weight and the batch-norm parameters, same running statistics as separate ops.
    func testTrainingBatchNormActivationMatchesSeparateOps() {
        for (activation, upper) in [(ReLU6() as any Layer, Float(6)), (ReLU(), .infinity)] {
            var scratch = SeededRandom(seed: random.next())
            let conv = Conv2D(inputChannels: 5, outputChannels: 12, kernelSize: 3, stride: 2, padding: 1, random: &scratch)
            let x = Tensor(shape: [3, 7, 6, 5], values: randomTensor([3, 7, 6, 5], scale: 3).values, requiresGrad: true)
            let upstream = randomTensor([3, 4, 3, 12], scale: 2)
            func run(fused: Bool) -> (y: [Float], dx: [Float], dw: [Float], dGamma: [Float], dBeta: [Float], mean: [Float], variance: [Float]) {
                let norm = BatchNorm(channels: 12)
                norm.weight.value.data.update(repeating: 4, count: 12)  // wide enough to reach 6
                conv.zeroGrad()
                x.grad = nil
                let tape = Tape(mode: .training)
                let y: Tensor
                if fused {
                    y = Sequential([conv, norm, activation])(x, tape)
                    XCTAssertEqual(tape.recordedCount, 2)
                } else {
                    y = activation(norm(conv(x, tape), tape), tape)
                    XCTAssertEqual(tape.recordedCount, 3)
                }
                XCTAssertEqual(norm.batchesTracked.value.data[0], 1)
                tape.backward(y, gradient: upstream)
                return (y.values, x.grad!.values, conv.weight.grad!.values, norm.weight.grad!.values, norm.bias.grad!.values,
                        norm.runningMean.value.values, norm.runningVariance.value.values)
            }
            let (fused, separate) = (run(fused: true), run(fused: false))
            XCTAssertEqual(fused.y, separate.y, "output, bound \(upper)")
            XCTAssertTrue(fused.y.contains(0) && (upper > 6 || fused.y.contains(6)), "the clamp is exercised")
            XCTAssertEqual(fused.dx, separate.dx, "input gradient, bound \(upper)")
            XCTAssertEqual(fused.dw, separate.dw, "conv weight gradient, bound \(upper)")
            XCTAssertEqual(fused.dGamma, separate.dGamma)
            XCTAssertEqual(fused.dBeta, separate.dBeta)
            XCTAssertEqual(fused.mean, separate.mean)
            XCTAssertEqual(fused.variance, separate.variance)
        }
    }
}

final class InferTests: XCTestCase {
    /// `infer` runs a batch a few samples at a time up to the pooling (the first output whose
    /// whole batch fits one pass), the last convolution on the whole batch, and gives what one
    /// pass gives.
    func testMicroBatchesMatchOnePass() {
        var random = SeededRandom(seed: 9)
        let network = Sequential([
            Conv2D(inputChannels: 2, outputChannels: 24, kernelSize: 3, stride: 2, padding: 1, random: &random), BatchNorm(channels: 24), ReLU6(),
            Conv2D(inputChannels: 24, outputChannels: 24, kernelSize: 3, stride: 1, padding: 1, groups: 24, random: &random), BatchNorm(channels: 24),
            AvgPool2D(kernel: 5, stride: 5, padding: 0),
            Conv2D(inputChannels: 24, outputChannels: 7, kernelSize: 1, random: &random), BatchNorm(channels: 7),
        ])
        let x = Tensor(shape: [11, 10, 10, 2], values: (0..<2200).map { _ in random.nextNormal() })
        let whole = network(x, Tape(mode: .evaluation))
        let pieces = network.infer(x, passValues: 3 * 200)  // passes of 3, 3, 3, 2 samples
        XCTAssertEqual(pieces.shape, whole.shape)
        XCTAssertEqual(pieces.shape, [11, 1, 1, 7])
        let worst = zip(pieces.values, whole.values).map { abs($0 - $1) / max(1, abs($1)) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-6)
        XCTAssertEqual(network.infer(x, passValues: 1 << 20).values, whole.values, "one pass when the batch fits")
    }
}
