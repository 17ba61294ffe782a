extension Tape {
    /// Batch normalisation over every axis but the last (channels), for NHWC or [N, C] input.
    /// Training: normalises with the batch mean and biased variance, and moves the running
    /// statistics towards the batch's (unbiased variance) by `momentum`. Evaluation: uses the
    /// running statistics.
    ///
    /// With `activationUpperBound` the output is clamped to [0, bound] in the same pass (ReLU
    /// with .infinity, ReLU6 with 6): what `relu`/`relu6` of the batch norm gives, without the
    /// intermediate tensor; its backward masks the gradient by the saved output, as theirs does.
    public func batchNorm(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                          momentum: Float = 0.1, epsilon: Float = 1e-5, activationUpperBound upper: Float? = nil) -> Tensor {
        let channels = x.shape.last!
        precondition([weight, bias, runningMean, runningVariance].allSatisfy { $0.count == channels },
                     "batch norm: parameters do not have \(channels) channels")
        let rows = x.count / channels
        var mean = [Float](repeating: 0, count: channels)
        var inverseDeviation = [Float](repeating: 0, count: channels)
        if isTraining {
            precondition(rows > 1, "batch norm in training needs more than one value per channel")
            let sums = BatchNormKernels.channelSums(x.data, rows: rows, channels: channels, ValueTerm())
            for c in 0..<channels { mean[c] = Float(sums[c] / Double(rows)) }
            let squares = BatchNormKernels.channelSums(x.data, rows: rows, channels: channels, center: mean, SquaredDeviationTerm())
            for c in 0..<channels {
                let variance = squares[c] / Double(rows)
                inverseDeviation[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean[c]
                runningVariance.data[c] = (1 - momentum) * runningVariance.data[c] + momentum * Float(squares[c] / Double(rows - 1))
            }
        } else {
            for c in 0..<channels {
                mean[c] = runningMean.data[c]
                inverseDeviation[c] = 1 / (runningVariance.data[c] + epsilon).squareRoot()
            }
        }
        // y = (x − μ)·γσ⁻¹ + β per channel; centring first keeps float32 accurate when |μ| ≫ σ.
        let scale = (0..<channels).map { weight.data[$0] * inverseDeviation[$0] }
        let shift = (0..<channels).map { bias.data[$0] }
        let y = Tensor(uninitialized: x.shape, requiresGrad: needsGradient(x, weight, bias))
        BatchNormKernels.affine(rows: rows, channels: channels, x: x.data, center: mean, xScale: scale, y: nil, yScale: nil, shift: shift,
                                into: y.data, accumulate: false, clampAt: upper)
        if y.requiresGrad {
            var clamped = upper.map { (bound: $0, output: y) }  // the output is kept only when the mask needs it
            record(y) { dy in
                // The activation's backward, in place: the output's gradient is complete (every
                // consumer's backward has run) and read by nobody else, so it becomes the gradient
                // where 0 < y < bound, else 0; the output goes back to the pool at once.
                // dβ = Σ dy, dγ = Σ dy·x̂ with x̂ = (x − μ)·σ⁻¹: one pass that also applies the mask.
                let (gradientSums, centredProducts) = BatchNormKernels.gradientSums(dy.data, x: x.data, rows: rows, channels: channels, center: mean,
                                                                                    mask: clamped.map { (output: UnsafePointer($0.output.data), bound: $0.bound) })
                clamped = nil
                let dBias = gradientSums.map { Float($0) }
                let dWeight = (0..<channels).map { Float(centredProducts[$0]) * inverseDeviation[$0] }
                if weight.requiresGrad { BatchNormKernels.add(dWeight, to: weight.gradient()) }
                if bias.requiresGrad { BatchNormKernels.add(dBias, to: bias.gradient()) }
                guard x.requiresGrad else { return }
                // dx = γσ⁻¹·(dy − dβ/M − x̂·dγ/M), written as (x − μ)·b + dy·γσ⁻¹ + c per channel.
                let count = Float(rows)
                let b = (0..<channels).map { -scale[$0] * dWeight[$0] / count * inverseDeviation[$0] }
                let c = (0..<channels).map { -scale[$0] * dBias[$0] / count }
                let (dx, fresh) = x.gradientToWrite()
                BatchNormKernels.affine(rows: rows, channels: channels, x: x.data, center: mean, xScale: b, y: dy.data, yScale: scale,
                                        shift: c, into: dx.data, accumulate: !fresh)
            }
        }
        return y
    }
}

/// Per-channel reductions and affine maps over [rows, channels] data, 8 channels per vector,
/// split by rows across threads.
enum BatchNormKernels {
    typealias V = SIMD8<Float>

    /// Σ_rows kernel(x, other, center) per channel (center and other default to zero and x),
    /// with a Float partial per thread, summed in Double.
    static func channelSums<K: RowKernel>(_ x: UnsafePointer<Float>, rows: Int, channels: Int, center: [Float]? = nil,
                                          other: UnsafePointer<Float>? = nil, _ kernel: K) -> [Double] {
        let chunks = Parallel.ranges(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount)
        var partials = [Float](repeating: 0, count: chunks.count * channels)
        let centre = center ?? [Float](repeating: 0, count: channels)
        partials.withUnsafeMutableBufferPointer { partialBuffer in
            centre.withUnsafeBufferPointer { centreBuffer in
                let shared = UncheckedSendable((x, other ?? x, centreBuffer.baseAddress!, partialBuffer.baseAddress!))
                Parallel.forEach(chunks) { chunk, range in
                    let (source, second, mean, all) = shared.value
                    let sum = all + chunk * channels
                    for row in range {
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
                }
            }
        }
        var total = [Double](repeating: 0, count: channels)
        for chunk in 0..<chunks.count {
            for c in 0..<channels { total[c] += Double(partials[chunk * channels + c]) }
        }
        return total
    }

    /// (Σ dy, Σ (x − center)·dy) per channel in one pass, summed exactly as two `channelSums`
    /// (ValueTerm, DeviationProductTerm) would. With a mask (output, bound), dy first becomes
    /// the clamp's gradient in place: dy where 0 < output < bound, else 0.
    static func gradientSums(_ dy: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, channels: Int, center: [Float],
                             mask: (output: UnsafePointer<Float>, bound: Float)?) -> ([Double], [Double]) {
        let chunks = Parallel.ranges(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount)
        var partials = [Float](repeating: 0, count: 2 * chunks.count * channels)
        partials.withUnsafeMutableBufferPointer { partialBuffer in
            center.withUnsafeBufferPointer { centreBuffer in
                let shared = UncheckedSendable((dy, x, mask?.output ?? x, centreBuffer.baseAddress!, partialBuffer.baseAddress!))
                let masked = mask != nil
                let gradientKernel = ClampGradientKernel(upper: mask?.bound ?? 0)
                Parallel.forEach(chunks) { chunk, range in
                    let (gradient, source, output, mean, all) = shared.value
                    let sum = all + 2 * chunk * channels, product = sum + channels
                    for row in range {
                        let (g, a, y) = (gradient + row * channels, source + row * channels, output + row * channels)
                        var c = 0
                        while c + 8 <= channels {
                            var value = g.vector(c)
                            if masked {
                                value = gradientKernel(value, y.vector(c))
                                g.store(value, at: c)
                            }
                            sum.store(sum.vector(c) + value, at: c)
                            product.store(product.vector(c) + (a.vector(c) - mean.vector(c)) * value, at: c)
                            c += 8
                        }
                        while c < channels {
                            var value = g[c]
                            if masked {
                                value = gradientKernel(V(repeating: value), V(repeating: y[c]))[0]
                                g[c] = value
                            }
                            sum[c] += value
                            product[c] += (a[c] - mean[c]) * value
                            c += 1
                        }
                    }
                }
            }
        }
        var totals = ([Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels))
        for chunk in 0..<chunks.count {
            for c in 0..<channels {
                totals.0[c] += Double(partials[2 * chunk * channels + c])
                totals.1[c] += Double(partials[(2 * chunk + 1) * channels + c])
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

/// (x − center)·other
struct DeviationProductTerm: RowKernel {
    @inline(__always) func callAsFunction(_ x: SIMD8<Float>, _ other: SIMD8<Float>, _ center: SIMD8<Float>) -> SIMD8<Float> {
        (x - center) * other
    }
}
