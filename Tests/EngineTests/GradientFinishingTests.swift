import Engine
import TestSupport
import XCTest

/// A training batch norm after a depthwise or a one-channel (stem) convolution leaves its input
/// gradient unwritten, and the convolution's weight gradient writes it a row at a time, in
/// place, as it reads it (`finishing` in Depthwise.weightGradient and
/// SingleChannelConvolution.weightGradient). Every gradient, the convolution's output gradient
/// among them, must be the same bits as when the norm writes it in a pass of its own.
final class GradientFinishingTests: XCTestCase {
    private struct Gradients: Equatable {
        let input: [Float]?
        let convolutionOutput: [Float]
        let parameters: [[Float]]
    }

    /// Depthwise: x → BN → ReLU6 → depthwise 3×3 → BN → ReLU6; 20 channels (a block of 16 and
    /// one of 8 cut short on AVX-512, two of 8 and four past them on AVX2). Stem: a one-channel
    /// x (no gradient, as a network's input) → 3×3 convolution to 20 channels → BN → ReLU6.
    /// Backward from a fixed upstream gradient; 3 samples of 13×11, odd sizes for both strides'
    /// edges.
    private func run(finishing: Bool, stride: Int, stem: Bool) -> Gradients {
        PointwiseBackward.isEnabled = finishing
        defer { PointwiseBackward.isEnabled = true }
        let channels = 20
        let shape = [3, 13, 11, stem ? 1 : channels]
        var random = SeededRandom(seed: 5)
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in 2 * random.nextNormal() }, requiresGrad: !stem)
        let conv = Conv2D(inputChannels: shape[3], outputChannels: channels, kernelSize: 3, stride: stride, padding: 1,
                          groups: stem ? 1 : channels, random: &random)
        let norms = stem ? [BatchNorm(channels: channels)] : [BatchNorm(channels: channels), BatchNorm(channels: channels)]
        for norm in norms { norm.randomizeAffine(&random) }
        let tape = Tape(mode: .training)
        let convolved = conv(stem ? x : norms[0](x, tape, activationUpperBound: 6), tape)
        let y = norms.last!(convolved, tape, activationUpperBound: 6)
        let upstream = Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() })
        tape.backward(y, gradient: upstream)
        let parameters = [conv.weight] + norms.flatMap { [$0.weight, $0.bias] }
        return Gradients(input: x.grad?.values, convolutionOutput: convolved.grad!.values,
                         parameters: parameters.map { $0.value.grad!.values })
    }

    func testDepthwiseWeightGradientFinishesTheGradientAsThePassDoes() {
        assertSameGradients(stem: false)
    }

    func testStemWeightGradientFinishesTheGradientAsThePassDoes() {
        assertSameGradients(stem: true)
    }

    private func assertSameGradients(stem: Bool) {
        forEachInstructionSet { set in
            for stride in [1, 2] {
                let finished = run(finishing: true, stride: stride, stem: stem)
                let written = run(finishing: false, stride: stride, stem: stem)
                XCTAssertTrue(finished.convolutionOutput == written.convolutionOutput,
                              "\(set), stride \(stride): the convolution's output gradient differs in "
                                  + "\(zip(finished.convolutionOutput, written.convolutionOutput).filter { $0 != $1 }.count) values")
                XCTAssertTrue(finished.input == written.input, "\(set), stride \(stride): the input's gradient differs")
                for (index, (a, b)) in zip(finished.parameters, written.parameters).enumerated() {
                    XCTAssertTrue(a == b, "\(set), stride \(stride): gradient of parameter \(index) differs in \(zip(a, b).filter { $0 != $1 }.count) values")
                }
                XCTAssertTrue((written.input?.contains { $0 != 0 } ?? stem) && written.parameters.allSatisfy { $0.contains { $0 != 0 } },
                              "\(set), stride \(stride): every gradient reached")
            }
        }
    }
}
