import Engine
import TestSupport
import XCTest

/// A training batch norm after a depthwise convolution leaves its input gradient unwritten, and
/// the convolution's weight gradient writes it a row at a time, in place, as it reads it
/// (Depthwise.weightGradient's `finishing`). Every gradient, the convolution's output gradient
/// among them, must be the same bits as when the norm writes it in a pass of its own.
final class DepthwiseFinishingTests: XCTestCase {
    private struct Gradients: Equatable {
        let input: [Float]
        let convolutionOutput: [Float]
        let parameters: [[Float]]
    }

    /// x → BN → ReLU6 → depthwise 3×3 (stride 1 or 2) → BN → ReLU6, backward from a fixed
    /// upstream gradient. 20 channels: a block of 16 and one of 8 cut short on AVX-512, two of 8
    /// and four past them on AVX2; 3 samples of 13×11, odd sizes for both strides' edges.
    private func run(finishing: Bool, stride: Int) -> Gradients {
        PointwiseBackward.isEnabled = finishing
        defer { PointwiseBackward.isEnabled = true }
        let shape = [3, 13, 11, 20]
        var random = SeededRandom(seed: 5)
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in 2 * random.nextNormal() }, requiresGrad: true)
        let conv = Conv2D(inputChannels: shape[3], outputChannels: shape[3], kernelSize: 3, stride: stride, padding: 1, groups: shape[3],
                          random: &random)
        let norms = [BatchNorm(channels: shape[3]), BatchNorm(channels: shape[3])]
        for norm in norms { norm.randomizeAffine(&random) }
        let tape = Tape(mode: .training)
        let convolved = conv(norms[0](x, tape, activationUpperBound: 6), tape)
        let y = norms[1](convolved, tape, activationUpperBound: 6)
        let upstream = Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() })
        tape.backward(y, gradient: upstream)
        let parameters = [conv.weight] + norms.flatMap { [$0.weight, $0.bias] }
        return Gradients(input: x.grad!.values, convolutionOutput: convolved.grad!.values,
                         parameters: parameters.map { $0.value.grad!.values })
    }

    func testWeightGradientFinishesTheGradientAsThePassDoes() {
        forEachInstructionSet { set in
            for stride in [1, 2] {
                let finished = run(finishing: true, stride: stride)
                let written = run(finishing: false, stride: stride)
                XCTAssertTrue(finished.convolutionOutput == written.convolutionOutput,
                              "\(set), stride \(stride): the convolution's output gradient differs in "
                                  + "\(zip(finished.convolutionOutput, written.convolutionOutput).filter { $0 != $1 }.count) values")
                XCTAssertTrue(finished.input == written.input, "\(set), stride \(stride): the input's gradient differs")
                for (index, (a, b)) in zip(finished.parameters, written.parameters).enumerated() {
                    XCTAssertTrue(a == b, "\(set), stride \(stride): gradient of parameter \(index) differs in \(zip(a, b).filter { $0 != $1 }.count) values")
                }
                XCTAssertTrue(written.input.contains { $0 != 0 } && written.parameters.allSatisfy { $0.contains { $0 != 0 } },
                              "\(set), stride \(stride): every gradient reached")
            }
        }
    }
}
