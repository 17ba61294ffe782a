extension Tape {
    /// 2-D convolution of NHWC `x` with HWIO `weight` ([kernel, kernel, inChannels / groups,
    /// outChannels]): standard, grouped and depthwise (`groups == channels`). Depthwise 3×3 and
    /// one-channel inputs (forward) run direct kernels; 1×1 stride-1 convolutions are one GEMM per
    /// group; the rest go through im2col in row chunks, so the column buffer stays a few megabytes.
    public func conv2d(_ x: Tensor, _ weight: Tensor, stride: Int = 1, padding: Int = 0, groups: Int = 1) -> Tensor {
        precondition(x.shape.count == 4 && weight.shape.count == 4, "conv2d wants NHWC input and HWIO weight, got \(x.shape), \(weight.shape)")
        let g = ConvolutionGeometry(batch: x.shape[0], height: x.shape[1], width: x.shape[2], inChannels: x.shape[3],
                                    outChannels: weight.shape[3], kernel: weight.shape[0], stride: stride, padding: padding, groups: groups)
        precondition(weight.shape == g.weightShape, "weight \(weight.shape) does not match \(g.weightShape)")
        let y = Tensor(uninitialized: g.outputShape, requiresGrad: needsGradient(x, weight))
        if g.isDepthwise3x3 {
            Depthwise.forward(g, x: x.data, weight: weight.data, y: y.data)
        } else {
            Convolution.forward(g, x: x.data, weight: weight.data, y: y.data)
        }
        if y.requiresGrad {
            record(y) { dy in
                if weight.requiresGrad {
                    if g.isDepthwise3x3 {
                        Depthwise.weightGradient(g, x: x.data, dy: dy.data, dw: weight.gradient().data)
                    } else {
                        Convolution.weightGradient(g, x: x.data, dy: dy.data, dw: weight.gradient().data)
                    }
                }
                if x.requiresGrad {
                    // A fresh gradient is overwritten (the depthwise gather and the pointwise
                    // GEMM write every element; im2col's scatter adds, so it gets zeros first).
                    let (dx, fresh) = x.gradientToWrite()
                    if fresh && !g.isDepthwise3x3 && !g.isPointwise { dx.fill(0) }
                    let accumulate = !fresh || !(g.isDepthwise3x3 || g.isPointwise)
                    if g.isDepthwise3x3 {
                        Depthwise.inputGradient(g, dy: dy.data, weight: weight.data, dx: dx.data, accumulate: accumulate)
                    } else {
                        Convolution.inputGradient(g, dy: dy.data, weight: weight.data, dx: dx.data, accumulate: accumulate)
                    }
                }
            }
        }
        return y
    }
}

/// Convolution as GEMM: per group, Y[pixels, out] = columns[pixels, k·k·in] · W[k·k·in, out].
/// For 1×1 stride-1 convolutions the NHWC input is the column matrix itself.
enum Convolution {
    /// Output pixels per im2col chunk: about 4 MB of columns.
    static func chunkRows(_ g: ConvolutionGeometry) -> Int {
        max(Gemm.mr, (1 << 20) / (g.kernel * g.kernel * g.inChannels / g.groups) / Gemm.mr * Gemm.mr)
    }

    static func forward(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        epilogue: ChannelEpilogue? = nil) {
        if g.inChannels == 1 && g.groups == 1 {
            SingleChannelConvolution.forward(g, x: x, weight: weight, y: y, epilogue: epilogue)
            return
        }
        forEachChunk(g, x: x) { rows, group, columns in
            Gemm.multiply(m: rows.count, n: g.outChannels / g.groups, k: columns.depth, a: columns.matrix,
                          b: weightMatrix(g, weight, group),
                          c: y + rows.lowerBound * g.outChannels + group * g.outChannels / g.groups, ldc: g.outChannels,
                          accumulate: false, epilogue: epilogue?.advanced(by: group * g.outChannels / g.groups))
        }
    }

    /// dW[k·k·in, out] += columnsᵀ · dY, chunk by chunk.
    static func weightGradient(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>) {
        let groupOut = g.outChannels / g.groups
        forEachChunk(g, x: x) { rows, group, columns in
            Gemm.multiply(m: columns.depth, n: groupOut, k: rows.count, a: columns.matrix.transposed,
                          b: MatrixView(dy + rows.lowerBound * g.outChannels + group * groupOut, rowStride: g.outChannels),
                          c: dw + group * groupOut, ldc: g.outChannels, accumulate: true)
        }
    }

    /// dcolumns = dY · Wᵀ, scattered back onto dX (directly for 1×1 stride-1).
    static func inputGradient(_ g: ConvolutionGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                              accumulate: Bool = true) {
        let groupIn = g.inChannels / g.groups, groupOut = g.outChannels / g.groups
        let depth = g.kernel * g.kernel * groupIn
        let pixels = g.batch * g.outHeight * g.outWidth
        for group in 0..<g.groups {
            let weightTransposed = weightMatrix(g, weight, group).transposed
            if g.isPointwise {
                Gemm.multiply(m: pixels, n: groupIn, k: groupOut, a: MatrixView(dy + group * groupOut, rowStride: g.outChannels),
                              b: weightTransposed, c: dx + group * groupIn, ldc: g.inChannels, accumulate: accumulate)
                continue
            }
            let chunk = chunkRows(g)
            withScratch(chunk * depth) { columns in
                for start in stride(from: 0, to: pixels, by: chunk) {
                    let rows = start..<min(pixels, start + chunk)
                    Gemm.multiply(m: rows.count, n: depth, k: groupOut,
                                  a: MatrixView(dy + start * g.outChannels + group * groupOut, rowStride: g.outChannels),
                                  b: weightTransposed, c: columns, ldc: depth, accumulate: false)
                    columnsToImage(g, group: group, rows: rows, columns: columns, dx: dx)
                }
            }
        }
    }

    /// The column matrix of one chunk of output pixels for one group.
    struct Columns {
        let matrix: MatrixView
        let depth: Int
    }

    /// Calls `body` for each (chunk of output pixels, group) with its column matrix.
    static func forEachChunk(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, _ body: (Range<Int>, Int, Columns) -> Void) {
        let groupIn = g.inChannels / g.groups
        let depth = g.kernel * g.kernel * groupIn
        let pixels = g.batch * g.outHeight * g.outWidth
        if g.isPointwise {
            for group in 0..<g.groups {
                body(0..<pixels, group, Columns(matrix: MatrixView(x + group * groupIn, rowStride: g.inChannels), depth: depth))
            }
            return
        }
        let chunk = chunkRows(g)
        withScratch(chunk * depth) { columns in
            for start in stride(from: 0, to: pixels, by: chunk) {
                let rows = start..<min(pixels, start + chunk)
                for group in 0..<g.groups {
                    imageToColumns(g, x: x, group: group, rows: rows, columns: columns)
                    body(rows, group, Columns(matrix: MatrixView(columns, rowStride: depth), depth: depth))
                }
            }
        }
    }

    /// Rows of the HWIO weight as a [k·k·in/groups, out/groups] matrix for one group.
    static func weightMatrix(_ g: ConvolutionGeometry, _ weight: UnsafePointer<Float>, _ group: Int) -> MatrixView {
        MatrixView(weight + group * g.outChannels / g.groups, rowStride: g.outChannels)
    }

    /// columns[r, (kh, kw, c)] = x[n, oh·s − p + kh, ow·s − p + kw, group·in/groups + c], 0 outside.
    static func imageToColumns(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, group: Int, rows: Range<Int>, columns: UnsafeMutablePointer<Float>) {
        let groupIn = g.inChannels / g.groups
        let depth = g.kernel * g.kernel * groupIn
        let (source, target) = (UncheckedSendable(x), UncheckedSendable(columns))
        Parallel.forEach(rows.count, work: rows.count * depth, minimumWork: 1 << 16) { part in
            for r in part {
                let row = target.value + r * depth
                forEachTap(g, pixel: rows.lowerBound + r) { tap, inputPixel in
                    if let inputPixel {
                        row.advanced(by: tap * groupIn).update(from: source.value + inputPixel * g.inChannels + group * groupIn, count: groupIn)
                    } else {
                        row.advanced(by: tap * groupIn).update(repeating: 0, count: groupIn)
                    }
                }
            }
        }
    }

    /// dx[...] += columns[...]: the adjoint of `imageToColumns` (serial: taps of neighbouring
    /// pixels overlap).
    static func columnsToImage(_ g: ConvolutionGeometry, group: Int, rows: Range<Int>, columns: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let groupIn = g.inChannels / g.groups
        let depth = g.kernel * g.kernel * groupIn
        for r in rows.indices {
            let row = columns + (r - rows.lowerBound) * depth
            forEachTap(g, pixel: r) { tap, inputPixel in
                guard let inputPixel else { return }
                let target = dx + inputPixel * g.inChannels + group * groupIn
                let source = row + tap * groupIn
                for c in 0..<groupIn { target[c] += source[c] }
            }
        }
    }

    /// For output pixel index `pixel` (n·OH·OW + oh·OW + ow), each tap kh·k + kw with the
    /// flat input pixel index it reads, or nil when it falls in the padding.
    @inline(__always)
    static func forEachTap(_ g: ConvolutionGeometry, pixel: Int, _ body: (Int, Int?) -> Void) {
        let (n, within) = pixel.quotientAndRemainder(dividingBy: g.outHeight * g.outWidth)
        let (oh, ow) = within.quotientAndRemainder(dividingBy: g.outWidth)
        for kh in 0..<g.kernel {
            let ih = oh * g.stride - g.padding + kh
            for kw in 0..<g.kernel {
                let iw = ow * g.stride - g.padding + kw
                let inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width
                body(kh * g.kernel + kw, inside ? (n * g.height + ih) * g.width + iw : nil)
            }
        }
    }
}
