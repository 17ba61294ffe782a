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
        // An expansion's gradients are taken by the depthwise backward only where this norm reads
        // the expansion right after it (no other reader's backward then runs after this one's).
        if x.expansion != nil && !isLastRecorded(x) { x.expansion = nil }
        var mean = [Float](repeating: 0, count: channels)
        var inverseDeviation = [Float](repeating: 0, count: channels)
        // Synchronised batch norm: the statistics of the whole batch, summed over every process's slice.
        let reducer = isTraining ? batchStatistics : nil
        // Rows of the whole batch (this process's alone without a reducer).
        var total = rows
        if isTraining {
            let moments = x.moments ?? BatchNormKernels.moments(x.data, rows: rows, channels: channels)
            x.moments = nil  // x stays for the backward; its sums need not
            var sums = moments.sums
            if let reducer {
                sums.append(Double(rows))
                reducer.sum(&sums)
                total = Int(sums.removeLast())
            }
            precondition(total > 1, "batch norm in training needs more than one value per channel")
            for c in 0..<channels { mean[c] = Float(sums[c] / Double(total)) }
            var squares = moments.squaredDeviations(about: mean)
            reducer?.sum(&squares)
            for c in 0..<channels {
                let variance = squares[c] / Double(total)
                inverseDeviation[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean[c]
                runningVariance.data[c] = (1 - momentum) * runningVariance.data[c] + momentum * Float(squares[c] / Double(total - 1))
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
        let requiresGrad = needsGradient(x, weight, bias)
        let y: Tensor
        let normalized = isTraining ? NormalizedRows(input: x, center: mean, scale: scale, shift: shift, upper: upper) : nil
        if let normalized {
            // Left unwritten: the convolution that follows reads it recomputed from x into cache
            // (Tensor.unwrittenRows); a residual sum or pooling that reads it writes it then.
            y = Tensor(unwritten: normalized, requiresGrad: requiresGrad)
        } else {
            y = Tensor(uninitialized: x.shape, requiresGrad: requiresGrad)
            BatchNormKernels.affine(rows: rows, channels: channels, x: x.data, center: mean, xScale: scale, y: nil, yScale: nil, shift: shift,
                                    into: y.data, accumulate: false, clampAt: upper)
        }
        if let normalized, y.requiresGrad {
            // The output is not kept for the backward: the next convolution's backward recomputes
            // it from x (Regeneration.swift), and the mask below is recomputed from x too.
            y.regeneration = Regeneration(of: y, rows: normalized)
            record(y) { dy in
                // The activation's backward, in place: the output's gradient is complete (every
                // consumer's backward has run) and read by nobody else, so it becomes the gradient
                // where 0 < y < bound, else 0.
                // dβ = Σ dy, dγ = Σ dy·x̂ with x̂ = (x − μ)·σ⁻¹: gathered, with the mask applied, by
                // the convolution that wrote dy while each block was in cache, else in one pass.
                let sums = dy.gradientSums.flatMap { $0.normalized.input === x ? $0 : nil } ?? {
                    let sums = GradientSums(normalized)
                    sums.addAll(dy.data)
                    return sums
                }()
                dy.gradientSums = nil
                let (gradientSums, centredProducts) = sums.totals
                let dBias = gradientSums.map { Float($0) }
                let dWeight = (0..<channels).map { Float(centredProducts[$0]) * inverseDeviation[$0] }
                if weight.requiresGrad { BatchNormKernels.add(dWeight, to: weight.gradient()) }
                if bias.requiresGrad { BatchNormKernels.add(dBias, to: bias.gradient()) }
                guard x.requiresGrad else { return }
                // dx = γσ⁻¹·(dy − dβ/M − x̂·dγ/M), written as (x − μ)·b + dy·γσ⁻¹ + c per channel.
                // Synchronised, dβ and dγ here are the whole batch's sums and M its rows; the
                // parameters' own gradients above stay this slice's, as every gradient does
                // before the job averages them.
                var (sumDy, sumDyX) = (dBias, dWeight)
                if let reducer {
                    var both = gradientSums + centredProducts
                    reducer.sum(&both)
                    sumDy = (0..<channels).map { Float(both[$0]) }
                    sumDyX = (0..<channels).map { Float(both[channels + $0]) * inverseDeviation[$0] }
                }
                let count = Float(total)
                let b = (0..<channels).map { -scale[$0] * sumDyX[$0] / count * inverseDeviation[$0] }
                let c = (0..<channels).map { -scale[$0] * sumDy[$0] / count }
                // dx goes over dy (each element reads only its own dy) unless x already has a
                // gradient; for the 1×1 convolution that wrote x it is left unwritten, and that
                // convolution's backward computes it a run of rows at a time (PointwiseBackward).
                let (dx, fresh) = x.node.gradientToWrite(reusing: dy)
                // dy unwritten, its expansion's gradients taken already (ExpansionGradients): the
                // coefficients go on to the expansion's backward, which reads nothing else.
                precondition(fresh || dy.expansionGradients == nil, "an expansion's gradient with a second reader")
                if fresh && (x.takesUnfinishedGradient && PointwiseBackward.isEnabled || dy.expansionGradients != nil) {
                    dx.leaveUnfinished(BatchNormGradientRows(input: x, center: mean, xScale: b, yScale: scale, shift: c))
                } else {
                    BatchNormKernels.affine(rows: rows, channels: channels, x: x.data, center: mean, xScale: b, y: dy.data, yScale: scale,
                                            shift: c, into: dx.data, accumulate: !fresh)
                }
            }
        }
        return y
    }
}
