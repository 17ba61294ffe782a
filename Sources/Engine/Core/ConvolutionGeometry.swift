/// Shapes of a square-kernel 2-D convolution over NHWC input with symmetric zero padding.
/// Weights are [kernel, kernel, inChannels / groups, outChannels] (HWIO).
public struct ConvolutionGeometry: Sendable, Equatable {
    public let batch, height, width, inChannels, outChannels: Int
    public let kernel, stride, padding, groups: Int

    public init(batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int,
                kernel: Int, stride: Int, padding: Int, groups: Int) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        precondition(kernel > 0 && stride > 0 && padding >= 0)
        (self.batch, self.height, self.width) = (batch, height, width)
        (self.inChannels, self.outChannels) = (inChannels, outChannels)
        (self.kernel, self.stride, self.padding, self.groups) = (kernel, stride, padding, groups)
        precondition(outHeight > 0 && outWidth > 0, "kernel \(kernel) does not fit \(height)×\(width) with padding \(padding)")
    }

    /// The geometry of convolving NHWC `input` with HWIO `weight` ([kernel, kernel, inChannels /
    /// groups, outChannels]); traps on shapes that do not fit, as every op's precondition does.
    public init(input: [Int], weight: [Int], stride: Int, padding: Int, groups: Int) {
        precondition(input.count == 4 && weight.count == 4, "convolution wants NHWC input and HWIO weight, got \(input), \(weight)")
        self.init(batch: input[0], height: input[1], width: input[2], inChannels: input[3], outChannels: weight[3],
                  kernel: weight[0], stride: stride, padding: padding, groups: groups)
        precondition(weight == weightShape, "weight \(weight) does not match \(weightShape)")
    }

    /// Pooling windows over NHWC `input`: one group per channel.
    public init(pooling input: [Int], kernel: Int, stride: Int, padding: Int) {
        precondition(input.count == 4, "pooling wants NHWC input, got \(input)")
        self.init(batch: input[0], height: input[1], width: input[2], inChannels: input[3], outChannels: input[3],
                  kernel: kernel, stride: stride, padding: padding, groups: input[3])
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    public var inputShape: [Int] { [batch, height, width, inChannels] }
    public var outputShape: [Int] { [batch, outHeight, outWidth, outChannels] }
    public var weightShape: [Int] { [kernel, kernel, inChannels / groups, outChannels] }

    /// One 3×3 filter per channel: handled by the direct depthwise kernels.
    public var isDepthwise3x3: Bool { groups == inChannels && groups == outChannels && kernel == 3 }
    /// A 1×1 stride-1 convolution is a GEMM over NHWC input with no im2col.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    /// Multiply-adds of the forward pass.
    public var macs: Int { batch * outHeight * outWidth * outChannels * kernel * kernel * (inChannels / groups) }

    /// For output pixel index `pixel` (n·OH·OW + oh·OW + ow), each tap kh·k + kw with the
    /// flat input pixel index it reads, or nil when it falls in the padding.
    @inline(__always)
    func forEachTap(pixel: Int, _ body: (Int, Int?) -> Void) {
        let (n, within) = pixel.quotientAndRemainder(dividingBy: outHeight * outWidth)
        let (oh, ow) = within.quotientAndRemainder(dividingBy: outWidth)
        for kh in 0..<kernel {
            let ih = oh * stride - padding + kh
            for kw in 0..<kernel {
                let iw = ow * stride - padding + kw
                let inside = ih >= 0 && ih < height && iw >= 0 && iw < width
                body(kh * kernel + kw, inside ? (n * height + ih) * width + iw : nil)
            }
        }
    }
}
