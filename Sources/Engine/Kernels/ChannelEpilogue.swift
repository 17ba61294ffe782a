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
    @inline(__always) func advanced(by channel: Int) -> ChannelEpilogue {
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
        clamp(b.addingProduct(value, s), lower: lower, upper: upper)
    }

    @inline(__always) func callAsFunction(_ value: V, _ k: Int) -> V {
        clamp(bias.vector(k).addingProduct(value, scale.vector(k)), lower: lower, upper: upper)
    }
}
