/// A network building block. The mode (training or evaluation) is the tape's, passed
/// explicitly to every call; there are no global flags.
public protocol Layer: AnyObject {
    func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor
    /// Trainable parameters, like PyTorch's `named_parameters()`.
    func parameters(prefix: String) -> [NamedParameter]
    /// Everything PyTorch's `state_dict()` holds: parameters, then buffers.
    func state(prefix: String) -> [NamedParameter]
}

extension Layer {
    public func parameters(prefix: String) -> [NamedParameter] { [] }
    public func state(prefix: String) -> [NamedParameter] { parameters(prefix: prefix) }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for named in parameters(prefix: "") { named.parameter.zeroGrad() }
    }
}

/// Layers applied in order, named by index like `torch.nn.Sequential` (`0.weight`, `1.bias`),
/// or by the given names like a Sequential built from an OrderedDict (`features.0.weight`).
public final class Sequential: Layer {
    public let layers: [any Layer]
    public let names: [String]

    public init(_ layers: [any Layer]) {
        self.layers = layers
        self.names = layers.indices.map(String.init)
    }

    public init(named: [(String, any Layer)]) {
        self.layers = named.map(\.1)
        self.names = named.map(\.0)
    }

    /// In evaluation mode a convolution followed by a batch norm (and a ReLU or ReLU6) runs as
    /// one fused op, `conv2dBatchNorm`; training runs every layer on its own.
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor {
        guard !tape.isTraining else { return layers.reduce(x) { $1($0, tape) } }
        var y = x
        var i = 0
        while i < layers.count {
            if let conv = layers[i] as? Conv2D, i + 1 < layers.count, let norm = layers[i + 1] as? BatchNorm {
                let next: (any Layer)? = i + 2 < layers.count ? layers[i + 2] : nil
                let upper: Float? = next is ReLU6 ? 6 : (next is ReLU ? .infinity : nil)
                y = tape.conv2dBatchNorm(y, conv.weight.value, stride: conv.stride, padding: conv.padding, groups: conv.groups,
                                         normWeight: norm.weight.value, normBias: norm.bias.value, runningMean: norm.runningMean.value,
                                         runningVariance: norm.runningVariance.value, epsilon: norm.epsilon, activationUpperBound: upper)
                i += upper == nil ? 2 : 3
            } else {
                y = layers[i](y, tape)
                i += 1
            }
        }
        return y
    }

    public func parameters(prefix: String) -> [NamedParameter] {
        zip(names, layers).flatMap { $1.parameters(prefix: qualifiedName(prefix, $0)) }
    }

    public func state(prefix: String) -> [NamedParameter] {
        zip(names, layers).flatMap { $1.state(prefix: qualifiedName(prefix, $0)) }
    }
}
