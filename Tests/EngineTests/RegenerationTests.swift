import Engine
import TestSupport
import XCTest

/// Training never writes a batch norm's (→ ReLU/ReLU6) output that only convolutions read:
/// the convolution's forward and its backward recompute it from the batch norm's input
/// (Engine/Core/Regeneration.swift) a few rows at a time (the depthwise kernel's three-row
/// slots, the GEMM's blocks), and the ReLU/ReLU6 mask is recomputed from that input too. The
/// values and gradients must be the same bits as when the output is written and stays alive,
/// and the output must really be left unwritten and let go.
final class RegenerationTests: XCTestCase {
    private struct Gradients {
        let input: [Float]
        let weights: [[Float]]
        let loss: Float
    }

    /// conv → BN → ReLU6 → depthwise conv → BN → ReLU → conv → BN, summed into a loss with fixed
    /// random weights; with `keepOutputs` every batch norm's output is written and held until
    /// the backward.
    /// `input` is NHWC with 5 channels.
    /// `projectGroups` 1 projects to 7 channels, more to 2 per group.
    private func run(keepOutputs: Bool, input: [Int], stride: Int, projectGroups: Int, released: inout [Bool], written: inout [Bool]) -> Gradients {
        var random = SeededRandom(seed: 5)
        let expand = Conv2D(inputChannels: 5, outputChannels: 12, kernelSize: 1, random: &random)
        let depthwise = Conv2D(inputChannels: 12, outputChannels: 12, kernelSize: 3, stride: stride, padding: 1, groups: 12, random: &random)
        let outputs = projectGroups == 1 ? 7 : 2 * projectGroups
        let project = Conv2D(inputChannels: 12, outputChannels: outputs, kernelSize: 1, groups: projectGroups, random: &random)
        let norms = [BatchNorm(channels: 12), BatchNorm(channels: 12), BatchNorm(channels: outputs)]
        for norm in norms { norm.randomizeAffine(&random) }
        let x = Tensor(shape: input, values: (0..<input.reduce(1, *)).map { _ in random.nextNormal() * 2 }, requiresGrad: true)
        let tape = Tape(mode: .training)
        var kept: [Tensor] = []
        var watched: [() -> Bool] = []
        func normed(_ y: Tensor, _ norm: BatchNorm, _ upper: Float?) -> Tensor {
            let out = norm(y, tape, activationUpperBound: upper)
            if keepOutputs {
                _ = out.data
                kept.append(out)
            }
            weak let weakOut = out
            watched.append { weakOut == nil }
            return out
        }
        // Whether each output is written, once the convolution after it has run.
        var h = normed(expand(x, tape), norms[0], 6)
        let filtered = depthwise(h, tape)
        written = [h.isWritten]
        h = normed(filtered, norms[1], .infinity)
        let projected = project(h, tape)
        written.append(h.isWritten)
        let y = normed(projected, norms[2], nil)
        written.append(y.isWritten)
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
            var keptReleased: [Bool] = [], recomputedReleased: [Bool] = [], keptWritten: [Bool] = [], recomputedWritten: [Bool] = []
            let kept = run(keepOutputs: true, input: input, stride: stride, projectGroups: projectGroups, released: &keptReleased,
                           written: &keptWritten)
            let recomputed = run(keepOutputs: false, input: input, stride: stride, projectGroups: projectGroups, released: &recomputedReleased,
                                 written: &recomputedWritten)
            XCTAssertEqual(keptWritten, [true, true, true], "\(set): outputs read by the test are written")
            XCTAssertEqual(recomputedWritten, [false, projectGroups > 1, false],
                           "\(set): outputs are written only for a kernel that cannot recompute them (grouped 1×1)")
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

    /// A convolution's forward over a batch norm's output that was never written (recomputed
    /// block by block) gives the bits of the same convolution over the written output: 1×1 with
    /// two k-blocks (the second partial, channels past the last 16) and rows split across
    /// threads or, for a short product, columns; depthwise 3×3 at stride 1 and 2 with channels
    /// past the last 16 and rows split across threads, and with as many rows recomputed at once
    /// as the reader's slots hold (14 target rows of 7 × 320), their groups running across images.
    func testConvolutionReadsUnwrittenOutputRecomputed() {
        let cases: [(input: [Int], kernel: Int, stride: Int, outputs: Int, upper: Float)] = [
            ([2, 13, 11, 300], 1, 1, 40, 6), ([1, 4, 5, 300], 1, 1, 700, .infinity),
            ([2, 40, 40, 20], 3, 1, 20, 6), ([2, 41, 40, 24], 3, 2, 24, .infinity),
            ([4, 20, 7, 320], 3, 1, 320, 6), ([4, 40, 14, 320], 3, 2, 320, 6),
        ]
        forEachInstructionSet { set in
            for (shape, kernel, stride, outputs, upper) in cases {
                var random = SeededRandom(seed: 11)
                let channels = shape[3]
                let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() * 2 + 1 })
                let norm = BatchNorm(channels: channels)
                norm.randomizeAffine(&random)
                let depthwise = kernel == 3
                let conv = Conv2D(inputChannels: channels, outputChannels: outputs, kernelSize: kernel, stride: stride, padding: depthwise ? 1 : 0,
                                  groups: depthwise ? channels : 1, random: &random)
                let unwritten = norm(x, Tape(mode: .training), activationUpperBound: upper)
                let recomputed = conv(unwritten, Tape(mode: .training))
                XCTAssertFalse(unwritten.isWritten, "\(set) \(shape) k\(kernel)/\(stride): the convolution read the output recomputed")
                let written = norm(x, Tape(mode: .training), activationUpperBound: upper)
                XCTAssertTrue(written.values.contains(0) && written.values.contains { $0 > 0 }, "\(set): the activation clamps some values")
                let direct = conv(written, Tape(mode: .training))
                let differing = zip(recomputed.values, direct.values).filter { $0 != $1 }.count
                XCTAssertEqual(differing, 0, "\(set) \(shape) k\(kernel)/\(stride): \(differing) of \(direct.count) outputs differ")
            }
        }
    }
}
