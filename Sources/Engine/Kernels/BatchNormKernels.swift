/// Per-channel reductions and affine maps over [rows, channels] data, 8 channels per vector,
/// split by rows across threads.
enum BatchNormKernels {
    typealias V = SIMD8<Float>
    /// Rows summed in Float before the sums move into Double: a Float running total over
    /// thousands of rows loses digits that a batch norm's gradient needs.
    static let blockRows = 64

    /// Σ_rows kernel(x, other, center) per channel (center and other default to zero and x),
    /// in Float over blocks of `blockRows` rows, the blocks summed in Double per thread.
    static func channelSums<K: RowKernel>(_ x: UnsafePointer<Float>, rows: Int, channels: Int, center: [Float]? = nil,
                                          other: UnsafePointer<Float>? = nil, _ kernel: K) -> [Double] {
        let chunks = Parallel.ranges(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount)
        var partials = [Float](repeating: 0, count: chunks.count * channels)
        var wide = [Double](repeating: 0, count: chunks.count * channels)
        let centre = center ?? [Float](repeating: 0, count: channels)
        partials.withUnsafeMutableBufferPointer { partialBuffer in wide.withUnsafeMutableBufferPointer { wideBuffer in
            centre.withUnsafeBufferPointer { centreBuffer in
                let shared = UncheckedSendable((x, other ?? x, centreBuffer.baseAddress!, partialBuffer.baseAddress!, wideBuffer.baseAddress!))
                Parallel.forEach(chunks) { chunk, range in
                    let (source, second, mean, all, allWide) = shared.value
                    let sum = all + chunk * channels, total = allWide + chunk * channels
                    for block in stride(from: range.lowerBound, to: range.upperBound, by: blockRows) {
                        for row in block..<min(block + blockRows, range.upperBound) {
                            let (a, b) = (source + row * channels, second + row * channels)
                            var c = 0
                            while c + 8 <= channels {
                                sum.store(sum.vector(c) + kernel(a.vector(c), b.vector(c), mean.vector(c)), at: c)
                                c += 8
                            }
                            while c < channels {
                                sum[c] += kernel(V(repeating: a[c]), V(repeating: b[c]), V(repeating: mean[c]))[0]
                                c += 1
                            }
                        }
                        for c in 0..<channels { total[c] += Double(sum[c]); sum[c] = 0 }
                    }
                }
            }
        } }
        var total = [Double](repeating: 0, count: channels)
        for chunk in 0..<chunks.count {
            for c in 0..<channels { total[c] += wide[chunk * channels + c] }
        }
        return total
    }

    /// (Σ dy, Σ (x − center)·dy) per channel in one pass, each summed in the order `channelSums`
    /// uses. With a mask, dy first becomes the clamp's gradient in place: dy where
    /// 0 < clamp((x − center)·scale + shift) < bound, else 0, the clamp's input recomputed with
    /// `affine`'s operations so the mask is the forward's bit for bit.
    static func gradientSums(_ dy: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, channels: Int, center: [Float],
                             mask: (scale: [Float], shift: [Float], bound: Float)?) -> ([Double], [Double]) {
        let chunks = Parallel.ranges(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount)
        var partials = [Float](repeating: 0, count: 2 * chunks.count * channels)
        var wide = [Double](repeating: 0, count: 2 * chunks.count * channels)
        let coefficients = center + (mask?.scale ?? center) + (mask?.shift ?? center)
        partials.withUnsafeMutableBufferPointer { partialBuffer in wide.withUnsafeMutableBufferPointer { wideBuffer in
            coefficients.withUnsafeBufferPointer { coefficientBuffer in
                let shared = UncheckedSendable((dy, x, coefficientBuffer.baseAddress!, partialBuffer.baseAddress!, wideBuffer.baseAddress!))
                let masked = mask != nil
                let gradientKernel = ClampGradientKernel(upper: mask?.bound ?? 0)
                Parallel.forEach(chunks) { chunk, range in
                    let (gradient, source, mean, all, allWide) = shared.value
                    let (scale, shift) = (mean + channels, mean + 2 * channels)
                    let sum = all + 2 * chunk * channels, product = sum + channels
                    let total = allWide + 2 * chunk * channels
                    for block in stride(from: range.lowerBound, to: range.upperBound, by: blockRows) {
                        for row in block..<min(block + blockRows, range.upperBound) {
                            let (g, a) = (gradient + row * channels, source + row * channels)
                            var c = 0
                            while c + 8 <= channels {
                                var value = g.vector(c)
                                if masked {
                                    // `affine` with y = nil: (x − μ)·s, plus x·0 (its y term), plus the shift.
                                    let output = ((a.vector(c) - mean.vector(c)) * scale.vector(c)).addingProduct(a.vector(c), V(repeating: 0))
                                        + shift.vector(c)
                                    value = gradientKernel(value, output)
                                    g.store(value, at: c)
                                }
                                sum.store(sum.vector(c) + value, at: c)
                                product.store(product.vector(c) + (a.vector(c) - mean.vector(c)) * value, at: c)
                                c += 8
                            }
                            while c < channels {
                                var value = g[c]
                                if masked {
                                    let output = (a[c] - mean[c]) * scale[c] + a[c] * 0 + shift[c]
                                    value = gradientKernel(V(repeating: value), V(repeating: output))[0]
                                    g[c] = value
                                }
                                sum[c] += value
                                product[c] += (a[c] - mean[c]) * value
                                c += 1
                            }
                        }
                        for c in 0..<(2 * channels) { total[c] += Double(sum[c]); sum[c] = 0 }
                    }
                }
            }
        } }
        var totals = ([Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels))
        for chunk in 0..<chunks.count {
            for c in 0..<channels {
                totals.0[c] += wide[2 * chunk * channels + c]
                totals.1[c] += wide[(2 * chunk + 1) * channels + c]
            }
        }
        return totals
    }

    /// out (+)= (x − center)·xScale + y·yScale + shift per channel (y optional), clamped to
    /// [0, clampAt] when given (not accumulating).
    static func affine(rows: Int, channels: Int, x: UnsafePointer<Float>, center: [Float], xScale: [Float], y: UnsafePointer<Float>?,
                       yScale: [Float]?, shift: [Float], into out: UnsafeMutablePointer<Float>, accumulate: Bool, clampAt upper: Float? = nil) {
        precondition(upper == nil || !accumulate, "a clamped affine map cannot accumulate")
        let clamp = upper.map { ClampKernel(upper: $0) }
        let coefficients = xScale + (yScale ?? [Float](repeating: 0, count: channels)) + shift + center
        coefficients.withUnsafeBufferPointer { buffer in
            let shared = UncheckedSendable((x, y ?? x, buffer.baseAddress!, out))
            Parallel.forEach(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount) { range in
                let (source, second, scales, target) = shared.value
                let (first, other, offset, mean) = (scales, scales + channels, scales + 2 * channels, scales + 3 * channels)
                for row in range {
                    let (a, b, result) = (source + row * channels, second + row * channels, target + row * channels)
                    var c = 0
                    while c + 8 <= channels {
                        var value = (a.vector(c) - mean.vector(c)) * first.vector(c)
                        value = value.addingProduct(b.vector(c), other.vector(c)) + offset.vector(c)
                        if let clamp { value = clamp(value, value) }
                        result.store(accumulate ? result.vector(c) + value : value, at: c)
                        c += 8
                    }
                    while c < channels {
                        var value = (a[c] - mean[c]) * first[c] + b[c] * other[c] + offset[c]
                        if let clamp { value = clamp(V(repeating: value), V(repeating: value))[0] }
                        result[c] = accumulate ? result[c] + value : value
                        c += 1
                    }
                }
            }
        }
    }

    static func add(_ values: [Float], to tensor: Tensor) {
        for (i, value) in values.enumerated() { tensor.data[i] += value }
    }
}

/// A per-row, per-channel term of a batch-norm reduction.
protocol RowKernel {
    func callAsFunction(_ x: SIMD8<Float>, _ other: SIMD8<Float>, _ center: SIMD8<Float>) -> SIMD8<Float>
}

/// x
struct ValueTerm: RowKernel {
    @inline(__always) func callAsFunction(_ x: SIMD8<Float>, _ other: SIMD8<Float>, _ center: SIMD8<Float>) -> SIMD8<Float> { x }
}

/// (x − center)²
struct SquaredDeviationTerm: RowKernel {
    @inline(__always) func callAsFunction(_ x: SIMD8<Float>, _ other: SIMD8<Float>, _ center: SIMD8<Float>) -> SIMD8<Float> {
        (x - center) * (x - center)
    }
}
