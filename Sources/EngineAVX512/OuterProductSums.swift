import _Builtin_intrinsics.intel

/// C[r, j] += Σ_p U[p, r]·V[p, j] over a run of rows p: a 1×1 convolution's weight gradient,
/// with U and V its input and output gradient (or the other way round), both [pixels, channels]
/// and read where they lie. A tile is up to 8 rows of C by 1–3 vectors of 16 columns (the last
/// one `lastLanes` wide): each step loads the tile's V values once and broadcasts 8 U values
/// into 24 accumulators, where the GEMM's 6×32 tiles broadcast 6 for 12, and nothing is packed.
public enum OuterProductSums {
    typealias V = SIMD16<Float>

    /// A tile's largest size: rows of C, and columns (three vectors).
    public static let tileRows = 8
    public static let tileColumns = 48

    /// `rows` (1–8) rows of C from U's columns u[0], u[1]…, `vectors` (1–3) vectors of columns.
    public static func tile(vectors: Int, rows: Int, count: Int, u: UnsafePointer<Float>, uStride: Int,
                            v: UnsafePointer<Float>, vStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, lastLanes: Int) {
        switch vectors {
        case 1: tile1(rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
        case 2: tile2(rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
        default: tile3(rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
        }
    }

    // One function per width, so that each is compiled with its own loop.
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

    @inline(never)
    static func tile3(_ rows: Int, _ count: Int, _ u: UnsafePointer<Float>, _ uStride: Int,
                      _ v: UnsafePointer<Float>, _ vStride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ lastLanes: Int) {
        tile(3, rows, count, u, uStride, v, vStride, c, ldc, lastLanes)
    }

    @inline(__always)
    static func tile(_ vectors: Int, _ rows: Int, _ count: Int, _ u: UnsafePointer<Float>, _ uStride: Int,
                     _ v: UnsafePointer<Float>, _ vStride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ lastLanes: Int) {
        let last = UInt16(truncatingIfNeeded: (1 << lastLanes) - 1)
        // The last vector is read under a mask (a layer of 24 channels), the others whole.
        let (mask0, mask1, mask2) = (vectors == 1 ? last : 0xFFFF, vectors == 2 ? last : 0xFFFF, last)
        // Rows past `rows` repeat the last one; their sums are not stored.
        let (o1, o2, o3) = (min(1, rows - 1), min(2, rows - 1), min(3, rows - 1))
        let (o4, o5, o6, o7) = (min(4, rows - 1), min(5, rows - 1), min(6, rows - 1), min(7, rows - 1))
        var (c00, c01, c02, c10, c11, c12) = (V(), V(), V(), V(), V(), V())
        var (c20, c21, c22, c30, c31, c32) = (V(), V(), V(), V(), V(), V())
        var (c40, c41, c42, c50, c51, c52) = (V(), V(), V(), V(), V(), V())
        var (c60, c61, c62, c70, c71, c72) = (V(), V(), V(), V(), V(), V())
        var (up, vp) = (u, v)
        for _ in 0..<count {
            let x0 = _mm512_maskz_loadu_ps(mask0, vp)
            let x1 = vectors > 1 ? _mm512_maskz_loadu_ps(mask1, vp + 16) : V()
            let x2 = vectors > 2 ? _mm512_maskz_loadu_ps(mask2, vp + 32) : V()
            @_transparent func row(_ offset: Int, _ a0: inout V, _ a1: inout V, _ a2: inout V) {
                let b = V(repeating: up[offset])
                a0 = a0.addingProduct(b, x0)
                if vectors > 1 { a1 = a1.addingProduct(b, x1) }
                if vectors > 2 { a2 = a2.addingProduct(b, x2) }
            }
            row(0, &c00, &c01, &c02); row(o1, &c10, &c11, &c12); row(o2, &c20, &c21, &c22); row(o3, &c30, &c31, &c32)
            row(o4, &c40, &c41, &c42); row(o5, &c50, &c51, &c52); row(o6, &c60, &c61, &c62); row(o7, &c70, &c71, &c72)
            up += uStride
            vp += vStride
        }
        @_transparent func store(_ r: Int, _ a0: V, _ a1: V, _ a2: V) {
            guard r < rows else { return }
            let target = c + r * ldc
            _mm512_mask_storeu_ps(target, mask0, _mm512_maskz_loadu_ps(mask0, target) + a0)
            if vectors > 1 { _mm512_mask_storeu_ps(target + 16, mask1, _mm512_maskz_loadu_ps(mask1, target + 16) + a1) }
            if vectors > 2 { _mm512_mask_storeu_ps(target + 32, mask2, _mm512_maskz_loadu_ps(mask2, target + 32) + a2) }
        }
        store(0, c00, c01, c02); store(1, c10, c11, c12); store(2, c20, c21, c22); store(3, c30, c31, c32)
        store(4, c40, c41, c42); store(5, c50, c51, c52); store(6, c60, c61, c62); store(7, c70, c71, c72)
    }
}
