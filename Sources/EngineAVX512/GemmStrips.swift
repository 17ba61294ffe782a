import _Builtin_intrinsics.intel
import CPrefetch

/// The GEMM's inner loops for CPUs with AVX-512 (this module is compiled for it; Engine calls
/// into it only after checking the CPU). Each call runs one strip of C: `rowTiles` tiles of six
/// rows, all against the same packed B columns, so the call costs little against the tiles.
///
/// Operands as in Engine's GEMM: tile t's A(r, p) is a[t·aTileStride + r·aRowStride + p·aColumnStride]
/// (a packed 6-row panel or six rows read in place); B is in 16-column panels whose rows are
/// `bStride` apart (16 when packed: panel[p·16 + j]; B's row stride when read in place); row r
/// of tile t of C starts at c + t·6·ldc + r·ldc.
/// With `scale` set, each value becomes clamp(value·scale[j] + bias[j], lower, upper) before it
/// is stored (evaluation-mode batch norm and activation on the accumulator registers). The last
/// tile stores only its rows in `lastRows` (the others are a packed panel's zero padding, or rows
/// the tile before stored when the last tile is read in place ending at A's last row), so a
/// product whose rows are not a multiple of six needs no scratch tile.
public enum GemmStrips {
    typealias V = SIMD16<Float>

    /// 6×32 tiles: twelve 16-wide accumulators; columns 0–15 from `b0`, 16–31 from `b1`. With
    /// `narrow`, 6×24 tiles (a strip of 24 columns, e.g. a 24-channel layer) whose second
    /// accumulators are 8 wide, so no lane multiplies the zero columns of B's padded panel: where
    /// a 16-wide multiply-add takes both 256-bit units (AVX-512 on Zen 4) a column of A costs 9
    /// cycles against 12 with 16-wide ones, with 512-bit units 6 either way (a [32, 32, 32, 96]→24
    /// convolution 0.88 → 0.75–0.79 ms; in one process, V2 batch inference 0.989 of the time, one
    /// window 0.992, training 0.990).
    /// With `fetchesC` (a C larger than the caches), each tile asks for the next tile's lines of
    /// C in the exclusive state (`prefetchw`) before its multiply-adds, so that the reads for
    /// ownership its stores would wait on overlap them.
    @inline(never)
    public static func strip32(rowTiles: Int, kc: Int, a: UnsafePointer<Float>, aTileStride: Int, aRowStride: Int, aColumnStride: Int,
                               b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, bStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               accumulate: Bool, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, lower: Float, upper: Float,
                               narrow: Bool, fetchesC: Bool = false, lastRows: Range<Int> = 0..<6) {
        let epilogue = scale.map { Epilogue(scale: $0, bias: bias!, lower: lower, upper: upper) }
        func run<Second: SIMD>(_ second: Second.Type) where Second.Scalar == Float {
            twoPanelTiles(second, rowTiles: rowTiles, kc: kc, a: a, aTileStride: aTileStride, aRowStride: aRowStride, aColumnStride: aColumnStride,
                          b0: b0, b1: b1, bStride: bStride, c: c, ldc: ldc, accumulate: accumulate, epilogue: epilogue, fetchesC: fetchesC,
                          lastRows: lastRows)
        }
        if narrow { run(SIMD8<Float>.self) } else { run(V.self) }
    }

    /// 6-row tiles of 16 columns from `b0` and `Second.scalarCount` (16 or 8) from `b1`.
    @inline(__always)
    private static func twoPanelTiles<Second: SIMD>(_: Second.Type, rowTiles: Int, kc: Int, a: UnsafePointer<Float>, aTileStride: Int,
                                                    aRowStride: Int, aColumnStride: Int, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
                                                    bStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                                                    epilogue: Epilogue?, fetchesC: Bool, lastRows: Range<Int>) where Second.Scalar == Float {
        for t in 0..<rowTiles {
            var c00 = V(), c10 = V(), c20 = V(), c30 = V(), c40 = V(), c50 = V()
            var c01 = Second(), c11 = Second(), c21 = Second(), c31 = Second(), c41 = Second(), c51 = Second()
            var ap = a + t * aTileStride
            var bp0 = UnsafeRawPointer(b0), bp1 = UnsafeRawPointer(b1)
            let rs = aRowStride
            if fetchesC && t + 1 < rowTiles { fetchForWriting(c + (t + 1) * 6 * ldc, ldc: ldc, columns: 16 + Second.scalarCount) }
            for _ in 0..<kc {
                let x0 = bp0.load(as: V.self), x1 = bp1.load(as: Second.self)
                var value = ap[0]
                c00 = c00.addingProduct(V(repeating: value), x0); c01 = c01.addingProduct(Second(repeating: value), x1)
                value = ap[rs]
                c10 = c10.addingProduct(V(repeating: value), x0); c11 = c11.addingProduct(Second(repeating: value), x1)
                value = ap[2 * rs]
                c20 = c20.addingProduct(V(repeating: value), x0); c21 = c21.addingProduct(Second(repeating: value), x1)
                value = ap[3 * rs]
                c30 = c30.addingProduct(V(repeating: value), x0); c31 = c31.addingProduct(Second(repeating: value), x1)
                value = ap[4 * rs]
                c40 = c40.addingProduct(V(repeating: value), x0); c41 = c41.addingProduct(Second(repeating: value), x1)
                value = ap[5 * rs]
                c50 = c50.addingProduct(V(repeating: value), x0); c51 = c51.addingProduct(Second(repeating: value), x1)
                ap += aColumnStride
                bp0 += 4 * bStride; bp1 += 4 * bStride
            }
            let tile = c + t * 6 * ldc
            @_transparent func row(_ first: V, _ second: Second, _ row: UnsafeMutablePointer<Float>) {
                store(first, row, 0, accumulate, epilogue)
                storeLanes(second, row, 16, accumulate, epilogue)
            }
            let rows = t == rowTiles - 1 ? lastRows : 0..<6
            if rows.contains(0) { row(c00, c01, tile) }
            if rows.contains(1) { row(c10, c11, tile + ldc) }
            if rows.contains(2) { row(c20, c21, tile + 2 * ldc) }
            if rows.contains(3) { row(c30, c31, tile + 3 * ldc) }
            if rows.contains(4) { row(c40, c41, tile + 4 * ldc) }
            if rows.contains(5) { row(c50, c51, tile + 5 * ldc) }
        }
    }

    /// 6×16 tiles (the last 16 columns of an odd number of panels), two at a time. With
    /// `narrow`, 6×8 tiles (a last strip of 8 columns) of 8-wide accumulators; `fetchesC` as there.
    @inline(never)
    public static func strip16(rowTiles: Int, kc: Int, a: UnsafePointer<Float>, aTileStride: Int, aRowStride: Int, aColumnStride: Int,
                               b0: UnsafePointer<Float>, bStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               accumulate: Bool, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, lower: Float, upper: Float,
                               narrow: Bool, fetchesC: Bool = false, lastRows: Range<Int> = 0..<6) {
        let epilogue = scale.map { Epilogue(scale: $0, bias: bias!, lower: lower, upper: upper) }
        func run<W: SIMD>(_ width: W.Type) where W.Scalar == Float {
            onePanelTiles(width, rowTiles: rowTiles, kc: kc, a: a, aTileStride: aTileStride, aRowStride: aRowStride, aColumnStride: aColumnStride,
                          b0: b0, bStride: bStride, c: c, ldc: ldc, accumulate: accumulate, epilogue: epilogue, fetchesC: fetchesC,
                          lastRows: lastRows)
        }
        if narrow { run(SIMD8<Float>.self) } else { run(V.self) }
    }

    /// 6-row tiles of `W.scalarCount` (16 or 8) columns from `b0`, two at a time: six
    /// accumulators are six chains of dependent multiply-adds, too few to keep two full-width
    /// units busy (four cycles each), twelve are enough. Each accumulator adds the same products
    /// in the same order either way.
    @inline(__always)
    private static func onePanelTiles<W: SIMD>(_: W.Type, rowTiles: Int, kc: Int, a: UnsafePointer<Float>, aTileStride: Int, aRowStride: Int,
                                               aColumnStride: Int, b0: UnsafePointer<Float>, bStride: Int, c: UnsafeMutablePointer<Float>,
                                               ldc: Int, accumulate: Bool, epilogue: Epilogue?, fetchesC: Bool,
                                               lastRows: Range<Int>) where W.Scalar == Float {
        let rs = aRowStride
        // Tile t's six rows into C; the last tile stores `lastRows` only.
        @_transparent func store(_ t: Int, _ c0: W, _ c1: W, _ c2: W, _ c3: W, _ c4: W, _ c5: W) {
            let tile = c + t * 6 * ldc
            let rows = t == rowTiles - 1 ? lastRows : 0..<6
            if rows.contains(0) { storeLanes(c0, tile, 0, accumulate, epilogue) }
            if rows.contains(1) { storeLanes(c1, tile + ldc, 0, accumulate, epilogue) }
            if rows.contains(2) { storeLanes(c2, tile + 2 * ldc, 0, accumulate, epilogue) }
            if rows.contains(3) { storeLanes(c3, tile + 3 * ldc, 0, accumulate, epilogue) }
            if rows.contains(4) { storeLanes(c4, tile + 4 * ldc, 0, accumulate, epilogue) }
            if rows.contains(5) { storeLanes(c5, tile + 5 * ldc, 0, accumulate, epilogue) }
        }
        var t = 0
        while t + 1 < rowTiles {
            var c0 = W(), c1 = W(), c2 = W(), c3 = W(), c4 = W(), c5 = W()
            var d0 = W(), d1 = W(), d2 = W(), d3 = W(), d4 = W(), d5 = W()
            var ap = a + t * aTileStride, aq = ap + aTileStride
            var bp = UnsafeRawPointer(b0)
            if fetchesC && t + 2 < rowTiles {
                fetchForWriting(c + (t + 2) * 6 * ldc, ldc: ldc, columns: W.scalarCount, rowCount: min(12, (rowTiles - t - 2) * 6))
            }
            for _ in 0..<kc {
                let x = bp.load(as: W.self)
                c0 = c0.addingProduct(W(repeating: ap[0]), x); d0 = d0.addingProduct(W(repeating: aq[0]), x)
                c1 = c1.addingProduct(W(repeating: ap[rs]), x); d1 = d1.addingProduct(W(repeating: aq[rs]), x)
                c2 = c2.addingProduct(W(repeating: ap[2 * rs]), x); d2 = d2.addingProduct(W(repeating: aq[2 * rs]), x)
                c3 = c3.addingProduct(W(repeating: ap[3 * rs]), x); d3 = d3.addingProduct(W(repeating: aq[3 * rs]), x)
                c4 = c4.addingProduct(W(repeating: ap[4 * rs]), x); d4 = d4.addingProduct(W(repeating: aq[4 * rs]), x)
                c5 = c5.addingProduct(W(repeating: ap[5 * rs]), x); d5 = d5.addingProduct(W(repeating: aq[5 * rs]), x)
                ap += aColumnStride; aq += aColumnStride
                bp += 4 * bStride
            }
            store(t, c0, c1, c2, c3, c4, c5)
            store(t + 1, d0, d1, d2, d3, d4, d5)
            t += 2
        }
        if t < rowTiles {
            var c0 = W(), c1 = W(), c2 = W(), c3 = W(), c4 = W(), c5 = W()
            var ap = a + t * aTileStride
            var bp = UnsafeRawPointer(b0)
            for _ in 0..<kc {
                let x = bp.load(as: W.self)
                c0 = c0.addingProduct(W(repeating: ap[0]), x)
                c1 = c1.addingProduct(W(repeating: ap[rs]), x)
                c2 = c2.addingProduct(W(repeating: ap[2 * rs]), x)
                c3 = c3.addingProduct(W(repeating: ap[3 * rs]), x)
                c4 = c4.addingProduct(W(repeating: ap[4 * rs]), x)
                c5 = c5.addingProduct(W(repeating: ap[5 * rs]), x)
                ap += aColumnStride
                bp += 4 * bStride
            }
            store(t, c0, c1, c2, c3, c4, c5)
        }
    }

    /// `rowCount` rows of `columns` values from `rows`, `ldc` apart, fetched for writing.
    @inline(__always)
    private static func fetchForWriting(_ rows: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, rowCount: Int = 6) {
        for r in 0..<rowCount {
            let row = rows + r * ldc
            for j in stride(from: 0, to: columns, by: 16) { genre_prefetch_write(row + j) }
            genre_prefetch_write(row + columns - 1)
        }
    }

    struct Epilogue {
        let scale: UnsafePointer<Float>
        let bias: UnsafePointer<Float>
        let lower: Float
        let upper: Float
    }

    /// `store` or `storeHalf`, by the vector's width (16 or 8).
    @_transparent
    static func storeLanes<W: SIMD>(_ value: W, _ row: UnsafeMutablePointer<Float>, _ column: Int, _ accumulate: Bool,
                                    _ epilogue: Epilogue?) where W.Scalar == Float {
        if W.scalarCount == 16 {
            store(unsafeBitCast(value, to: V.self), row, column, accumulate, epilogue)
        } else {
            storeHalf(unsafeBitCast(value, to: SIMD8<Float>.self), row, column, accumulate, epilogue)
        }
    }

    /// Eight values of one row at `row + column`, as `store` treats sixteen.
    @_transparent
    static func storeHalf(_ value: SIMD8<Float>, _ row: UnsafeMutablePointer<Float>, _ column: Int, _ accumulate: Bool, _ epilogue: Epilogue?) {
        let target = UnsafeMutableRawPointer(row + column)
        var value = value
        if accumulate { value += target.loadUnaligned(as: SIMD8<Float>.self) }
        if let e = epilogue {
            let (scale, bias) = (UnsafeRawPointer(e.scale + column).loadUnaligned(as: SIMD8<Float>.self),
                                 UnsafeRawPointer(e.bias + column).loadUnaligned(as: SIMD8<Float>.self))
            value = _mm256_min_ps(SIMD8(repeating: e.upper), _mm256_max_ps(SIMD8(repeating: e.lower), bias.addingProduct(value, scale)))
        }
        target.storeBytes(of: value, as: SIMD8<Float>.self)
    }

    /// Sixteen values of one row at `row + column`: added to what is there, then the epilogue.
    @_transparent
    static func store(_ value: V, _ row: UnsafeMutablePointer<Float>, _ column: Int, _ accumulate: Bool, _ epilogue: Epilogue?) {
        let target = UnsafeMutableRawPointer(row + column)
        var value = value
        if accumulate { value += target.loadUnaligned(as: V.self) }
        if let e = epilogue {
            value = Affine(scale: load16(e.scale + column), bias: load16(e.bias + column), lower: e.lower, upper: e.upper)(value)
        }
        target.storeBytes(of: value, as: V.self)
    }
}
