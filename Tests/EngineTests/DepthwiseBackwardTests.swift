import Engine
import TestSupport
import XCTest

/// A depthwise convolution's backward takes its weight and input gradients in one pass
/// (`DepthwiseBackward`): each thread's rows a group at a time, dy's rows next to the cuts between
/// threads finished first. Every gradient must be the same bits as the two passes', on each
/// instruction set, at both strides, with one, two and three threads (a middle chunk has cuts on
/// both sides).
final class DepthwiseBackwardTests: XCTestCase {
    private struct Gradients: Equatable {
        let input: [Float]
        let convolutionOutput: [Float]
        let parameters: [[Float]]
    }

    /// (name, input shape, a batch norm → ReLU6 before the convolution, one after it). Before:
    /// the first norm's backward sums are taken on dx's blocks (whose cuts must fall on the
    /// 64-pixel blocks: 16 columns, 4 rows a block). After: dy arrives unfinished and is finished
    /// row by row. 20 channels: a block of 16 and 4 past it on AVX-512, two of 8 and 4 on AVX2.
    private let cases: [(String, [Int], Bool, Bool)] = [
        ("norms on both sides", [8, 12, 16, 20], true, true),
        ("a norm before", [8, 12, 16, 20], true, false),
        ("a norm after, odd sizes", [12, 13, 11, 20], false, true),
    ]

    private func run(_ shape: [Int], normBefore: Bool, normAfter: Bool, stride: Int, onePass: Bool) -> Gradients {
        DepthwiseBackward.isEnabled = onePass
        defer { DepthwiseBackward.isEnabled = true }
        let channels = shape[3]
        var random = SeededRandom(seed: 11)
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in 2 * random.nextNormal() }, requiresGrad: true)
        let conv = Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: stride, padding: 1, groups: channels,
                          random: &random)
        let before = BatchNorm(channels: channels), after = BatchNorm(channels: channels)
        before.randomizeAffine(&random)
        after.randomizeAffine(&random)
        let tape = Tape(mode: .training)
        let convolved = conv(normBefore ? before(x, tape, activationUpperBound: 6) : x, tape)
        let y = normAfter ? after(convolved, tape, activationUpperBound: 6) : convolved
        tape.backward(y, gradient: Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() }))
        let parameters = [conv.weight] + (normBefore ? [before.weight, before.bias] : []) + (normAfter ? [after.weight, after.bias] : [])
        return Gradients(input: x.grad!.values, convolutionOutput: convolved.grad!.values, parameters: parameters.map { $0.value.grad!.values })
    }

    /// Padding 0 or 2 (a row of dx reads dy's rows outside the one pass's reach), and cuts between
    /// the threads that would split the norm's 64-pixel blocks of dx (13 rows of 11 pixels, the
    /// norm before the convolution): the two passes run, and give the gradients.
    func testOtherGeometriesTakeTwoPasses() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 2
        for (name, shape, padding, normBefore) in [("padding 0", [8, 12, 16, 20], 0, false), ("padding 2", [8, 12, 16, 20], 2, false),
                                                  ("cuts inside the sums' blocks", [12, 13, 11, 20], 1, true)] {
            var random = SeededRandom(seed: 3)
            let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() }, requiresGrad: true)
            let conv = Conv2D(inputChannels: 20, outputChannels: 20, kernelSize: 3, stride: 1, padding: padding, groups: 20, random: &random)
            let norm = BatchNorm(channels: 20)
            let passes = DepthwiseBackward.onePassCount
            let tape = Tape(mode: .training)
            let y = conv(normBefore ? norm(x, tape, activationUpperBound: 6) : x, tape)
            tape.backward(y, gradient: Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() }))
            XCTAssertEqual(DepthwiseBackward.onePassCount, passes, "\(name): two passes")
            XCTAssertTrue(x.grad!.values.contains { $0 != 0 } && conv.weight.value.grad!.values.contains { $0 != 0 }, name)
        }
    }

    func testOnePassGivesTheTwoPassesGradients() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        forEachInstructionSet { set in
            for (name, shape, normBefore, normAfter) in cases {
                for stride in [1, 2] {
                    for count in [1, 2, 3] {
                        Parallel.threadCount = count
                        let label = "\(set), \(name), stride \(stride), \(count) threads"
                        let passes = DepthwiseBackward.onePassCount
                        let onePass = run(shape, normBefore: normBefore, normAfter: normAfter, stride: stride, onePass: true)
                        XCTAssertEqual(DepthwiseBackward.onePassCount, passes + 1, "\(label): the backward took one pass")
                        let twoPasses = run(shape, normBefore: normBefore, normAfter: normAfter, stride: stride, onePass: false)
                        XCTAssertEqual(DepthwiseBackward.onePassCount, passes + 1, "\(label): the comparison took two passes")
                        XCTAssertTrue(onePass.input == twoPasses.input,
                                      "\(label): dx differs in \(zip(onePass.input, twoPasses.input).filter { $0 != $1 }.count) values")
                        XCTAssertTrue(onePass.convolutionOutput == twoPasses.convolutionOutput, "\(label): the output's gradient differs")
                        for (index, (a, b)) in zip(onePass.parameters, twoPasses.parameters).enumerated() {
                            XCTAssertTrue(a == b, "\(label): parameter \(index)'s gradient differs in \(zip(a, b).filter { $0 != $1 }.count) values")
                        }
                        XCTAssertTrue(onePass.input.contains { $0 != 0 } && onePass.parameters.allSatisfy { $0.contains { $0 != 0 } },
                                      "\(label): every gradient reached")
                    }
                }
            }
        }
    }
}
