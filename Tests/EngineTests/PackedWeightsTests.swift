import Engine
import TestSupport
import XCTest

/// An evaluation that reads its 1×1 weights packed once and its batch norms folded once
/// (`PackedWeights`) gives the bits of one that packs them, or reads them in place, on every
/// product and folds every norm on every call.
final class PackedWeightsTests: XCTestCase {
    private var random = SeededRandom(seed: 41)

    /// Products of few rows (B read in place without packing: 16 rows at 4×4) and of many (B
    /// packed per k-block), split by rows or by columns (each thread reads its columns of the one
    /// packing), with several k-blocks (k > 256) and widths that end in a partial panel.
    func testConvolutionsMatchUnpackedWeights() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        // (batch, height, width, in, out)
        let cases = [(1, 4, 4, 160, 960), (1, 4, 4, 960, 160), (1, 4, 4, 320, 1280), (1, 8, 8, 96, 24), (3, 2, 2, 40, 7),
                     (2, 16, 16, 32, 192), (1, 12, 12, 40, 200), (1, 8, 8, 600, 72)]
        forEachInstructionSet { set in
            for count in [1, 2, 3] {
                Parallel.threadCount = count
                for (batch, height, width, inChannels, outChannels) in cases {
                    let label = "\(set), \(count) threads, [\(batch), \(height), \(width), \(inChannels)] → \(outChannels)"
                    let x = tensor([batch, height, width, inChannels])
                    let weight = tensor([1, 1, inChannels, outChannels], scale: 0.1)
                    let norm = (weight: tensor([outChannels]), bias: tensor([outChannels]), mean: tensor([outChannels]),
                                variance: Tensor(shape: [outChannels], values: (0..<outChannels).map { _ in 0.5 + random.nextUnitFloat() }))
                    let packedWeights = PackedWeights()
                    func evaluate(_ tape: Tape) -> Tensor {
                        tape.conv2dBatchNorm(x, weight, normWeight: norm.weight, normBias: norm.bias, runningMean: norm.mean,
                                             runningVariance: norm.variance, activationUpperBound: 6)
                    }
                    let expected = evaluate(Tape(mode: .evaluation))
                    let packed = evaluate(Tape(mode: .evaluation, packedWeights: packedWeights))
                    XCTAssertEqual(packedWeights.count, 1, label)
                    XCTAssertEqual(packed.shape, expected.shape, label)
                    XCTAssertEqual(differing(packed, expected), 0, label)
                    XCTAssertTrue(expected.values.contains { $0 > 0 && $0 < 6 }, "\(label): values inside the clamp")
                    XCTAssertEqual(differing(evaluate(Tape(mode: .evaluation, packedWeights: packedWeights)), packed), 0,
                                   "\(label): the packing kept for the next evaluation")
                    XCTAssertEqual(packedWeights.count, 1, label)
                }
            }
        }
    }

    /// The fused inverted residual reads both 1×1 weights and its three norms from it too.
    func testFusedBlockMatchesUnpackedWeights() {
        let block = invertedResidualLayers(in: 24, hidden: 144, out: 24, seed: 3)
        let x = tensor([2, 32, 32, 24])
        XCTAssertTrue(block.evaluatesFused(x))
        forEachInstructionSet { set in
            let packedWeights = PackedWeights()
            let packed = block.addingInput(x, Tape(mode: .evaluation, packedWeights: packedWeights))
            XCTAssertEqual(packedWeights.count, 2, "\(set): the expansion's and the projection's weights")
            XCTAssertEqual(differing(packed, block.addingInput(x, Tape(mode: .evaluation))), 0, "\(set)")
        }
    }

    /// Values whose bits differ (all of them when the shapes differ).
    private func differing(_ a: Tensor, _ b: Tensor) -> Int {
        guard a.shape == b.shape else { return max(a.count, b.count) }
        return zip(a.values, b.values).filter { $0.bitPattern != $1.bitPattern }.count
    }

    private func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() * scale })
    }
}
