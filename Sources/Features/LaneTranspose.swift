/// Eight rows of values turned into eight lanes: `lanes[k * 8 + f] = rows[f * rowStride + k]`
/// for k < count, so that eight frames' spectra, each computed contiguously, become one SIMD
/// vector per bin. Whole 8×8 blocks go through registers (unpack, shuffle, swap halves: the
/// classic AVX transpose); written one value at a time, the strided stores cost a 30 s clip's
/// log-mel a third of its time.
enum LaneTranspose {
    typealias V = SIMD8<Float>

    static func transpose(_ rows: UnsafePointer<Float>, rowStride: Int, count: Int, into lanes: UnsafeMutablePointer<Float>) {
        let source = UnsafeRawPointer(rows), target = UnsafeMutableRawPointer(lanes)
        var k = 0
        while k + 8 <= count {
            @inline(__always) func row(_ f: Int) -> V { source.loadUnaligned(fromByteOffset: 4 * (f * rowStride + k), as: V.self) }
            let t = block((row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)))
            let base = 4 * 8 * k
            target.storeBytes(of: t.0, toByteOffset: base, as: V.self)
            target.storeBytes(of: t.1, toByteOffset: base + 32, as: V.self)
            target.storeBytes(of: t.2, toByteOffset: base + 64, as: V.self)
            target.storeBytes(of: t.3, toByteOffset: base + 96, as: V.self)
            target.storeBytes(of: t.4, toByteOffset: base + 128, as: V.self)
            target.storeBytes(of: t.5, toByteOffset: base + 160, as: V.self)
            target.storeBytes(of: t.6, toByteOffset: base + 192, as: V.self)
            target.storeBytes(of: t.7, toByteOffset: base + 224, as: V.self)
            k += 8
        }
        for k in k..<count {
            for f in 0..<8 { lanes[k * 8 + f] = rows[f * rowStride + k] }
        }
    }

    /// The 8×8 transpose of rows r.0…r.7.
    @inline(__always)
    static func block(_ r: (V, V, V, V, V, V, V, V)) -> (V, V, V, V, V, V, V, V) {
        // Pairs of rows interleaved within each 128-bit half…
        @inline(__always) func low(_ a: V, _ b: V) -> V { V(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
        @inline(__always) func high(_ a: V, _ b: V) -> V { V(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
        // …then pairs of pairs…
        @inline(__always) func even(_ a: V, _ b: V) -> V { V(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
        @inline(__always) func odd(_ a: V, _ b: V) -> V { V(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
        // …and the halves of the first four rows' columns and the last four's joined.
        @inline(__always) func lowHalves(_ a: V, _ b: V) -> V { V(lowHalf: a.lowHalf, highHalf: b.lowHalf) }
        @inline(__always) func highHalves(_ a: V, _ b: V) -> V { V(lowHalf: a.highHalf, highHalf: b.highHalf) }
        let t0 = low(r.0, r.1), t1 = high(r.0, r.1), t2 = low(r.2, r.3), t3 = high(r.2, r.3)
        let t4 = low(r.4, r.5), t5 = high(r.4, r.5), t6 = low(r.6, r.7), t7 = high(r.6, r.7)
        let u0 = even(t0, t2), u1 = odd(t0, t2), u2 = even(t1, t3), u3 = odd(t1, t3)
        let u4 = even(t4, t6), u5 = odd(t4, t6), u6 = even(t5, t7), u7 = odd(t5, t7)
        return (lowHalves(u0, u4), lowHalves(u1, u5), lowHalves(u2, u6), lowHalves(u3, u7),
                highHalves(u0, u4), highHalves(u1, u5), highHalves(u2, u6), highHalves(u3, u7))
    }
}
