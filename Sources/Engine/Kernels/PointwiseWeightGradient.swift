import EngineAVX512

/// dW[in, out] += Σ_p X[p, in] ⊗ dY[p, out] for a 1×1 convolution over many pixels (the early
/// layers: 131 072 pixels by 16–144 channels): outer-product tiles (EngineAVX512's, or
/// `OuterProductSums8` on AVX2) read X (or its batch norm's output, recomputed a run of rows at a
/// time) and dY in place. The wider of the two is the tiles' vector side; with X there, the sums
/// are dWᵀ and are turned when added to dW. Threads take slices of the pixels and sum into their
/// own copies, added in slice order (the same bits on every run, and on either instruction set).
enum PointwiseWeightGradient {
    /// Pixels per run: a tile's columns of V and U (48 and 8 on AVX-512, 16 and 6 on AVX2) stay in
    /// the first-level cache.
    static let run = 128

    /// For the products the GEMM would cut by pixels (K much longer than both channel counts).
    static func applies(_ g: ConvolutionGeometry) -> Bool {
        g.isPointwise && g.groups == 1 && g.batch * g.height * g.width > 2 * max(g.inChannels, g.outChannels) * run
    }

    /// The active instruction set's tiles: rows and columns at most, lanes a vector, and the
    /// kernel (`OuterProductSums.tile`'s arguments).
    private static var tiles: (rows: Int, columns: Int, lanes: Int,
                               kernel: (Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int, Int) -> Void) {
        if InstructionSet.active == .avx512 {
            return (OuterProductSums.tileRows, OuterProductSums.tileColumns, 16, {
                OuterProductSums.tile(vectors: $0, rows: $1, count: $2, u: $3, uStride: $4, v: $5, vStride: $6, c: $7, ldc: $8, lastLanes: $9)
            })
        }
        return (OuterProductSums8.tileRows, OuterProductSums8.tileColumns, 8, {
            OuterProductSums8.tile(vectors: $0, rows: $1, count: $2, u: $3, uStride: $4, v: $5, vStride: $6, c: $7, ldc: $8, lastLanes: $9)
        })
    }

    static func accumulate(_ g: ConvolutionGeometry, x: InputRows, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>) {
        sweep(g, weightGradient: (x, dw)) { rows, _ in dy + rows.lowerBound * g.outChannels }
    }

    /// Threads take slices of the pixels and each slice goes a run of pixels at a time: dY's
    /// rows from `dyRows` (given scratch for a run of them), with `weightGradient` their outer
    /// products with X's into the slice's sums, then `afterRun` on the same rows while they are
    /// in cache. The slices' sums go into dW in slice order.
    static func sweep(_ g: ConvolutionGeometry, weightGradient: (x: InputRows, dw: UnsafeMutablePointer<Float>)?,
                      dyRows: (Range<Int>, UnsafeMutablePointer<Float>) -> UnsafePointer<Float>,
                      afterRun: ((Range<Int>, UnsafePointer<Float>) -> Void)? = nil) {
        let pixels = g.batch * g.height * g.width
        let (cin, cout) = (g.inChannels, g.outChannels)
        // The input in memory, or the norm's input in its place, and how to recompute it.
        let x = weightGradient?.x.matrix
        let recomputed = x?.recomputed
        // U broadcasts along C's rows, V is loaded along its columns.
        let xIsV = cin > cout
        let (rows, columns) = xIsV ? (cout, cin) : (cin, cout)
        let (uStride, vStride) = (rows, columns)
        let tiles = Self.tiles
        let (tileRows, tileColumns, lanes) = (tiles.rows, tiles.columns, tiles.lanes)
        let parts = Parallel.ranges(pixels, granularity: run, work: pixels * cin * cout, minimumWork: 1 << 20)
        withScratch(x == nil ? 1 : parts.count * rows * columns) { partial in
            Parallel.forEach(parts) { index, slice in
                let c = partial + index * rows * columns
                if x != nil { c.update(repeating: 0, count: rows * columns) }
                withScratch(run * cout) { dyScratch in
                withScratch(recomputed == nil ? 1 : run * cin) { scratch in
                    for start in stride(from: slice.lowerBound, to: slice.upperBound, by: run) {
                        let runRows = start..<min(start + run, slice.upperBound)
                        let dyRun = dyRows(runRows, dyScratch)
                        defer { afterRun?(runRows, dyRun) }
                        guard let x else { continue }
                        var xRun = x.base + start * cin
                        if let recomputed {
                            recomputed.write(rows: runRows, into: scratch)
                            xRun = UnsafePointer(scratch)
                        }
                        let (u, v) = xIsV ? (dyRun, xRun) : (xRun, dyRun)
                        for j in stride(from: 0, to: columns, by: tileColumns) {
                            let width = min(tileColumns, columns - j)
                            let vectors = (width + lanes - 1) / lanes
                            for i in stride(from: 0, to: rows, by: tileRows) {
                                tiles.kernel(vectors, min(tileRows, rows - i), runRows.count, u + i, uStride, v + j, vStride,
                                             c + i * columns + j, columns, width - (vectors - 1) * lanes)
                            }
                        }
                    }
                }
                }
            }
            guard let dw = weightGradient?.dw else { return }
            // The slices' sums in order, into dW (turned when they are dWᵀ).
            for index in 0..<parts.count {
                let c = partial + index * rows * columns
                for i in 0..<cin {
                    let target = dw + i * cout
                    if xIsV {
                        for o in 0..<cout { target[o] += c[o * columns + i] }
                    } else {
                        for o in 0..<cout { target[o] += c[i * columns + o] }
                    }
                }
            }
        }
    }
}
