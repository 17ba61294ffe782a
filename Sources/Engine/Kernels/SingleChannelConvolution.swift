import EngineAVX512

/// Direct forward convolution of a one-channel input: the stem of every network here, on
/// log-mel windows. Each output pixel takes its k·k input values once and multiplies them into
/// the weight rows, with up to 32 output channels accumulated in registers. im2col + GEMM ran
/// MobileNetV1's stem at 39 GFLOP/s: writing and re-reading the nine-wide column matrix, and
/// storing every 6×32 tile after only nine multiply-adds, cost more than the arithmetic.
enum SingleChannelConvolution {
    typealias V = SIMD8<Float>

    /// y[n, oh, ow, c] = Σ x[n, oh·s − p + kh, ow·s − p + kw] · w[kh, kw, 0, c], then the epilogue.
    static func forward(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        epilogue: ChannelEpilogue?) {
        precondition(g.inChannels == 1 && g.groups == 1)
        let (input, output) = (UncheckedSendable(x), UncheckedSendable(y))
        let (k, channels, taps) = (g.kernel, g.outChannels, g.kernel * g.kernel)
        // On AVX-512, a 3×3 kernel's interior columns go to EngineAVX512 for whole blocks of 16 channels.
        let wideChannels = InstructionSet.active == .avx512 && k == 3 ? channels / 16 * 16 : 0
        let interior = wideChannels > 0
            ? Depthwise.interiorColumns(targetWidth: g.outWidth, sourceWidth: g.width, window: (g.stride, g.padding)) : 0..<0
        Parallel.forEach(g.batch * g.outHeight, work: g.macs, minimumWork: 1 << 16) { rows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: taps) { buffer in
                let values = buffer.baseAddress!
                for row in rows {
                    let (n, oh) = row.quotientAndRemainder(dividingBy: g.outHeight)
                    let image = input.value + n * g.height * g.width
                    let targetRow = output.value + row * g.outWidth * channels
                    for ow in 0..<g.outWidth {
                        let start = interior.contains(ow) ? wideChannels : 0
                        guard start < channels else { continue }
                        for kh in 0..<k {
                            let ih = oh * g.stride - g.padding + kh
                            for kw in 0..<k {
                                let iw = ow * g.stride - g.padding + kw
                                let inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width
                                values[kh * k + kw] = inside ? image[ih * g.width + iw] : 0
                            }
                        }
                        pixel(values, taps: taps, weight: weight, channels: start..<channels, into: targetRow + ow * channels, epilogue: epilogue)
                    }
                    guard !interior.isEmpty else { continue }
                    func imageRow(_ kh: Int) -> UnsafePointer<Float>? {
                        let ih = oh * g.stride - g.padding + kh
                        return ih >= 0 && ih < g.height ? image + ih * g.width : nil
                    }
                    let rows = (imageRow(0), imageRow(1), imageRow(2))
                    let (top, middle, bottom) = Depthwise.presentRows(rows)
                    StemRows.interiorRow(top: top, middle: middle, bottom: bottom,
                                         inside: (rows.0 != nil, rows.1 != nil, rows.2 != nil), weight: weight, channels: wideChannels, pixelStride: channels,
                                         stride: g.stride, padding: g.padding, columns: interior, target: targetRow,
                                         scale: epilogue?.scale, bias: epilogue?.bias, lower: epilogue?.lower ?? 0, upper: epilogue?.upper ?? 0)
                }
            }
        }
    }

    /// target[c] = Σ_t values[t] · weight[t·channels + c] for the channels in `range` (from 0 or a
    /// multiple of 16, to the last), then the epilogue.
    @inline(__always)
    private static func pixel(_ values: UnsafePointer<Float>, taps: Int, weight: UnsafePointer<Float>, channels range: Range<Int>,
                              into target: UnsafeMutablePointer<Float>, epilogue: ChannelEpilogue?) {
        @inline(__always) func finish(_ sum: V, _ c: Int) -> V { epilogue.map { $0(sum, c) } ?? sum }
        let channels = range.upperBound
        var c = range.lowerBound
        while c + 32 <= channels {
            var (s0, s1, s2, s3) = (V(), V(), V(), V())
            for t in 0..<taps {
                let value = V(repeating: values[t]), row = weight + t * channels + c
                s0 = s0.addingProduct(value, row.vector(0)); s1 = s1.addingProduct(value, row.vector(8))
                s2 = s2.addingProduct(value, row.vector(16)); s3 = s3.addingProduct(value, row.vector(24))
            }
            target.store(finish(s0, c), at: c); target.store(finish(s1, c + 8), at: c + 8)
            target.store(finish(s2, c + 16), at: c + 16); target.store(finish(s3, c + 24), at: c + 24)
            c += 32
        }
        while c + 8 <= channels {
            var sum = V()
            for t in 0..<taps { sum = sum.addingProduct(V(repeating: values[t]), weight.vector(t * channels + c)) }
            target.store(finish(sum, c), at: c)
            c += 8
        }
        while c < channels {
            var sum: Float = 0
            for t in 0..<taps { sum = sum.addingProduct(values[t], weight[t * channels + c]) }
            target[c] = sum
            epilogue?.apply(target + c, channel: c, count: 1)
            c += 1
        }
    }
}
