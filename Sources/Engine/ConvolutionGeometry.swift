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
}
