import Engine
import TestSupport
import XCTest

/// Evaluation-mode fusion: a Sequential's conv → batch norm (→ ReLU / ReLU6) runs as one
/// `conv2dBatchNorm` and gives what the three separate ops give, for every convolution path
/// (pointwise GEMM with column and row splits, im2col, grouped, depthwise 3×3 strides 1 and 2,
/// channel counts with and without a vector tail, GEMM edge tiles).
final class FusionTests: XCTestCase, RandomLayers {
    var random = SeededRandom(seed: 77)

    func testFusedMatchesSeparateOps() {
        forEachInstructionSet { checkFusedMatchesSeparateOps(label: $0.rawValue) }
    }

    private func checkFusedMatchesSeparateOps(label set: String) {
        // (batch, height, width, in, out, kernel, stride, padding, groups)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (2, 9, 7, 13, 37, 1, 1, 0, 1),     // pointwise, edge tiles, row split
            (1, 2, 3, 24, 200, 1, 1, 0, 1),    // pointwise, column split
            (2, 6, 6, 16, 48, 1, 1, 0, 1),     // pointwise, whole tiles of 32 and 16 columns
            (2, 6, 7, 16, 24, 1, 1, 0, 1),     // pointwise, a strip of 24 columns (AVX-512)
            (1, 5, 6, 8, 56, 1, 1, 0, 1),      // pointwise, 32 + 24 columns
            (2, 5, 7, 8, 40, 1, 1, 0, 1),      // pointwise, 32 + 8 columns
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

    /// The fused clamp lets a NaN through where the separate ReLU/ReLU6 do (the AVX-512 epilogue
    /// clamps with max/min instructions, whose operand order decides what a NaN becomes), for the
    /// GEMM, depthwise and stem kernels.
    func testNaNPassesTheFusedClampAsTheSeparateOps() {
        forEachInstructionSet { set in
            // (in, out, kernel, stride, groups)
            for (inC, outC, kernel, stride, groups) in [(16, 32, 1, 1, 1), (32, 32, 3, 1, 32), (1, 32, 3, 2, 1)] {
                for activation in [ReLU() as any Layer, ReLU6()] {
                    var scratch = SeededRandom(seed: random.next())
                    let conv = Conv2D(inputChannels: inC, outputChannels: outC, kernelSize: kernel, stride: stride,
                                      padding: kernel / 2, groups: groups, random: &scratch)
                    let layers: [any Layer] = [conv, batchNorm(outC), activation]
                    let x = randomTensor([1, 8, 8, inC], scale: 3)
                    for c in 0..<inC { x.data[(3 * 8 + 4) * inC + c] = .nan }
                    let fused = Sequential(layers)(x, Tape(mode: .evaluation))
                    let separate = layers.reduce(x) { y, layer in layer(y, Tape(mode: .evaluation)) }
                    let label = "\(set.rawValue) k\(kernel) g\(groups) \(type(of: activation))"
                    XCTAssertTrue(separate.values.contains { $0.isNaN }, label)
                    XCTAssertEqual(zip(fused.values, separate.values).filter { $0.isNaN != $1.isNaN }.count, 0, "NaN in one only, " + label)
                    let worst = zip(fused.values, separate.values).filter { !$1.isNaN }.map { abs($0 - $1) / max(1, abs($1)) }.max()!
                    XCTAssertLessThanOrEqual(worst, 1e-6, label)
                }
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
    /// whole batch fits one pass), the last convolution on each thread's share of the batch, and
    /// gives what one pass gives.
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
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        // One thread: passes of 3, 3, 3, 2 samples one after another. Two: the passes side by
        // side, two each (3, 3, 3, 2). Three: 2, 2, 2, 2, 2, 1, one after another on each thread.
        for count in [1, 2, 3] {
            Parallel.threadCount = count
            let pieces = network.infer(x, passValues: 3 * 200, packedWeights: nil)
            XCTAssertEqual(pieces.shape, whole.shape)
            XCTAssertEqual(pieces.shape, [11, 1, 1, 7])
            let worst = zip(pieces.values, whole.values).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(count) threads")
            XCTAssertEqual(network.infer(x, passValues: 3 * 200, packedWeights: nil).values, pieces.values, "\(count) threads: the same bits again")
            XCTAssertEqual(network.infer(x, passValues: 1 << 20, packedWeights: nil).values, whole.values, "\(count) threads: one pass when the batch fits")
        }
    }
}

/// MobileNetV2's inverted residual in evaluation runs fused over tiles of rows
/// (FusedInvertedResidual) and gives the bits of its three conv + batch norm ops and the
/// residual add: with and without expansion, strides 1 and 2, channel counts with vector tails,
/// several tiles per sample.
final class FusedInvertedResidualTests: XCTestCase, RandomLayers {
    var random = SeededRandom(seed: 31)

    func testFusedBlockMatchesSeparateOps() {
        forEachInstructionSet { set in
            // (batch, height, width, in, expansion, out, stride)
            let cases: [(Int, Int, Int, Int, Int, Int, Int)] = [
                (2, 40, 39, 16, 6, 16, 1),   // residual, two tiles per sample
                (2, 64, 63, 24, 6, 32, 2),   // stride 2, odd width, four tiles per sample
                (3, 30, 30, 44, 1, 12, 1),   // no expansion, 44 channels (scalar tail)
                (2, 64, 64, 8, 6, 8, 1),     // 48 hidden channels (16 + 16 + 16 and 8-wide blocks), three tiles
                (2, 25, 24, 12, 6, 20, 2),   // 72 hidden channels, stride 2 with an odd height
                (2, 12, 12, 48, 6, 24, 1),   // 288 hidden channels: the projection's packed weights in two k-blocks
            ]
            for shape in cases { assertFusedMatchesSeparateOps(shape, label: set.rawValue) }
        }
    }

    /// One sample and fewer samples than threads: each sample's rows split among the threads,
    /// parts whose boundaries fall inside a tile and between a stride-2 block's input rows.
    func testFewerSamplesThanThreadsSplitTheirRows() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        for count in [2, 3, 5] {
            Parallel.threadCount = count
            for shape in [(1, 40, 39, 16, 6, 16, 1), (1, 25, 24, 12, 6, 20, 2), (2, 33, 20, 24, 6, 24, 1), (1, 20, 40, 44, 1, 12, 1)] {
                assertFusedMatchesSeparateOps(shape, label: "\(count) threads")
            }
        }
    }

    /// One sample and fewer samples than threads with few rows: the threads split the hidden
    /// channels, at a GEMM panel's bounds that may leave a thread part of a vector block or only a
    /// scalar tail, and the projection's weights in two k-blocks.
    func testFewerSamplesThanThreadsWithFewRowsSplitTheirChannels() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        forEachInstructionSet { set in
            for count in [2, 3, 5] {
                Parallel.threadCount = count
                for shape in [(1, 8, 8, 16, 6, 16, 1), (1, 8, 7, 24, 6, 40, 2), (1, 4, 4, 40, 6, 40, 1), (1, 6, 5, 7, 6, 9, 1),
                              (2, 8, 8, 16, 6, 24, 2), (1, 4, 4, 48, 6, 48, 1)] where shape.0 < count {
                    assertFusedMatchesSeparateOps(shape, label: "\(set.rawValue), \(count) threads")
                }
            }
        }
    }

    /// A network's stem (a 3×3 convolution of a one-channel input, batch norm, ReLU6) and the
    /// block without expansion after it run as one fused block, the stem's rows computed tile by
    /// tile: the bits of the stem's op and then the block's ops, with a scalar channel tail, a
    /// stride-2 block, and one sample whose rows the threads split (each computing its halo).
    func testStemFusedWithTheFirstBlockMatchesSeparateOps() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        forEachInstructionSet { set in
            // (batch, height, width, stem channels, block output channels, block stride, threads)
            for (batch, height, width, hidden, outC, stride, count) in [(2, 128, 96, 32, 16, 1, 2), (3, 100, 91, 20, 12, 2, 2),
                                                                         (1, 70, 64, 40, 24, 1, 3)] {
                Parallel.threadCount = count
                var scratch = SeededRandom(seed: random.next())
                let stem = [Conv2D(inputChannels: 1, outputChannels: hidden, kernelSize: 3, stride: 2, padding: 1, random: &scratch),
                            batchNorm(hidden), ReLU6()] as [any Layer]
                let block = [Conv2D(inputChannels: hidden, outputChannels: hidden, kernelSize: 3, stride: stride, padding: 1, groups: hidden,
                                    random: &scratch), batchNorm(hidden), ReLU6(),
                             Conv2D(inputChannels: hidden, outputChannels: outC, kernelSize: 1, random: &scratch), batchNorm(outC)] as [any Layer]
                let network = Sequential([Sequential(stem), Sequential(block)])
                let x = randomTensor([batch, height, width, 1], scale: 2)
                let label = "\(set.rawValue), \(count) threads, \(batch)×\(height)×\(width) → \(hidden) → \(outC) s\(stride)"
                XCTAssertTrue(network.evaluatesStemFused(x), label)

                let tape = Tape(mode: .evaluation)
                let separate = convNorm(convNorm(convNorm(x, stem, 0, upper: 6, tape), block, 0, upper: 6, tape), block, 3, upper: nil, tape)
                let fused = network(x, tape)
                XCTAssertEqual(fused.shape, separate.shape, label)
                assertSameBits(fused, separate, label)
                XCTAssertTrue(fused.values.contains { $0 < 0 }, "\(label): the projection is linear")
            }
        }
        let stem = Sequential([Conv2D(inputChannels: 1, outputChannels: 32, kernelSize: 3, stride: 2, padding: 1), batchNorm(32), ReLU6()])
        let expanding = Sequential([stem, invertedResidualLayers(in: 32, hidden: 64, out: 16, seed: 3)])
        XCTAssertFalse(expanding.evaluatesStemFused(Tensor(zeros: [2, 128, 128, 1])), "a block with an expansion reads the stem's output")
    }

    /// The block fused gives the bits of its conv + batch norm ops one by one (and of the
    /// residual add, where there is one).
    private func assertFusedMatchesSeparateOps(_ shape: (Int, Int, Int, Int, Int, Int, Int), label: String,
                                               file: StaticString = #filePath, line: UInt = #line) {
        let (batch, height, width, inC, expansion, outC, stride) = shape
        let hidden = inC * expansion
        var scratch = SeededRandom(seed: random.next())
        var layers: [any Layer] = []
        if expansion != 1 {
            layers += [Conv2D(inputChannels: inC, outputChannels: hidden, kernelSize: 1, random: &scratch), batchNorm(hidden), ReLU6()]
        }
        layers += [
            Conv2D(inputChannels: hidden, outputChannels: hidden, kernelSize: 3, stride: stride, padding: 1, groups: hidden, random: &scratch),
            batchNorm(hidden), ReLU6(),
            Conv2D(inputChannels: hidden, outputChannels: outC, kernelSize: 1, random: &scratch), batchNorm(outC),
        ]
        let block = Sequential(layers)
        let x = randomTensor([batch, height, width, inC], scale: 2)
        let label = "\(label) \(batch)×\(height)×\(width)×\(inC) t\(expansion) → \(outC) s\(stride)"
        XCTAssertTrue(block.evaluatesFused(x), label, file: file, line: line)

        let tape = Tape(mode: .evaluation)
        let first = expansion != 1 ? 3 : 0
        let expanded = expansion != 1 ? convNorm(x, layers, 0, upper: 6, tape) : x
        let separate = convNorm(convNorm(expanded, layers, first, upper: 6, tape), layers, first + 3, upper: nil, tape)
        let fused = block(x, tape)
        XCTAssertEqual(fused.shape, separate.shape, label, file: file, line: line)
        assertSameBits(fused, separate, label, file: file, line: line)
        XCTAssertTrue(fused.values.contains { $0 < 0 }, "\(label): the projection is linear", file: file, line: line)
        if stride == 1 && inC == outC {
            assertSameBits(block.addingInput(x, tape), tape.add(x, separate), "\(label) + input", file: file, line: line)
        }
    }

    /// `layers[conv]` and the batch norm after it (→ clamp at `upper`) as evaluation's one
    /// conv + batch norm op: the separate ops a fused block is held to.
    private func convNorm(_ x: Tensor, _ layers: [any Layer], _ conv: Int, upper: Float?, _ tape: Tape) -> Tensor {
        let (c, n) = (layers[conv] as! Conv2D, layers[conv + 1] as! BatchNorm)
        return tape.conv2dBatchNorm(x, c.weight.value, stride: c.stride, padding: c.padding, groups: c.groups,
                                    normWeight: n.weight.value, normBias: n.bias.value, runningMean: n.runningMean.value,
                                    runningVariance: n.runningVariance.value, epsilon: n.epsilon, activationUpperBound: upper)
    }

    private func assertSameBits(_ a: Tensor, _ b: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let differing = (0..<min(a.count, b.count)).filter { a.data[$0].bitPattern != b.data[$0].bitPattern }
        XCTAssertTrue(differing.isEmpty && a.count == b.count,
                      "\(label): \(differing.count) of \(b.count) values differ, first at \(differing.first ?? -1)", file: file, line: line)
    }

    /// Small activations stay in cache anyway, and one sample of few rows is better split inside
    /// each op: the block then runs its ops one by one.
    func testSmallInputsRunUnfused() {
        let block = invertedResidualLayers(in: 16, hidden: 96, out: 16, seed: 5)
        XCTAssertFalse(block.evaluatesFused(Tensor(zeros: [32, 8, 8, 16])))
        XCTAssertTrue(block.evaluatesFused(Tensor(zeros: [2, 32, 32, 16])))
        XCTAssertTrue(block.evaluatesFused(Tensor(zeros: [1, 32, 32, 16])), "one sample of 32 rows: its rows split among the threads")
        XCTAssertTrue(block.evaluatesFused(Tensor(zeros: [1, 8, 64, 16])), "one sample of 8 rows: the threads split its hidden channels")
        XCTAssertFalse(block.evaluatesFused(Tensor(zeros: [2, 32, 32, 8])), "channels that do not fit")
        XCTAssertFalse(block.evaluatesFused(Tensor(zeros: [0, 32, 32, 16])), "no samples")
        XCTAssertEqual(block(Tensor(zeros: [0, 32, 32, 16]), Tape(mode: .evaluation)).shape, [0, 32, 32, 16])
    }
}

/// Random tensors and evaluation-mode batch norms with random statistics.
private protocol RandomLayers: AnyObject {
    var random: SeededRandom { get set }
}

extension RandomLayers {
    func randomTensor(_ shape: [Int], scale: Float = 1, offset: Float = 0) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() * scale + offset })
    }

    func batchNorm(_ channels: Int) -> BatchNorm {
        let norm = BatchNorm(channels: channels)
        for (parameter, scale, offset) in [(norm.weight, Float(0.5), Float(1)), (norm.bias, 0.5, 0), (norm.runningMean, 0.3, 0.1)] {
            parameter.value.data.update(from: randomTensor([channels], scale: scale, offset: offset).data, count: channels)
        }
        for c in 0..<channels { norm.runningVariance.value.data[c] = 0.2 + random.nextUnitFloat() }
        return norm
    }
}
