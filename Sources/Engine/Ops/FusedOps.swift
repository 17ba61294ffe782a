extension Tape {
    /// Evaluation-mode convolution, batch norm (running statistics) and optional ReLU/ReLU6 in
    /// one pass: the convolution kernels apply y = clamp((conv − μ)·γσ⁻¹ + β, 0, upper) to each
    /// block of output while it is still in cache, so there is one output tensor instead of
    /// three and no separate passes over memory. Same arithmetic as `conv2d` → `batchNorm` →
    /// `relu6`; never records (training keeps the separate ops, which have backwards).
    public func conv2dBatchNorm(_ x: Tensor, _ weight: Tensor, stride: Int = 1, padding: Int = 0, groups: Int = 1,
                                normWeight: Tensor, normBias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                                epsilon: Float = 1e-5, activationUpperBound upper: Float? = nil) -> Tensor {
        precondition(!isTraining, "conv2dBatchNorm is the evaluation-mode fusion; training uses conv2d and batchNorm")
        let g = ConvolutionGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding, groups: groups)
        let channels = g.outChannels
        precondition([normWeight, normBias, runningMean, runningVariance].allSatisfy { $0.count == channels },
                     "batch norm: parameters do not have \(channels) channels")
        let y = Tensor(uninitialized: g.outputShape)
        withScratch(2 * channels) { coefficients in
            let (scale, bias) = foldedBatchNorm(weight: normWeight, bias: normBias, runningMean: runningMean, runningVariance: runningVariance,
                                                epsilon: epsilon, keptIn: packedWeights, scratch: coefficients)
            let packed = g.isPointwise && g.groups == 1 ? packedWeights?.packed(weight) : nil
            Convolution.forward(g, x: x.data, weight: weight.data, y: y.data, epilogue: ChannelEpilogue(scale: scale, bias: bias, upper: upper),
                                packedWeight: packed)
        }
        return y
    }
}

/// A batch norm's folded scale and shift (`foldBatchNorm`): those `packedWeights` keeps when
/// evaluation has it, else folded into `scratch` (2 × channels floats).
func foldedBatchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float,
                     keptIn packedWeights: PackedWeights?, scratch: UnsafeMutablePointer<Float>) -> (scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
    if let packedWeights {
        return packedWeights.folded(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, epsilon: epsilon)
    }
    foldBatchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, epsilon: epsilon,
                  scale: scratch, shift: scratch + weight.count)
    return (UnsafePointer(scratch), UnsafePointer(scratch + weight.count))
}

/// An evaluation-mode batch norm y = (x − μ)·s + β with s = γσ⁻¹, as the one fused multiply-add
/// x·s + (β − μ·s) a kernel's epilogue applies.
func foldBatchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float,
                   scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>) {
    // This runs for every batch norm of every evaluation, on one thread: read value by value
    // (`Tensor.data` is a call) and one square root at a time, it was a tenth of a single
    // window's time. Vector square roots and divisions round as the scalar ones do.
    let count = weight.count
    let (weight, bias, mean, variance) = (weight.data, bias.data, runningMean.data, runningVariance.data)
    func load(_ p: UnsafeMutablePointer<Float>, _ c: Int) -> SIMD8<Float> { UnsafeRawPointer(p + c).loadUnaligned(as: SIMD8<Float>.self) }
    var c = 0
    while c + 8 <= count {
        let s = load(weight, c) * (1 / (load(variance, c) + epsilon).squareRoot())
        UnsafeMutableRawPointer(scale + c).storeBytes(of: s, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(shift + c).storeBytes(of: load(bias, c) - load(mean, c) * s, as: SIMD8<Float>.self)
        c += 8
    }
    for c in c..<count {
        scale[c] = weight[c] * (1 / (variance[c] + epsilon).squareRoot())
        shift[c] = bias[c] - mean[c] * scale[c]
    }
}
