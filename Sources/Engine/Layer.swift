/// A network building block. The mode (training or evaluation) is the tape's, passed
/// explicitly to every call; there are no global flags.
public protocol Layer: AnyObject {
    func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor
    /// Trainable parameters, like PyTorch's `named_parameters()`.
    func parameters(prefix: String) -> [NamedParameter]
    /// Everything PyTorch's `state_dict()` holds: parameters, then buffers.
    func state(prefix: String) -> [NamedParameter]
    /// Evaluation-mode forward of a batch, organised so activations stay in cache
    /// (Inference.swift); the values of `self(x, Tape(mode: .evaluation))`.
    func infer(_ x: Tensor, passValues: Int) -> Tensor
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

    /// Fusions: a batch norm followed by a ReLU or ReLU6 runs as one op (both modes), and in
    /// evaluation mode a convolution followed by a batch norm (and a ReLU or ReLU6) as well.
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor {
        run(x, tape, from: 0).output
    }

    /// Runs the layers from index `first` to `end` (a step boundary), fused steps at a time,
    /// until `stop` says so after a step; returns the output and the index of the next layer.
    func run(_ x: Tensor, _ tape: Tape, from first: Int, to end: Int? = nil,
             stop: (Tensor) -> Bool = { _ in false }) -> (output: Tensor, next: Int) {
        var y = x
        var i = first
        while i < end ?? layers.count {
            let upper = activationBound(at: i + (layers[i] is Conv2D ? 2 : 1))
            if !tape.isTraining, let conv = layers[i] as? Conv2D, let norm = layer(at: i + 1) as? BatchNorm {
                y = tape.conv2dBatchNorm(y, conv.weight.value, stride: conv.stride, padding: conv.padding, groups: conv.groups,
                                         normWeight: norm.weight.value, normBias: norm.bias.value, runningMean: norm.runningMean.value,
                                         runningVariance: norm.runningVariance.value, epsilon: norm.epsilon, activationUpperBound: upper)
                i += upper == nil ? 2 : 3
            } else if let norm = layers[i] as? BatchNorm, let upper {
                y = norm(y, tape, activationUpperBound: upper)
                i += 2
            } else {
                y = layers[i](y, tape)
                i += 1
            }
            if stop(y) { break }
        }
        return (y, i)
    }

    private func layer(at index: Int) -> (any Layer)? { index < layers.count ? layers[index] : nil }

    /// 6 for a ReLU6 at `index`, .infinity for a ReLU, else nil.
    private func activationBound(at index: Int) -> Float? {
        let next = layer(at: index)
        return next is ReLU6 ? 6 : (next is ReLU ? .infinity : nil)
    }

    public func parameters(prefix: String) -> [NamedParameter] {
        zip(names, layers).flatMap { $1.parameters(prefix: qualifiedName(prefix, $0)) }
    }

    public func state(prefix: String) -> [NamedParameter] {
        zip(names, layers).flatMap { $1.state(prefix: qualifiedName(prefix, $0)) }
    }
}

