import Engine
import TestSupport
import XCTest

/// A 1×1 convolution's weight gradient over many pixels (the outer-product tiles: AVX-512's or
/// AVX2's) against direct sums in Double: dW[i, o] = Σ_p x[p, i]·dy[p, o]. The channel counts
/// put the wider side on either operand, leave 4 lanes of a last vector (of 8 or 16) or 8 of
/// 16, and part of a last row tile; the input is read in place, or recomputed from a training
/// batch norm (+ ReLU6) that is never written whole. Where the CPU has both instruction sets,
/// their tiles must give the same bits.
final class PointwiseWeightGradientTests: XCTestCase {
    func testMatchesDirectSums() {
        var gradients: [InstructionSet: [[Float]]] = [:]
        forEachInstructionSet { set in
            var random = SeededRandom(seed: 33)
            // (in, out): 24 → 40 and 20 → 36 put dY on the tiles' vector side, 40 → 12, 20 → 12 and
            // 28 → 14 put x there (28: a last tile of two vectors, the second one cut to 4 lanes on
            // AVX2; 14 and 20 rows: a last AVX2 tile of 2 rows);
            // 16 → 96 is below the tiles' threshold (256 pixels per channel of the wider side) and
            // checks the GEMM's path next to them.
            for (inChannels, outChannels) in [(16, 96), (24, 40), (40, 12), (20, 12), (28, 14), (20, 36)] {
                for normalized in [false, true] {
                    // 2 × 48 × 112 = 10 752 pixels.
                    let shape = [2, 48, 112, inChannels]
                    let pixels = shape[0] * shape[1] * shape[2]
                    let source = Tensor(shape: shape, values: (0..<pixels * inChannels).map { _ in 2 * random.nextNormal() })
                    let w = Tensor(shape: [1, 1, inChannels, outChannels],
                                   values: (0..<inChannels * outChannels).map { _ in random.nextNormal() }, requiresGrad: true)
                    let upstream = Tensor(shape: [shape[0], shape[1], shape[2], outChannels], values: (0..<pixels * outChannels).map { _ in random.nextNormal() })
                    let tape = Tape(mode: .training)
                    let x = normalized
                        ? tape.batchNorm(source, weight: Tensor(shape: [inChannels], values: (0..<inChannels).map { 0.5 + Float($0) / 8 }),
                                         bias: Tensor(shape: [inChannels], values: (0..<inChannels).map { 1 - Float($0) / 16 }),
                                         runningMean: Tensor(shape: [inChannels], values: [Float](repeating: 0, count: inChannels)),
                                         runningVariance: Tensor(shape: [inChannels], values: [Float](repeating: 1, count: inChannels)),
                                         activationUpperBound: 6)
                        : source
                    tape.backward(tape.conv2d(x, w), gradient: upstream)
                    let (xs, dys) = (x.values, upstream.values)
                    var expected = [Double](repeating: 0, count: inChannels * outChannels)
                    for p in 0..<pixels {
                        for i in 0..<inChannels {
                            let value = Double(xs[p * inChannels + i])
                            for o in 0..<outChannels { expected[i * outChannels + o] += value * Double(dys[p * outChannels + o]) }
                        }
                    }
                    let worst = zip(w.grad!.values, expected).map { abs(Double($0) - $1) / (1 + abs($1)) }.max()!
                    XCTAssertLessThan(worst, 1e-4, "\(set.rawValue) \(inChannels) → \(outChannels)\(normalized ? " after batch norm" : "")")
                    gradients[set, default: []].append(w.grad!.values)
                }
            }
        }
        if let wide = gradients[.avx512], let narrow = gradients[.avx2] {
            XCTAssertTrue(wide == narrow, "AVX-512's and AVX2's tiles sum in the same order: the same bits")
        }
    }
}
