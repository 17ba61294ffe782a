import Engine
import TestSupport
import XCTest

/// MobileNetV2's expansion (1×1 convolution → batch norm → ReLU6) read by a depthwise 3×3
/// convolution: the depthwise backward takes the expansion's gradients in its pass from the
/// masked gradient's runs and a few small sums (Engine/Kernels/ExpansionGradients.swift). Every
/// gradient must match the norm's and the convolution's own backward to float rounding.
final class ExpansionGradientsTests: XCTestCase {
    private struct Gradients {
        let input: [Float]
        let parameters: [[Float]]
    }

    /// x → BN (→ ReLU6) → 1×1 conv (16 → 96) → BN → ReLU6 → depthwise 3×3 (`stride`) → BN → ReLU6, and with
    /// `residual` (stride 1) → 1×1 conv back to 16 → BN, plus the first norm's output: a second
    /// reader of the expansion's input, whose backward runs first. 6×64×64 pixels: 2.4 M values
    /// expanded, above `ExpansionGradients.minimumValues` (8×64×64 for 12 channels).
    /// What else reads the expansion's output or its norm's (a ReLU added to the result, recorded
    /// after the depthwise convolution: its backward runs first).
    private enum SecondReader { case none, expansion, norm }

    private func run(fused: Bool, stride: Int, residual: Bool, secondReader: SecondReader = .none, channels: Int = 16,
                     width: Int = 64) -> Gradients {
        ExpansionGradients.isEnabled = fused
        defer { ExpansionGradients.isEnabled = true }
        let (shape, hidden) = (channels == 16 ? [6, 64, width, 16] : [8, 64, width, channels], 6 * channels)
        var random = SeededRandom(seed: 5)
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in 1 + 2 * random.nextNormal() }, requiresGrad: true)
        let expand = Conv2D(inputChannels: shape[3], outputChannels: hidden, kernelSize: 1, random: &random)
        let depthwise = Conv2D(inputChannels: hidden, outputChannels: hidden, kernelSize: 3, stride: stride, padding: 1, groups: hidden,
                               random: &random)
        let project = Conv2D(inputChannels: hidden, outputChannels: shape[3], kernelSize: 1, random: &random)
        let norms = [BatchNorm(channels: shape[3]), BatchNorm(channels: hidden), BatchNorm(channels: hidden), BatchNorm(channels: shape[3])]
        for norm in norms { norm.randomizeAffine(&random) }
        let tape = Tape(mode: .training)
        // Clamped where no residual follows: the first norm's sums are then not zero by construction.
        let input = norms[0](x, tape, activationUpperBound: residual ? nil : 6)
        let expanded = expand(input, tape)
        let normed = norms[1](expanded, tape, activationUpperBound: 6)
        let filtered = norms[2](depthwise(normed, tape), tape, activationUpperBound: 6)
        var y = residual ? tape.add(norms[3](project(filtered, tape), tape), input) : filtered
        switch secondReader {
        case .none: break
        case .expansion: y = tape.add(y, tape.relu(expanded))
        case .norm: y = tape.add(y, tape.relu(normed))
        }
        let before = ExpansionGradients.finishedCount
        tape.backward(y, gradient: Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() }))
        let taken = fused && secondReader == .none
        XCTAssertEqual(ExpansionGradients.finishedCount - before, taken ? 1 : 0, "the expansion's gradients taken in the pass: \(taken)")
        let layers = [expand, depthwise] + (residual ? [project] : [])
        let parameters = layers.map { $0.weight } + norms.prefix(residual ? 4 : 3).flatMap { [$0.weight, $0.bias] }
        return Gradients(input: x.grad!.values, parameters: parameters.map { $0.value.grad!.values })
    }

    func testStrideTwo() { assertSameGradients(stride: 2, residual: false) }

    func testStrideOneWithAResidual() { assertSameGradients(stride: 1, residual: true) }

    /// An odd width (64×65, as `genre train`'s 128×130 windows give): the norm's 64-pixel blocks
    /// of sums are whole only every 64 image rows, so the pass hands dx on an image at a time.
    func testOddWidthStrideTwo() { assertSameGradients(stride: 2, residual: false, width: 65) }

    func testOddWidthStrideOneWithAResidual() { assertSameGradients(stride: 1, residual: true, width: 65) }

    /// 12 → 72 channels (MobileNetV2 at width 0.75): channels past the last vector of eight.
    func testChannelsNotAMultipleOfEight() { assertSameGradients(stride: 2, residual: false, channels: 12) }

    /// Another reader of the expansion's output or of its norm's adds to a gradient the pass would
    /// leave unwritten: the norm's and the convolution's own backward run instead.
    func testSecondReadersTurnItOff() {
        assertSameGradients(stride: 1, residual: false, secondReader: .expansion)
        assertSameGradients(stride: 1, residual: false, secondReader: .norm)
    }

    private func assertSameGradients(stride: Int, residual: Bool, secondReader: SecondReader = .none, channels: Int = 16,
                                     width: Int = 64) {
        forEachInstructionSet { set in
            let fused = run(fused: true, stride: stride, residual: residual, secondReader: secondReader, channels: channels, width: width)
            let plain = run(fused: false, stride: stride, residual: residual, secondReader: secondReader, channels: channels, width: width)
            for (name, a, b) in [("input", fused.input, plain.input)] + zip(fused.parameters, plain.parameters).enumerated().map({ ("parameter \($0)", $1.0, $1.1) }) {
                // Against the largest value: sums of many terms that cancel differ in their last bits.
                let scale = b.map(abs).max() ?? 0
                let error = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                XCTAssertGreaterThan(scale, 0, "\(set): \(name) reached")
                XCTAssertLessThanOrEqual(error, 2e-5 * scale, "\(set): \(name) off by \(error) against values up to \(scale)")
            }
        }
    }
}
