/// Convolution as GEMM: per group, Y[pixels, out] = columns[pixels, k·k·in] · W[k·k·in, out].
/// For 1×1 stride-1 convolutions the NHWC input is the column matrix itself.
enum GemmConvolution {
    /// Output pixels per im2col chunk: about 4 MB of columns.
    static func chunkRows(_ g: ConvolutionGeometry) -> Int {
        max(Gemm.mr, (1 << 20) / (g.kernel * g.kernel * g.inChannels / g.groups) / Gemm.mr * Gemm.mr)
    }

    static func forward(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        epilogue: ChannelEpilogue? = nil) {
        forEachChunk(g, x: x) { rows, group, columns in
            Gemm.multiply(m: rows.count, n: g.outChannels / g.groups, k: columns.depth, a: columns.matrix,
                          b: weightMatrix(g, weight, group),
                          c: y + rows.lowerBound * g.outChannels + group * g.outChannels / g.groups, ldc: g.outChannels,
                          accumulate: false, epilogue: epilogue?.advanced(by: group * g.outChannels / g.groups))
        }
    }

    /// An ungrouped 1×1 convolution as one GEMM, over its input in memory or over a batch
    /// norm's output that is not (the GEMM recomputes each block of it into cache); `finished`
    /// gets each block of the output once it is final. `packedWeight`, when given, is read
    /// instead of `weight`.
    static func pointwiseForward(_ g: ConvolutionGeometry, x: InputRows, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                 epilogue: ChannelEpilogue?, finished: FinishedBlock?, packedWeight: PackedB? = nil) {
        precondition(g.isPointwise && g.groups == 1, "an ungrouped 1×1 convolution")
        let (input, recomputed) = x.matrix
        Gemm.multiply(m: g.batch * g.height * g.width, n: g.outChannels, k: g.inChannels, a: MatrixView(input, rowStride: g.inChannels),
                      b: weightMatrix(g, weight, 0), c: y, ldc: g.outChannels, accumulate: false, epilogue: epilogue, aRows: recomputed,
                      packedB: packedWeight, finished: finished)
    }

    /// dW[k·k·in, out] (+)= columnsᵀ · dY, chunk by chunk.
    /// A 1×1 convolution reads a batch norm's output recomputed block by block inside the GEMM;
    /// im2col needs it whole.
    static func weightGradient(_ g: ConvolutionGeometry, x: InputRows, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                               overwrite: Bool = false) {
        if case let .normalized(rows) = x, !g.isPointwise {
            let values = Tensor(unwritten: rows, requiresGrad: false)
            withExtendedLifetime(values) { weightGradient(g, x: .inPlace(values.data), dy: dy, dw: dw, overwrite: overwrite) }
            return
        }
        let (base, recomputed) = x.matrix
        let groupOut = g.outChannels / g.groups
        forEachChunk(g, x: base) { rows, group, columns in
            // With `overwrite`, each group's first chunk writes its columns of dW.
            Gemm.multiply(m: columns.depth, n: groupOut, k: rows.count, a: columns.matrix.transposed,
                          b: MatrixView(dy + rows.lowerBound * g.outChannels + group * groupOut, rowStride: g.outChannels),
                          c: dw + group * groupOut, ldc: g.outChannels, accumulate: !(overwrite && rows.lowerBound == 0), epilogue: nil,
                          aRows: recomputed)
        }
    }

    /// dcolumns = dY · Wᵀ, scattered back onto dX (directly for 1×1 stride-1, whose blocks of dX
    /// go to `finished` once final).
    static func inputGradient(_ g: ConvolutionGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                              accumulate: Bool = true, finished: FinishedBlock? = nil) {
        precondition(finished == nil || g.isPointwise && g.groups == 1, "finished blocks of an ungrouped 1×1 convolution's input gradient")
        let groupIn = g.inChannels / g.groups, groupOut = g.outChannels / g.groups
        let depth = g.kernel * g.kernel * groupIn
        let pixels = g.batch * g.outHeight * g.outWidth
        for group in 0..<g.groups {
            let weightTransposed = weightMatrix(g, weight, group).transposed
            if g.isPointwise {
                Gemm.multiply(m: pixels, n: groupIn, k: groupOut, a: MatrixView(dy + group * groupOut, rowStride: g.outChannels),
                              b: weightTransposed, c: dx + group * groupIn, ldc: g.inChannels, accumulate: accumulate, epilogue: nil, finished: finished)
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
                g.forEachTap(pixel: rows.lowerBound + r) { tap, inputPixel in
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
            g.forEachTap(pixel: r) { tap, inputPixel in
                guard let inputPixel else { return }
                let target = dx + inputPixel * g.inChannels + group * groupIn
                let source = row + tap * groupIn
                for c in 0..<groupIn { target[c] += source[c] }
            }
        }
    }
}
