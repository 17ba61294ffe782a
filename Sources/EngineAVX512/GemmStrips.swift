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
    /// `narrow`, 6×24 tiles (a strip of 24 columns, e.g. a 24-channel layer): the second
    /// accumulators' upper halves (zero columns of B's padded panel) are not stored, so whole
    /// tiles go straight to C instead of through a scratch tile copied value by value.
    /// With `fetchesC` (a C larger than the caches), each tile asks for the next tile's lines of
    /// C in the exclusive state (`prefetchw`) before its multiply-adds, so that the reads for
    /// ownership its stores would wait on overlap them.
    @inline(never)
    public static func strip32(rowTiles: Int, kc: Int, a: UnsafePointer<Float>, aTileStride: Int, aRowStride: Int, aColumnStride: Int,
                               b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, bStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               accumulate: Bool, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, lower: Float, upper: Float,
                               narrow: Bool, fetchesC: Bool = false, lastRows: Range<Int> = 0..<6) {
        let epilogue = scale.map { Epilogue(scale: $0, bias: bias!, lower: lower, upper: upper) }
        for t in 0..<rowTiles {
            var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
            var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
            var ap = a + t * aTileStride
            var bp0 = UnsafeRawPointer(b0), bp1 = UnsafeRawPointer(b1)
            let rs = aRowStride
            if fetchesC && t + 1 < rowTiles { fetchForWriting(c + (t + 1) * 6 * ldc, ldc: ldc, columns: 32) }
            for _ in 0..<kc {
                let x0 = bp0.load(as: V.self), x1 = bp1.load(as: V.self)
                var av = V(repeating: ap[0])
                c00 = c00.addingProduct(av, x0); c01 = c01.addingProduct(av, x1)
                av = V(repeating: ap[rs])
                c10 = c10.addingProduct(av, x0); c11 = c11.addingProduct(av, x1)
                av = V(repeating: ap[2 * rs])
                c20 = c20.addingProduct(av, x0); c21 = c21.addingProduct(av, x1)
                av = V(repeating: ap[3 * rs])
                c30 = c30.addingProduct(av, x0); c31 = c31.addingProduct(av, x1)
                av = V(repeating: ap[4 * rs])
                c40 = c40.addingProduct(av, x0); c41 = c41.addingProduct(av, x1)
                av = V(repeating: ap[5 * rs])
                c50 = c50.addingProduct(av, x0); c51 = c51.addingProduct(av, x1)
                ap += aColumnStride
                bp0 += 4 * bStride; bp1 += 4 * bStride
            }
            let tile = c + t * 6 * ldc
            @_transparent func second(_ value: V, _ row: UnsafeMutablePointer<Float>) {
                if narrow { storeHalf(value.lowHalf, row, 16, accumulate, epilogue) } else { store(value, row, 16, accumulate, epilogue) }
            }
            let rows = t == rowTiles - 1 ? lastRows : 0..<6
            if rows.contains(0) { store(c00, tile, 0, accumulate, epilogue); second(c01, tile) }
            if rows.contains(1) { store(c10, tile + ldc, 0, accumulate, epilogue); second(c11, tile + ldc) }
            if rows.contains(2) { store(c20, tile + 2 * ldc, 0, accumulate, epilogue); second(c21, tile + 2 * ldc) }
            if rows.contains(3) { store(c30, tile + 3 * ldc, 0, accumulate, epilogue); second(c31, tile + 3 * ldc) }
            if rows.contains(4) { store(c40, tile + 4 * ldc, 0, accumulate, epilogue); second(c41, tile + 4 * ldc) }
            if rows.contains(5) { store(c50, tile + 5 * ldc, 0, accumulate, epilogue); second(c51, tile + 5 * ldc) }
        }
    }

    /// 6×16 tiles (the last 16 columns of an odd number of panels): six accumulators. With
    /// `narrow`, 6×8 tiles (a last strip of 8 columns), stored straight to C as `strip32` stores 24;
    /// `fetchesC` as there.
    @inline(never)
    public static func strip16(rowTiles: Int, kc: Int, a: UnsafePointer<Float>, aTileStride: Int, aRowStride: Int, aColumnStride: Int,
                               b0: UnsafePointer<Float>, bStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               accumulate: Bool, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, lower: Float, upper: Float,
                               narrow: Bool, fetchesC: Bool = false, lastRows: Range<Int> = 0..<6) {
        let epilogue = scale.map { Epilogue(scale: $0, bias: bias!, lower: lower, upper: upper) }
        for t in 0..<rowTiles {
            var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
            var ap = a + t * aTileStride
            var bp = UnsafeRawPointer(b0)
            let rs = aRowStride
            if fetchesC && t + 1 < rowTiles { fetchForWriting(c + (t + 1) * 6 * ldc, ldc: ldc, columns: 16) }
            for _ in 0..<kc {
                let x = bp.load(as: V.self)
                c0 = c0.addingProduct(V(repeating: ap[0]), x)
                c1 = c1.addingProduct(V(repeating: ap[rs]), x)
                c2 = c2.addingProduct(V(repeating: ap[2 * rs]), x)
                c3 = c3.addingProduct(V(repeating: ap[3 * rs]), x)
                c4 = c4.addingProduct(V(repeating: ap[4 * rs]), x)
                c5 = c5.addingProduct(V(repeating: ap[5 * rs]), x)
                ap += aColumnStride
                bp += 4 * bStride
            }
            let tile = c + t * 6 * ldc
            @_transparent func first(_ value: V, _ row: UnsafeMutablePointer<Float>) {
                if narrow { storeHalf(value.lowHalf, row, 0, accumulate, epilogue) } else { store(value, row, 0, accumulate, epilogue) }
            }
            let rows = t == rowTiles - 1 ? lastRows : 0..<6
            if rows.contains(0) { first(c0, tile) }
            if rows.contains(1) { first(c1, tile + ldc) }
            if rows.contains(2) { first(c2, tile + 2 * ldc) }
            if rows.contains(3) { first(c3, tile + 3 * ldc) }
            if rows.contains(4) { first(c4, tile + 4 * ldc) }
            if rows.contains(5) { first(c5, tile + 5 * ldc) }
        }
    }

    /// Six rows of `columns` values from `rows`, `ldc` apart, fetched for writing.
    @inline(__always)
    private static func fetchForWriting(_ rows: UnsafeMutablePointer<Float>, ldc: Int, columns: Int) {
        for r in 0..<6 {
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
