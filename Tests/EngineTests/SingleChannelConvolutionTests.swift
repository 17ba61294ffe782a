import Engine
import TestSupport
import XCTest

/// The direct kernel for one-channel inputs (the stems) against direct sums in Double, on every
/// instruction set the CPU has, with channel counts that use the 32-, 16- and 8-channel and
/// scalar paths (the 3×3 row kernels take 32 and 16 at a time on AVX-512, 8 on AVX2), edge columns and padding
/// rows, and the fused evaluation-mode batch norm + ReLU6 on top; and its weight gradient (the
/// stems' whole backward: their input needs none).
final class SingleChannelConvolutionTests: XCTestCase {
    func testMatchesDirectSums() {
        forEachInstructionSet { set in matchesDirectSums(set) }
    }

    private func matchesDirectSums(_ set: InstructionSet) {
        var random = SeededRandom(seed: 21)
        // (batch, height, width, out channels, kernel, stride, padding)
        for (batch, height, width, outChannels, kernel, stride, padding) in [
            (2, 9, 11, 40, 3, 2, 1), (1, 8, 7, 5, 3, 1, 1), (2, 10, 9, 32, 5, 2, 2), (1, 6, 6, 13, 3, 1, 0),
            (1, 12, 14, 56, 3, 2, 1), (1, 7, 9, 16, 3, 1, 1), (1, 3, 2, 48, 3, 1, 1),
        ] {
            let x = Tensor(shape: [batch, height, width, 1], values: (0..<batch * height * width).map { _ in random.nextNormal() })
            let w = Tensor(shape: [kernel, kernel, 1, outChannels], values: (0..<kernel * kernel * outChannels).map { _ in random.nextNormal() })
            let y = Tape(mode: .evaluation).conv2d(x, w, stride: stride, padding: padding)
            let (outHeight, outWidth) = (y.shape[1], y.shape[2])
            XCTAssertEqual(y.shape, [batch, (height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1, outChannels])
            // The output and, for an upstream gradient, the weight gradient, as direct sums.
            let upstream = Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() })
            var expected = [Double](repeating: 0, count: y.count)
            var expectedGradient = [Double](repeating: 0, count: w.count)
            for n in 0..<batch {
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth {
                        for c in 0..<outChannels {
                            for kh in 0..<kernel {
                                for kw in 0..<kernel {
                                    let (ih, iw) = (oh * stride - padding + kh, ow * stride - padding + kw)
                                    guard (0..<height).contains(ih), (0..<width).contains(iw) else { continue }
                                    let value = Double(x.data[(n * height + ih) * width + iw])
                                    let (output, tap) = (((n * outHeight + oh) * outWidth + ow) * outChannels + c, (kh * kernel + kw) * outChannels + c)
                                    expected[output] += value * Double(w.data[tap])
                                    expectedGradient[tap] += value * Double(upstream.data[output])
                                }
                            }
                        }
                    }
                }
            }
            let label = "\(set.rawValue) \(batch)×\(height)×\(width) → \(outChannels), k\(kernel) s\(stride) p\(padding)"
            let worst = zip(y.values, expected).map { abs(Double($0) - $1) / (1 + abs($1)) }.max()!
            XCTAssertLessThan(worst, 1e-5, label)

            let trainable = Tensor(shape: w.shape, values: w.values, requiresGrad: true)
            let tape = Tape(mode: .training)
            tape.backward(tape.conv2d(x, trainable, stride: stride, padding: padding), gradient: upstream)
            let gradientWorst = zip(trainable.grad!.values, expectedGradient).map { abs(Double($0) - $1) / (1 + abs($1)) }.max()!
            XCTAssertLessThan(gradientWorst, 1e-5, "weight gradient, " + label)

            // Fused with batch norm (scale 0.5 + c/10, shift 1 − c/20) and ReLU6.
            let (gamma, beta) = ((0..<outChannels).map { Float(0.5) + Float($0) / 10 }, (0..<outChannels).map { 1 - Float($0) / 20 })
            let fused = Tape(mode: .evaluation).conv2dBatchNorm(
                x, w, stride: stride, padding: padding, normWeight: Tensor(shape: [outChannels], values: gamma),
                normBias: Tensor(shape: [outChannels], values: beta), runningMean: Tensor(zeros: [outChannels]),
                runningVariance: Tensor(shape: [outChannels], values: [Float](repeating: 1 - 1e-5, count: outChannels)),
                activationUpperBound: 6)
            let fusedExpected = expected.enumerated().map { i, v in min(6, max(0, v * Double(gamma[i % outChannels]) + Double(beta[i % outChannels]))) }
            let fusedWorst = zip(fused.values, fusedExpected).map { abs(Double($0) - $1) / (1 + abs($1)) }.max()!
            XCTAssertLessThan(fusedWorst, 1e-5, "fused, " + label)
        }
    }
}
