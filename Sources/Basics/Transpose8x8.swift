/// Eight vectors of eight floats transposed in registers: result.k[i] = rows.i[k]. Pairs of rows
/// interleaved within each 128-bit half, then pairs of pairs, then the halves of the first four
/// rows' columns and the last four's joined (the classic AVX transpose: unpack, shuffle, swap
/// halves). Inlined into the caller, whose module is compiled for AVX.
public enum Transpose8x8 {
    public typealias V = SIMD8<Float>

    /// Eight vectors read `sourceStride` floats apart from `source`, written transposed
    /// `targetStride` floats apart from `target`: target[k·targetStride + i] = source[i·sourceStride + k].
    @inlinable @inline(__always)
    public static func copy(from source: UnsafePointer<Float>, sourceStride: Int, to target: UnsafeMutablePointer<Float>, targetStride: Int) {
        @inline(__always) func load(_ i: Int) -> V { UnsafeRawPointer(source + i * sourceStride).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ value: V, _ k: Int) { UnsafeMutableRawPointer(target + k * targetStride).storeBytes(of: value, as: V.self) }
        let t = rows((load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7)))
        store(t.0, 0); store(t.1, 1); store(t.2, 2); store(t.3, 3)
        store(t.4, 4); store(t.5, 5); store(t.6, 6); store(t.7, 7)
    }

    @inlinable @inline(__always)
    public static func rows(_ r: (V, V, V, V, V, V, V, V)) -> (V, V, V, V, V, V, V, V) {
        @inline(__always) func low(_ a: V, _ b: V) -> V { V(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
        @inline(__always) func high(_ a: V, _ b: V) -> V { V(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
        @inline(__always) func even(_ a: V, _ b: V) -> V { V(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
        @inline(__always) func odd(_ a: V, _ b: V) -> V { V(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
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
