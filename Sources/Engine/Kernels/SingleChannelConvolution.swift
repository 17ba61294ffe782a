import EngineAVX512

/// Direct convolution of a one-channel input, forward and weight gradient: the stem of every
/// network here, on log-mel windows (whose input gradient, never needed there, goes through
/// im2col). Forward, each output pixel takes its k·k input values once and multiplies them into
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
        Parallel.forEach(g.batch * g.outHeight, work: g.macs, minimumWork: 1 << 16) { rows in
            forwardRows(g, x: input.value, weight: weight, rows: rows, into: output.value + rows.lowerBound * g.outWidth * g.outChannels,
                        epilogue: epilogue)
        }
    }

    /// `forward`'s output rows `rows` (rows of the whole batch, n·outHeight + oh) into `target`,
    /// one after another, on this thread: for a fused block that reads them from cache.
    static func forwardRows(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Range<Int>,
                            into target: UnsafeMutablePointer<Float>, epilogue: ChannelEpilogue?) {
        precondition(g.inChannels == 1 && g.groups == 1)
        let (k, channels, taps) = (g.kernel, g.outChannels, g.kernel * g.kernel)
        // A 3×3 kernel's interior columns go to the row kernels for whole blocks of channels:
        // EngineAVX512's blocks of 16, or StemRows8's of 8.
        let wide = InstructionSet.active == .avx512
        let block = wide ? 16 : 8
        let rowChannels = k == 3 ? channels / block * block : 0
        let interior = rowChannels > 0
            ? Depthwise.interiorColumns(targetWidth: g.outWidth, sourceWidth: g.width, window: (g.stride, g.padding)) : 0..<0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: taps) { buffer in
            let values = buffer.baseAddress!
            for row in rows {
                let (n, oh) = row.quotientAndRemainder(dividingBy: g.outHeight)
                let image = x + n * g.height * g.width
                let targetRow = target + (row - rows.lowerBound) * g.outWidth * channels
                for ow in 0..<g.outWidth {
                    let start = interior.contains(ow) ? rowChannels : 0
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
                guard wide else {
                    StemRows8.interiorRow(top: top, middle: middle, bottom: bottom, inside: (rows.0 != nil, rows.1 != nil, rows.2 != nil),
                                          weight: weight, channels: rowChannels, pixelStride: channels, stride: g.stride, padding: g.padding,
                                          columns: interior, target: targetRow, epilogue: epilogue)
                    continue
                }
                StemRows.interiorRow(top: top, middle: middle, bottom: bottom,
                                     inside: (rows.0 != nil, rows.1 != nil, rows.2 != nil), weight: weight, channels: rowChannels, pixelStride: channels,
                                     stride: g.stride, padding: g.padding, columns: interior, target: targetRow,
                                     scale: epilogue?.scale, bias: epilogue?.bias, lower: epilogue?.lower ?? 0, upper: epilogue?.upper ?? 0)
            }
        }
    }

    /// dw[kh, kw, 0, c] += Σ x[n, oh·s − p + kh, ow·s − p + kw] · dy[n, oh, ow, c]: per output
    /// row, the k input rows it reads are copied with their padding (zeros) into a small buffer,
    /// then each block of channels sums along the row with its k·k sums in registers; one partial
    /// per thread, added up in order. Through im2col + GEMM this was MobileNetV2's stem at
    /// 22 GFLOP/s: a nine-deep product, its column matrix written serially. With `finishing`,
    /// each row of dy is a batch norm's input gradient left unwritten, written in place right
    /// before it is read (as `Depthwise.weightGradient` does).
    static func weightGradient(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                               finishing: BatchNormGradientRows? = nil) {
        precondition(g.inChannels == 1 && g.groups == 1)
        let (k, channels) = (g.kernel, g.outChannels)
        let chunks = Parallel.ranges(g.batch * g.outHeight, work: g.macs, minimumWork: 1 << 16)
        let size = k * k * channels
        let finishing = finishing?.kernel
        // Padded rows: wide enough for every tap of every output column.
        let paddedWidth = max(g.width + 2 * g.padding, (g.outWidth - 1) * g.stride + k)
        withScratch(chunks.count * (size + k * paddedWidth)) { scratch in
            scratch.update(repeating: 0, count: chunks.count * size)
            let shared = UncheckedSendable((x, dy, scratch, scratch + chunks.count * size))
            Parallel.forEach(chunks) { chunk, rows in
                let (input, upstream, partials, buffers) = shared.value
                let (partial, padded) = (partials + chunk * size, buffers + chunk * k * paddedWidth)
                padded.update(repeating: 0, count: k * paddedWidth)
                for row in rows {
                    finishing?.writeInPlace(rows: row * g.outWidth..<(row + 1) * g.outWidth, over: upstream)
                    let (n, oh) = row.quotientAndRemainder(dividingBy: g.outHeight)
                    for kh in 0..<k {
                        let ih = oh * g.stride - g.padding + kh
                        let target = padded + kh * paddedWidth + g.padding
                        if ih >= 0 && ih < g.height {
                            target.update(from: input + (n * g.height + ih) * g.width, count: g.width)
                        } else {
                            target.update(repeating: 0, count: g.width)
                        }
                    }
                    rowProducts(padded, rowStride: paddedWidth, kernel: k, stride: g.stride, gradientRow: upstream + row * g.outWidth * channels,
                                width: g.outWidth, channels: channels, into: partial)
                }
            }
            for chunk in 0..<chunks.count {
                let partial = scratch + chunk * size
                for i in 0..<size { dw[i] += partial[i] }
            }
        }
    }

    /// sums[(kh·k + kw)·channels + c] += Σ_j rows[kh][j·s + kw] · gradientRow[j·channels + c] over
    /// the row's `width` pixels (`rows` padded, `rowStride` apart): blocks of 8 channels of a 3×3
    /// kernel with the nine sums in registers, the rest one sum at a time.
    @inline(__always)
    private static func rowProducts(_ rows: UnsafePointer<Float>, rowStride: Int, kernel k: Int, stride s: Int, gradientRow: UnsafePointer<Float>,
                                    width: Int, channels: Int, into sums: UnsafeMutablePointer<Float>) {
        var c = 0
        if k == 3 {
            let (top, middle, bottom) = (rows, rows + rowStride, rows + 2 * rowStride)
            while c + 8 <= channels {
                var (s0, s1, s2, s3, s4) = (V(), V(), V(), V(), V())
                var (s5, s6, s7, s8) = (V(), V(), V(), V())
                for j in 0..<width {
                    let (d, i) = (gradientRow.vector(j * channels + c), j * s)
                    s0 = s0.addingProduct(V(repeating: top[i]), d); s1 = s1.addingProduct(V(repeating: top[i + 1]), d)
                    s2 = s2.addingProduct(V(repeating: top[i + 2]), d); s3 = s3.addingProduct(V(repeating: middle[i]), d)
                    s4 = s4.addingProduct(V(repeating: middle[i + 1]), d); s5 = s5.addingProduct(V(repeating: middle[i + 2]), d)
                    s6 = s6.addingProduct(V(repeating: bottom[i]), d); s7 = s7.addingProduct(V(repeating: bottom[i + 1]), d)
                    s8 = s8.addingProduct(V(repeating: bottom[i + 2]), d)
                }
                @inline(__always) func add(_ tap: Int, _ sum: V) { sums.store(sums.vector(tap * channels + c) + sum, at: tap * channels + c) }
                add(0, s0); add(1, s1); add(2, s2); add(3, s3); add(4, s4); add(5, s5); add(6, s6); add(7, s7); add(8, s8)
                c += 8
            }
        }
        for channel in c..<channels {
            for kh in 0..<k {
                for kw in 0..<k {
                    var sum: Float = 0
                    for j in 0..<width { sum = sum.addingProduct(rows[kh * rowStride + j * s + kw], gradientRow[j * channels + channel]) }
                    sums[(kh * k + kw) * channels + channel] += sum
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
