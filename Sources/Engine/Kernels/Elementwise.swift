import _Builtin_intrinsics.intel

/// Element-wise loops over whole tensors, 8 lanes at a time, split across threads when large.
/// Kernels are generic types rather than closures, so each loop is specialised and inlined
/// (a closure called per element inside a parallel chunk is not).
enum Elementwise {
    static let minimumParallelCount = 1 << 16
    typealias V = SIMD8<Float>

    /// out[i] = kernel(a[i], b[i]), or out[i] += ... when accumulating.
    @inline(__always)
    static func map<K: LaneKernel>(_ count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   into out: UnsafeMutablePointer<Float>, accumulate: Bool, _ kernel: K) {
        let (first, second, target) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(out))
        Parallel.forEach(count, granularity: 1024, work: count, minimumWork: minimumParallelCount) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                var value = kernel(first.value.vector(i), second.value.vector(i))
                if accumulate { value += UnsafePointer(target.value).vector(i) }
                target.value.store(value, at: i)
                i += 8
            }
            while i < range.upperBound {
                let value = kernel(V(repeating: first.value[i]), V(repeating: second.value[i]))[0]
                target.value[i] = accumulate ? target.value[i] + value : value
                i += 1
            }
        }
    }
}

/// A function of two 8-lane vectors applied element by element.
protocol LaneKernel {
    func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float>
}

/// min(upper, max(lower, a)) as `vmaxps`/`vminps` with the bound first: they return their second
/// operand on ties and NaN, so −0 and NaN come through as `a < lower ? lower : a` leaves them.
/// (SIMD's pointwiseMin/Max become library calls, and comparisons + selects four instructions.)
@inline(__always)
func clamp(_ a: SIMD8<Float>, lower: Float, upper: Float) -> SIMD8<Float> {
    _mm256_min_ps(SIMD8(repeating: upper), _mm256_max_ps(SIMD8(repeating: lower), a))
}

/// min(max(a, 0), upper)
struct ClampKernel: LaneKernel {
    let upper: Float
    @inline(__always) func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        clamp(a, lower: 0, upper: upper)
    }
}

/// The clamp's gradient a where its output b lies strictly inside (0, upper), else 0.
struct ClampGradientKernel: LaneKernel {
    let upper: Float
    @inline(__always) func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: 0, where: (b .<= 0) .| (b .>= upper))
    }
}

struct SumKernel: LaneKernel {
    @inline(__always) func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a + b }
}

struct ProductKernel: LaneKernel {
    @inline(__always) func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a * b }
}

/// a (b ignored): copies or accumulates a gradient.
struct FirstKernel: LaneKernel {
    @inline(__always) func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a }
}

extension UnsafePointer<Float> {
    /// Eight floats from self + offset (no alignment needed).
    @inline(__always) func vector(_ offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer<Float> {
    @inline(__always) func vector(_ offset: Int) -> SIMD8<Float> { UnsafePointer(self).vector(offset) }

    @inline(__always) func store(_ value: SIMD8<Float>, at offset: Int) {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
