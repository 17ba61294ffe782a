import Glibc

/// 2-D convolution layer without bias (a batch norm follows in every network here).
/// Input NHWC, weight HWIO inside the engine (OIHW in the state_dict); depthwise is
/// `groups == inputChannels`.
public final class Conv2D: Layer {
    public let weight: Parameter
    public let stride: Int
    public let padding: Int
    public let groups: Int

    /// Weights drawn like torchvision's MobileNets: Kaiming normal, fan-out mode, where PyTorch's
    /// fan-out is out_channels·k·k whatever the groups.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                groups: Int = 1, random: inout SeededRandom) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0)
        let shape = [kernelSize, kernelSize, inputChannels / groups, outputChannels]
        let fanOut = Float(outputChannels * kernelSize * kernelSize)
        let deviation = (2 / fanOut).squareRoot()
        let values = (0..<shape.reduce(1, *)).map { _ in random.nextNormal() * deviation }
        self.weight = Parameter(Tensor(shape: shape, values: values, requiresGrad: true), torchLayout: .convolution)
        (self.stride, self.padding, self.groups) = (stride, padding, groups)
    }

    /// Zero weights, for a layer whose weights are loaded next (a checkpoint).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0)
        let shape = [kernelSize, kernelSize, inputChannels / groups, outputChannels]
        self.weight = Parameter(Tensor(zeros: shape, requiresGrad: true), torchLayout: .convolution)
        (self.stride, self.padding, self.groups) = (stride, padding, groups)
    }

    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor {
        tape.conv2d(x, weight.value, stride: stride, padding: padding, groups: groups)
    }

    public func parameters(prefix: String) -> [NamedParameter] {
        [NamedParameter(qualifiedName(prefix, "weight"), weight)]
    }
}
