import Engine
import TestSupport
import XCTest

/// A 1×1 convolution's weight gradient over many pixels (on AVX-512 the outer-product tiles,
/// elsewhere the GEMM) against direct sums in Double: dW[i, o] = Σ_p x[p, i]·dy[p, o]. The
/// channel counts put the wider side on either operand, leave 4 or 8 lanes of a last vector and
/// part of a last 8-row tile; the input is read in place, or recomputed from a training batch
/// norm (+ ReLU6) that is never written whole.
final class PointwiseWeightGradientTests: XCTestCase {
    func testMatchesDirectSums() {
        forEachInstructionSet { set in
            var random = SeededRandom(seed: 33)
            // (in, out): 24 → 40 puts dY on the tiles' vector side, 40 → 12 and 20 → 12 put x there;
            // 16 → 96 is below the tiles' threshold (256 pixels per channel of the wider side) and
            // checks the GEMM's path next to them.
            for (inChannels, outChannels) in [(16, 96), (24, 40), (40, 12), (20, 12)] {
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
                }
            }
        }
    }
}
