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
        precondition(x.shape.count == 4 && weight.shape.count == 4, "conv2d wants NHWC input and HWIO weight, got \(x.shape), \(weight.shape)")
        let g = ConvolutionGeometry(batch: x.shape[0], height: x.shape[1], width: x.shape[2], inChannels: x.shape[3],
                                    outChannels: weight.shape[3], kernel: weight.shape[0], stride: stride, padding: padding, groups: groups)
        precondition(weight.shape == g.weightShape, "weight \(weight.shape) does not match \(g.weightShape)")
        let channels = g.outChannels
        precondition([normWeight, normBias, runningMean, runningVariance].allSatisfy { $0.count == channels },
                     "batch norm: parameters do not have \(channels) channels")
        let y = Tensor(uninitialized: g.outputShape)
        withScratch(2 * channels) { coefficients in
            // y = (conv − μ)·s + β with s = γσ⁻¹ is applied as one fused multiply-add: conv·s + (β − μ·s).
            let (scale, bias) = (coefficients, coefficients + channels)
            for c in 0..<channels {
                scale[c] = normWeight.data[c] * (1 / (runningVariance.data[c] + epsilon).squareRoot())
                bias[c] = normBias.data[c] - runningMean.data[c] * scale[c]
            }
            let epilogue = ChannelEpilogue(scale: scale, bias: bias, upper: upper)
            if g.isDepthwise3x3 {
                Depthwise.forward(g, x: x.data, weight: weight.data, y: y.data, epilogue: epilogue)
            } else {
                Convolution.forward(g, x: x.data, weight: weight.data, y: y.data, epilogue: epilogue)
            }
        }
        return y
    }
}

/// What a convolution kernel applies to its output channels as it writes them (evaluation-mode
/// batch norm and activation): y = y·scale + bias (one fused multiply-add), then clamped to
/// [0, upper] when an activation is fused (`lower` is −∞ otherwise, `upper` +∞ for ReLU).
/// Pointers are indexed by output channel.
struct ChannelEpilogue {
    typealias V = SIMD8<Float>
    let scale: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let lower: Float
    let upper: Float

    init(scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, upper: Float?) {
        (self.scale, self.bias) = (scale, bias)
        (lower, self.upper) = upper.map { (0, $0) } ?? (-.infinity, .infinity)
    }

    private init(scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, lower: Float, upper: Float) {
        (self.scale, self.bias, self.lower, self.upper) = (scale, bias, lower, upper)
    }

    /// The epilogue of the channels from `channel` on: channel 0 of the result is `channel` here.
    func advanced(by channel: Int) -> ChannelEpilogue {
        ChannelEpilogue(scale: scale + channel, bias: bias + channel, lower: lower, upper: upper)
    }

    /// Applies to `count` consecutive channels of one pixel, starting at channel `channel`.
    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, channel: Int, count: Int) {
        var c = 0
        while c + 8 <= count {
            values.store(callAsFunction(values.vector(c), channel + c), at: c)
            c += 8
        }
        while c < count {
            let k = channel + c
            var value = bias[k].addingProduct(values[c], scale[k])
            value = value < lower ? lower : (value > upper ? upper : value)
            values[c] = value
            c += 1
        }
    }

    /// Applies to every pixel of `pixels` rows of `channels` channels.
    @inline(__always)
    func apply(pixels: Int, channels: Int, _ values: UnsafeMutablePointer<Float>) {
        for p in 0..<pixels { apply(values + p * channels, channel: 0, count: channels) }
    }

    /// Eight channels from `k` on, given their scale and bias vectors.
    @inline(__always) func callAsFunction(_ value: V, scale s: V, bias b: V) -> V {
        let affine = b.addingProduct(value, s)
        let low = affine.replacing(with: lower, where: affine .< lower)
        return low.replacing(with: upper, where: low .> upper)
    }

    @inline(__always) func callAsFunction(_ value: V, _ k: Int) -> V {
        let affine = bias.vector(k).addingProduct(value, scale.vector(k))
        let low = affine.replacing(with: lower, where: affine .< lower)
        return low.replacing(with: upper, where: low .> upper)
    }
}
