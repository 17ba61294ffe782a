/// Element-wise loops over whole tensors, split across threads when large; the closures are
/// inlined, so the loops vectorise.
enum Elementwise {
    static let minimumParallelCount = 1 << 16

    /// out[i] = f(a[i], b[i])
    @inline(__always)
    static func apply(_ count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                      _ f: (Float, Float) -> Float) {
        forEachRange(count) { range in
            for i in range { out[i] = f(a[i], b[i]) }
        }
    }

    /// out[i] += f(a[i], b[i])
    @inline(__always)
    static func accumulate(_ count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           _ f: (Float, Float) -> Float) {
        forEachRange(count) { range in
            for i in range { out[i] += f(a[i], b[i]) }
        }
    }

    @inline(__always)
    static func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forEach(count, granularity: 1024, work: count, minimumWork: minimumParallelCount, body)
    }
}
