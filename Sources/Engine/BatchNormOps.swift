extension Tape {
    /// Batch normalisation over every axis but the last (channels), for NHWC or [N, C] input.
    /// Training: normalises with the batch mean and biased variance, and moves the running
    /// statistics towards the batch's (unbiased variance) by `momentum`. Evaluation: uses the
    /// running statistics.
    public func batchNorm(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                          momentum: Float = 0.1, epsilon: Float = 1e-5) -> Tensor {
        let channels = x.shape.last!
        precondition([weight, bias, runningMean, runningVariance].allSatisfy { $0.count == channels },
                     "batch norm: parameters do not have \(channels) channels")
        let rows = x.count / channels
        var mean = [Float](repeating: 0, count: channels)
        var inverseDeviation = [Float](repeating: 0, count: channels)
        if isTraining {
            precondition(rows > 1, "batch norm in training needs more than one value per channel")
            let sums = BatchNormKernels.channelSums(x.data, rows: rows, channels: channels, center: nil, times: nil)
            for c in 0..<channels { mean[c] = Float(sums[c] / Double(rows)) }
            let squares = BatchNormKernels.channelSums(x.data, rows: rows, channels: channels, center: mean, times: nil)
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
        // y = x·scale + shift per channel.
        let scale = (0..<channels).map { weight.data[$0] * inverseDeviation[$0] }
        let shift = (0..<channels).map { bias.data[$0] - mean[$0] * scale[$0] }
        let y = Tensor(uninitialized: x.shape, requiresGrad: needsGradient(x, weight, bias))
        BatchNormKernels.affine(rows: rows, channels: channels, x: x.data, xScale: scale, y: nil, yScale: nil, shift: shift,
                                into: y.data, accumulate: false)
        if y.requiresGrad {
            record(y) { dy in
                // dβ = Σ dy, dγ = Σ dy·x̂ with x̂ = (x − μ)·σ⁻¹
                let gradientSums = BatchNormKernels.channelSums(dy.data, rows: rows, channels: channels, center: nil, times: nil)
                let centredProducts = BatchNormKernels.channelSums(x.data, rows: rows, channels: channels, center: mean, times: dy.data)
                let dBias = gradientSums.map { Float($0) }
                let dWeight = (0..<channels).map { Float(centredProducts[$0]) * inverseDeviation[$0] }
                if weight.requiresGrad { BatchNormKernels.add(dWeight, to: weight.gradient()) }
                if bias.requiresGrad { BatchNormKernels.add(dBias, to: bias.gradient()) }
                guard x.requiresGrad else { return }
                // dx = γσ⁻¹·(dy − dβ/M − x̂·dγ/M), written as dy·a + x·b + c per channel.
                let count = Float(rows)
                let a = scale
                let b = (0..<channels).map { -scale[$0] * dWeight[$0] / count * inverseDeviation[$0] }
                let c = (0..<channels).map { -scale[$0] * dBias[$0] / count - b[$0] * mean[$0] }
                BatchNormKernels.affine(rows: rows, channels: channels, x: x.data, xScale: b, y: dy.data, yScale: a, shift: c,
                                        into: x.gradient().data, accumulate: true)
            }
        }
        return y
    }
}

/// Per-channel reductions and affine maps over [rows, channels] data, split by rows.
enum BatchNormKernels {
    /// Σ_rows (x − center)·times (center and times optional), one partial per thread, summed in Double.
    static func channelSums(_ x: UnsafePointer<Float>, rows: Int, channels: Int, center: [Float]?, times: UnsafePointer<Float>?) -> [Double] {
        let chunks = Parallel.ranges(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount)
        var partials = [Float](repeating: 0, count: chunks.count * channels)
        let centre = center ?? [Float](repeating: 0, count: channels)
        let squares = center != nil && times == nil
        let (source, factor) = (UncheckedSendable(x), UncheckedSendable(times))
        partials.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer.baseAddress!)
            Parallel.forEach(chunks) { chunk, range in
                let sum = shared.value + chunk * channels
                for row in range {
                    let values = source.value + row * channels
                    if let other = factor.value.map({ $0 + row * channels }) {
                        for c in 0..<channels { sum[c] += (values[c] - centre[c]) * other[c] }
                    } else if squares {
                        for c in 0..<channels { sum[c] += (values[c] - centre[c]) * (values[c] - centre[c]) }
                    } else {
                        for c in 0..<channels { sum[c] += values[c] }
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

    /// out (+)= x·xScale + y·yScale + shift per channel (y optional).
    static func affine(rows: Int, channels: Int, x: UnsafePointer<Float>, xScale: [Float], y: UnsafePointer<Float>?, yScale: [Float]?,
                       shift: [Float], into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let (source, other, target) = (UncheckedSendable(x), UncheckedSendable(y), UncheckedSendable(out))
        let otherScale = yScale ?? [Float](repeating: 0, count: channels)
        Parallel.forEach(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount) { range in
            for row in range {
                let (values, result) = (source.value + row * channels, target.value + row * channels)
                let base = accumulate ? result : nil
                if let second = other.value.map({ $0 + row * channels }) {
                    for c in 0..<channels { result[c] = (base?[c] ?? 0) + values[c] * xScale[c] + second[c] * otherScale[c] + shift[c] }
                } else {
                    for c in 0..<channels { result[c] = (base?[c] ?? 0) + values[c] * xScale[c] + shift[c] }
                }
            }
        }
    }

    static func add(_ values: [Float], to tensor: Tensor) {
        for (i, value) in values.enumerated() { tensor.data[i] += value }
    }
}
