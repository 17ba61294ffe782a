import Engine
import TestSupport
import XCTest

/// A training batch norm after a large 1×1 convolution leaves its input gradient unwritten, and
/// the convolution's backward computes it a run of pixels at a time for both of its gradients
/// (Engine/Kernels/PointwiseBackward.swift). Every gradient must be the same bits as when the
/// norm writes it whole and the convolution reads it twice, also when another op that reads the
/// convolution's output adds to that gradient after the norm (it is written first then).
final class PointwiseBackwardTests: XCTestCase {
    private struct Gradients: Equatable {
        let input: [Float]
        let parameters: [[Float]]
    }

    /// x → BN → ReLU6 → 1×1 conv → BN → ReLU6, backward from a fixed upstream gradient: the
    /// convolution reads its input recomputed and hands its input gradient's blocks to the first
    /// norm's sums. 65 535 pixels: a last run of pixels and a last block of rows cut short; 12
    /// and 130 channels: columns past the last 16 on both sides; 8.5 M output values, above
    /// `PointwiseBackward.minimumValues`. With `secondReader`, a ReLU of the convolution's output
    /// is added to the result; recorded before the norm, its backward runs after the norm's.
    private func run(fused: Bool, secondReader: Bool, convolutionOutputGradientKept: inout Bool) -> Gradients {
        PointwiseBackward.isEnabled = fused
        defer { PointwiseBackward.isEnabled = true }
        let (shape, outChannels) = ([1, 257, 255, 12], 130)
        var random = SeededRandom(seed: 21)
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in 2 * random.nextNormal() }, requiresGrad: true)
        let conv = Conv2D(inputChannels: shape[3], outputChannels: outChannels, kernelSize: 1, random: &random)
        let norms = [BatchNorm(channels: shape[3]), BatchNorm(channels: outChannels)]
        for norm in norms { norm.randomizeAffine(&random) }
        let tape = Tape(mode: .training)
        let convolved = conv(norms[0](x, tape, activationUpperBound: 6), tape)
        let side = secondReader ? tape.relu(convolved) : nil
        let normed = norms[1](convolved, tape, activationUpperBound: 6)
        let y = side.map { tape.add(normed, $0) } ?? normed
        let upstream = Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() })
        tape.backward(y, gradient: upstream)
        convolutionOutputGradientKept = convolved.grad != nil
        let parameters = [conv.weight] + norms.flatMap { [$0.weight, $0.bias] }
        return Gradients(input: x.grad!.values, parameters: parameters.map { $0.value.grad!.values })
    }

    func testSweepGivesTheSameGradientsAsThePasses() {
        assertSameGradients(secondReader: false)
    }

    func testGradientWithASecondReaderIsWrittenFirst() {
        assertSameGradients(secondReader: true)
    }

    private func assertSameGradients(secondReader: Bool) {
        forEachInstructionSet { set in
            var (fusedKept, plainKept) = (true, false)
            let fused = run(fused: true, secondReader: secondReader, convolutionOutputGradientKept: &fusedKept)
            let plain = run(fused: false, secondReader: secondReader, convolutionOutputGradientKept: &plainKept)
            // The sweep ran and dropped the gradient it read unwritten; with a second reader the
            // gradient was written, and the convolution read it as the passes do.
            XCTAssertEqual(fusedKept, secondReader, "\(set): the sweep runs on an unwritten gradient only")
            XCTAssertTrue(plainKept, "\(set): the passes keep the convolution's output gradient")
            XCTAssertTrue(fused.input == plain.input,
                          "\(set): the input's gradient differs in \(zip(fused.input, plain.input).filter { $0 != $1 }.count) values")
            for (index, (a, b)) in zip(fused.parameters, plain.parameters).enumerated() {
                XCTAssertTrue(a == b, "\(set): gradient of parameter \(index) differs in \(zip(a, b).filter { $0 != $1 }.count) of \(a.count) values")
            }
            XCTAssertTrue(plain.input.contains { $0 != 0 } && plain.parameters.allSatisfy { $0.contains { $0 != 0 } }, "\(set): every gradient reached")
        }
    }
}
