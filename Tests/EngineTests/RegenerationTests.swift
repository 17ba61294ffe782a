import Engine
import TestSupport
import XCTest

/// Training does not keep a batch norm's output for the next convolution's backward: the
/// convolution recomputes it from the batch norm's input (Engine/Core/Regeneration.swift) a few
/// rows at a time (the depthwise kernel's three-row slots, the GEMM's k-blocks), and the
/// ReLU/ReLU6 mask is recomputed from that input too. The gradients must be the same bits as
/// when the output stays alive, and the output must really be let go.
final class RegenerationTests: XCTestCase {
    private struct Gradients {
        let input: [Float]
        let weights: [[Float]]
        let loss: Float
    }

    /// conv → BN → ReLU6 → depthwise conv → BN → ReLU → conv → BN, summed into a loss with fixed
    /// random weights; with `keepOutputs` every batch norm's output is held until the backward.
    /// `input` is NHWC with 5 channels.
    /// `projectGroups` 1 projects to 7 channels, more to 2 per group.
    private func run(keepOutputs: Bool, input: [Int], stride: Int, projectGroups: Int, released: inout [Bool]) -> Gradients {
        var random = SeededRandom(seed: 5)
        let expand = Conv2D(inputChannels: 5, outputChannels: 12, kernelSize: 1, random: &random)
        let depthwise = Conv2D(inputChannels: 12, outputChannels: 12, kernelSize: 3, stride: stride, padding: 1, groups: 12, random: &random)
        let outputs = projectGroups == 1 ? 7 : 2 * projectGroups
        let project = Conv2D(inputChannels: 12, outputChannels: outputs, kernelSize: 1, groups: projectGroups, random: &random)
        let norms = [BatchNorm(channels: 12), BatchNorm(channels: 12), BatchNorm(channels: outputs)]
        for norm in norms {
            for c in 0..<norm.weight.value.count {
                norm.weight.value.data[c] = 0.5 + random.nextUnitFloat()
                norm.bias.value.data[c] = random.nextNormal()
            }
        }
        let x = Tensor(shape: input, values: (0..<input.reduce(1, *)).map { _ in random.nextNormal() * 2 }, requiresGrad: true)
        let tape = Tape(mode: .training)
        var kept: [Tensor] = []
        var watched: [() -> Bool] = []
        func normed(_ y: Tensor, _ norm: BatchNorm, _ upper: Float?) -> Tensor {
            let out = norm(y, tape, activationUpperBound: upper)
            if keepOutputs { kept.append(out) }
            weak var weakOut = out
            watched.append { weakOut == nil }
            return out
        }
        var h = normed(expand(x, tape), norms[0], 6)
        h = normed(depthwise(h, tape), norms[1], .infinity)
        let y = normed(project(h, tape), norms[2], nil)
        h = Tensor(uninitialized: [1])
        let mix = Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() })
        var loss: Float = 0
        for i in 0..<y.count { loss += y.data[i] * mix.data[i] }
        // The first two outputs were consumed by convolutions only: gone unless kept.
        released = watched.prefix(2).map { $0() }
        tape.backward(y, gradient: mix)
        let parameters = [expand.weight, depthwise.weight, project.weight] + norms.flatMap { [$0.weight, $0.bias] }
        return Gradients(input: x.grad!.values, weights: parameters.map { $0.value.grad!.values }, loss: loss)
    }

    private func assertRecomputedOutputsGiveTheSameGradients(input: [Int], stride: Int, projectGroups: Int = 1) {
        forEachInstructionSet { set in
            var keptReleased: [Bool] = [], recomputedReleased: [Bool] = []
            let kept = run(keepOutputs: true, input: input, stride: stride, projectGroups: projectGroups, released: &keptReleased)
            let recomputed = run(keepOutputs: false, input: input, stride: stride, projectGroups: projectGroups, released: &recomputedReleased)
            XCTAssertEqual(keptReleased, [false, false], "\(set): outputs held by the test stay")
            XCTAssertEqual(recomputedReleased, [true, true], "\(set): outputs only convolutions read are not kept for the backward")
            XCTAssertEqual(kept.loss, recomputed.loss, "\(set): loss")
            XCTAssertTrue(kept.input == recomputed.input, "\(set): the input's gradient differs")
            for (index, (a, b)) in zip(kept.weights, recomputed.weights).enumerated() {
                XCTAssertTrue(a == b, "\(set): gradient of parameter \(index) differs in \(zip(a, b).filter { $0 != $1 }.count) of \(a.count) values")
            }
            XCTAssertTrue(kept.input.contains { $0 != 0 } && kept.weights.allSatisfy { $0.contains { $0 != 0 } }, "\(set): every gradient reached")
        }
    }

    func testRecomputedOutputsGiveTheSameGradientsAndAreReleased() {
        assertRecomputedOutputsGiveTheSameGradients(input: [2, 6, 5, 5], stride: 2)
    }

    /// Large enough that the 1×1 convolution's weight gradient cuts its 51 200 pixels across
    /// threads and into many k-blocks, each recomputed on its own thread; stride 1 for the
    /// depthwise kernel's row slots.
    func testRecomputedOutputsInManyBlocks() {
        assertRecomputedOutputsGiveTheSameGradients(input: [2, 160, 160, 5], stride: 1)
    }

    /// A grouped 1×1 convolution (ShuffleNet's) reads each group's channels of the recomputed rows.
    func testRecomputedOutputsForGroupedConvolution() {
        assertRecomputedOutputsGiveTheSameGradients(input: [2, 6, 5, 5], stride: 2, projectGroups: 3)
    }
}
