import Engine
import TestSupport
import XCTest

/// The depthwise 3×3 kernels against direct sums in Double: output, input gradient and weight
/// gradient, at strides 1, 2 and 3 and paddings 0–2, for channel counts that use every block
/// width (16 on AVX-512, 8, scalar tail), odd and even widths and heights (the padding on every
/// side), rows in groups that run across images; both gradients and each alone; on every
/// instruction set this CPU has.
final class DepthwiseTests: XCTestCase {
    func testMatchesDirectSums() {
        forEachInstructionSet { set in
            var random = SeededRandom(seed: 5)
            // (batch, height, width, channels, stride, padding)
            let shapes = [(2, 7, 11, 40, 1, 1), (1, 9, 14, 96, 2, 1), (2, 5, 6, 13, 1, 1), (1, 12, 17, 24, 2, 1), (2, 9, 5, 16, 2, 1),
                          (1, 7, 8, 13, 2, 1), (2, 6, 9, 32, 1, 0), (1, 9, 10, 48, 2, 0), (2, 5, 7, 16, 1, 2), (1, 10, 11, 32, 3, 1)]
            for (batch, height, width, channels, stride, padding) in shapes {
                for (inputGradient, weightGradient) in [(true, true), (true, false), (false, true)] {
                    let x = Tensor(shape: [batch, height, width, channels], values: (0..<batch * height * width * channels).map { _ in random.nextNormal() },
                                   requiresGrad: inputGradient)
                    let w = Tensor(shape: [3, 3, 1, channels], values: (0..<9 * channels).map { _ in random.nextNormal() },
                                   requiresGrad: weightGradient)
                    let tape = Tape(mode: .training)
                    let y = tape.conv2d(x, w, stride: stride, padding: padding, groups: channels)
                    let (outHeight, outWidth) = (y.shape[1], y.shape[2])
                    let upstream = Tensor(shape: y.shape, values: (0..<y.count).map { _ in random.nextNormal() })
                    tape.backward(y, gradient: upstream)

                    var expectedY = [Double](repeating: 0, count: y.count)
                    var expectedDx = [Double](repeating: 0, count: x.count)
                    var expectedDw = [Double](repeating: 0, count: w.count)
                    for n in 0..<batch {
                        for oh in 0..<outHeight {
                            for ow in 0..<outWidth {
                                for c in 0..<channels {
                                    let output = ((n * outHeight + oh) * outWidth + ow) * channels + c
                                    for kh in 0..<3 {
                                        for kw in 0..<3 {
                                            let (ih, iw) = (oh * stride - padding + kh, ow * stride - padding + kw)
                                            guard (0..<height).contains(ih), (0..<width).contains(iw) else { continue }
                                            let input = ((n * height + ih) * width + iw) * channels + c
                                            let tap = (kh * 3 + kw) * channels + c
                                            expectedY[output] += Double(x.data[input]) * Double(w.data[tap])
                                            expectedDx[input] += Double(upstream.data[output]) * Double(w.data[tap])
                                            expectedDw[tap] += Double(upstream.data[output]) * Double(x.data[input])
                                        }
                                    }
                                }
                            }
                        }
                    }
                    let label = "\(set.rawValue) \(batch)×\(height)×\(width)×\(channels) stride \(stride) padding \(padding)"
                    assertClose(y.values, expectedY, "output, " + label)
                    XCTAssertEqual(x.grad != nil, inputGradient, label)
                    XCTAssertEqual(w.grad != nil, weightGradient, label)
                    if inputGradient { assertClose(x.grad!.values, expectedDx, "input gradient, " + label) }
                    if weightGradient { assertClose(w.grad!.values, expectedDw, "weight gradient, " + label) }
                }
            }
        }
    }

    /// The input gradient at stride 2, padding 1: AVX-512 takes the blocks of 16 channels a row
    /// at a time (`DepthwiseRows.transposedRow2`), AVX2 pixel by pixel; both add each value's
    /// taps in (kh, kw) order, so the bits must agree: odd and even sizes (the last row and column
    /// read one row or column of dy fewer), channels past the blocks of 16, added to what is there.
    func testStrideTwoInputGradientKernelMatchesPixelLoop() throws {
        try XCTSkipUnless(InstructionSet.supported.contains(.avx512), "this CPU has no AVX-512")
        var random = SeededRandom(seed: 17)
        for (batch, height, width, channels) in [(2, 9, 14, 40), (1, 12, 17, 32), (2, 8, 8, 16), (1, 5, 3, 48)] {
            let values = (0..<batch * height * width * channels).map { _ in random.nextNormal() }
            let w = Tensor(shape: [3, 3, 1, channels], values: (0..<9 * channels).map { _ in random.nextNormal() })
            let upstream = (0..<batch * ((height + 1) / 2) * ((width + 1) / 2) * channels).map { _ in random.nextNormal() }
            var gradients: [InstructionSet: [Float]] = [:]
            forEachInstructionSet { set in
                let x = Tensor(shape: [batch, height, width, channels], values: values, requiresGrad: true)
                let tape = Tape(mode: .training)
                // Two uses of x: the second input gradient is added to the first's.
                let y = tape.add(tape.conv2d(x, w, stride: 2, padding: 1, groups: channels), tape.conv2d(x, w, stride: 2, padding: 1, groups: channels))
                tape.backward(y, gradient: Tensor(shape: y.shape, values: upstream))
                gradients[set] = x.grad!.values
            }
            XCTAssertEqual(gradients[.avx512], gradients[.avx2], "\(batch)×\(height)×\(width)×\(channels)")
        }
    }

    private func assertClose(_ actual: [Float], _ expected: [Double], _ label: String) {
        XCTAssertEqual(actual.count, expected.count, label)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) / (1 + abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5, label)
    }
}
