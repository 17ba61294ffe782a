import Glibc

/// Fully connected layer on [N, in] input; weight [out, in] as in PyTorch, plus a bias.
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter

    /// Weights drawn like torchvision's MobileNet classifiers: normal(0, 0.01), zero bias.
    public init(inputFeatures: Int, outputFeatures: Int, random: inout SeededRandom) {
        let values = (0..<inputFeatures * outputFeatures).map { _ in random.nextNormal() * 0.01 }
        weight = Parameter(Tensor(shape: [outputFeatures, inputFeatures], values: values, requiresGrad: true))
        bias = Parameter(Tensor(zeros: [outputFeatures], requiresGrad: true))
    }

    /// Zero weights and bias, for a layer whose tensors are loaded next (a checkpoint).
    public init(inputFeatures: Int, outputFeatures: Int) {
        weight = Parameter(Tensor(zeros: [outputFeatures, inputFeatures], requiresGrad: true))
        bias = Parameter(Tensor(zeros: [outputFeatures], requiresGrad: true))
    }

    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor {
        tape.linear(x, weight: weight.value, bias: bias.value)
    }

    public func parameters(prefix: String) -> [NamedParameter] {
        [NamedParameter(qualifiedName(prefix, "weight"), weight), NamedParameter(qualifiedName(prefix, "bias"), bias)]
    }
}
