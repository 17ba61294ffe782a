import _Builtin_intrinsics.intel

/// EngineAVX512's `OuterProductSums` in AVX2 registers: C[r, j] += Σ_p U[p, r]·V[p, j] over a
/// run of rows p, U and V read where they lie. A tile is up to 6 rows of C by 1–2 vectors of 8
/// columns (the last one `lastLanes` wide, read and written under a mask): each step loads the
/// tile's V values once and broadcasts 6 U values into 12 accumulators, the GEMM's 6×16 tile
/// without its packing. Each sum runs over p in order, as the AVX-512 tiles' do.
enum OuterProductSums8 {
    typealias V = SIMD8<Float>

    /// A tile's largest size: rows of C, and columns (two vectors).
    static let tileRows = 6
    static let tileColumns = 16

    /// `rows` (1–6) rows of C from U's columns u[0], u[1]…, `vectors` (1–2) vectors of columns.
    static func tile(vectors: Int, rows: Int, count: Int, u: UnsafePointer<Float>, uStride: Int,
                     v: UnsafePointer<Float>, vStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, lastLanes: Int) {
        if vectors == 1 {
            tile1(rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
        } else {
            tile2(rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
        }
    }

    // One function per width, as EngineAVX512's, so that each is compiled with its own loop: with
    // both widths inlined into `tile(vectors:…)`, LLVM kept `vectors` a variable in one loop and
    // spilled six of the accumulators.
    @inline(never)
    static func tile1(_ rows: Int, _ count: Int, _ u: UnsafePointer<Float>, _ uStride: Int,
                      _ v: UnsafePointer<Float>, _ vStride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ lastLanes: Int) {
        tile(1, rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
    }

    @inline(never)
    static func tile2(_ rows: Int, _ count: Int, _ u: UnsafePointer<Float>, _ uStride: Int,
                      _ v: UnsafePointer<Float>, _ vStride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ lastLanes: Int) {
        tile(2, rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
    }

    /// Lanes below `lanes` set (all bits), the rest clear: a mask for `_mm256_maskload_ps`.
    @inline(__always)
    private static func mask(lanes: Int) -> SIMD8<Int32> {
        SIMD8<Int32>(repeating: 0).replacing(with: -1, where: SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .< Int32(lanes))
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ mask: SIMD8<Int32>) -> V {
        _mm256_maskload_ps(p, unsafeBitCast(mask, to: __m256i.self))
    }

    @inline(__always)
    static func tile(_ vectors: Int, _ rows: Int, _ count: Int, _ u: UnsafePointer<Float>, _ uStride: Int,
                     _ v: UnsafePointer<Float>, _ vStride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ lastLanes: Int) {
        let last = mask(lanes: lastLanes)
        // The last vector is read under a mask (a layer of 12 channels), the others whole.
        let (mask0, mask1) = (vectors == 1 ? last : mask(lanes: 8), last)
        // Rows past `rows` repeat the last one; their sums are not stored.
        let (o1, o2, o3, o4, o5) = (min(1, rows - 1), min(2, rows - 1), min(3, rows - 1), min(4, rows - 1), min(5, rows - 1))
        var (c00, c01, c10, c11, c20, c21) = (V(), V(), V(), V(), V(), V())
        var (c30, c31, c40, c41, c50, c51) = (V(), V(), V(), V(), V(), V())
        var (up, vp) = (u, v)
        for _ in 0..<count {
            let x0 = load(vp, mask0)
            let x1 = vectors > 1 ? load(vp + 8, mask1) : V()
            @_transparent func row(_ offset: Int, _ a0: inout V, _ a1: inout V) {
                let b = V(repeating: up[offset])
                a0 = a0.addingProduct(b, x0)
                if vectors > 1 { a1 = a1.addingProduct(b, x1) }
            }
            row(0, &c00, &c01); row(o1, &c10, &c11); row(o2, &c20, &c21)
            row(o3, &c30, &c31); row(o4, &c40, &c41); row(o5, &c50, &c51)
            up += uStride
            vp += vStride
        }
        @_transparent func store(_ r: Int, _ a0: V, _ a1: V) {
            guard r < rows else { return }
            let target = c + r * ldc
            _mm256_maskstore_ps(target, unsafeBitCast(mask0, to: __m256i.self), load(target, mask0) + a0)
            if vectors > 1 { _mm256_maskstore_ps(target + 8, unsafeBitCast(mask1, to: __m256i.self), load(target + 8, mask1) + a1) }
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21)
        store(3, c30, c31); store(4, c40, c41); store(5, c50, c51)
    }
}
