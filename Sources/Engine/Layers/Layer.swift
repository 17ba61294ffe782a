/// A network building block. The mode (training or evaluation) is the tape's, passed
/// explicitly to every call; there are no global flags.
public protocol Layer: AnyObject {
    func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor
    /// Trainable parameters, like PyTorch's `named_parameters()`.
    func parameters(prefix: String) -> [NamedParameter]
    /// Everything PyTorch's `state_dict()` holds: parameters, then buffers.
    func state(prefix: String) -> [NamedParameter]
    /// Evaluation-mode forward of a batch, organised so activations stay in cache
    /// (Inference.swift); the values of `self(x, Tape(mode: .evaluation))`. With
    /// `packedWeights`, the 1×1 convolutions read their weights from there.
    func infer(_ x: Tensor, passValues: Int, packedWeights: PackedWeights?) -> Tensor
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
    /// The layers grouped into the steps that run as one op, decided once here.
    let steps: [Step]
    /// Set when the layers are an inverted residual, which evaluation runs fused.
    let invertedResidual: InvertedResidualBlock?
    /// Set when the first step is a network's stem and the second a block evaluation may fuse it into.
    let stemStep: StemStep?

    public convenience init(_ layers: [any Layer]) {
        self.init(named: layers.enumerated().map { (String($0.offset), $0.element) })
    }

    public init(named: [(String, any Layer)]) {
        layers = named.map(\.1)
        names = named.map(\.0)
        steps = Step.plan(layers)
        invertedResidual = InvertedResidualBlock(layers)
        stemStep = StemStep(steps)
    }

    /// The first step (a Sequential of conv, batch norm, ReLU6) and the second (an inverted
    /// residual without expansion), which evaluation runs as one fused block when the
    /// convolution is a stem, a 3×3 one of a one-channel input (`FusedInvertedResidual.Stem`).
    struct StemStep {
        let conv: Conv2D
        let norm: BatchNorm
        let block: InvertedResidualBlock

        init?(_ steps: [Step]) {
            guard steps.count >= 2, case let .single(first) = steps[0], let stem = first as? Sequential, stem.steps.count == 1,
                  case let .convolutionNorm(conv, norm, upper) = stem.steps[0], upper == 6,
                  case let .single(second) = steps[1], let block = (second as? Sequential)?.invertedResidual
            else { return nil }
            (self.conv, self.norm, self.block) = (conv, norm, block)
        }

        /// Whether the two steps run fused on `x`, the stem's input.
        func fuses(_ x: Tensor) -> Bool { block.fusedStemGeometry(conv, on: x) != nil }

        /// The two steps' evaluation of `x` fused, or nil when they do not fuse on it.
        func evaluatedFused(_ x: Tensor, _ tape: Tape) -> Tensor? {
            block.fusedStemGeometry(conv, on: x).map { block.evaluate(x, addingInput: false, packedWeights: tape.packedWeights, stem: (conv, norm, $0)) }
        }
    }

    /// One or more consecutive layers run as one op. A batch norm followed by a ReLU or ReLU6
    /// is one op in both modes; a convolution followed by a batch norm (and an activation) is
    /// one op in evaluation mode, and in training the convolution and then the fused norm.
    enum Step {
        case convolutionNorm(Conv2D, BatchNorm, activationUpperBound: Float?)
        case normActivation(BatchNorm, activationUpperBound: Float)
        case single(any Layer)

        static func plan(_ layers: [any Layer]) -> [Step] {
            /// 6 for a ReLU6 at `index`, .infinity for a ReLU, else nil.
            func bound(at index: Int) -> Float? {
                guard index < layers.count else { return nil }
                return layers[index] is ReLU6 ? 6 : (layers[index] is ReLU ? .infinity : nil)
            }
            var steps: [Step] = []
            var i = 0
            while i < layers.count {
                if let conv = layers[i] as? Conv2D, i + 1 < layers.count, let norm = layers[i + 1] as? BatchNorm {
                    let upper = bound(at: i + 2)
                    steps.append(.convolutionNorm(conv, norm, activationUpperBound: upper))
                    i += upper == nil ? 2 : 3
                } else if let norm = layers[i] as? BatchNorm, let upper = bound(at: i + 1) {
                    steps.append(.normActivation(norm, activationUpperBound: upper))
                    i += 2
                } else {
                    steps.append(.single(layers[i]))
                    i += 1
                }
            }
            return steps
        }

        func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor {
            switch self {
            case let .convolutionNorm(conv, norm, upper) where !tape.isTraining:
                return tape.conv2dBatchNorm(x, conv.weight.value, stride: conv.stride, padding: conv.padding, groups: conv.groups,
                                            normWeight: norm.weight.value, normBias: norm.bias.value, runningMean: norm.runningMean.value,
                                            runningVariance: norm.runningVariance.value, epsilon: norm.epsilon, activationUpperBound: upper)
            case let .convolutionNorm(conv, norm, upper):
                return norm(conv(x, tape), tape, activationUpperBound: upper)
            case let .normActivation(norm, upper):
                return norm(x, tape, activationUpperBound: upper)
            case let .single(layer):
                return layer(x, tape)
            }
        }
    }

    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor {
        if !tape.isTraining, evaluatesFused(x) { return invertedResidual!.evaluate(x, addingInput: false, packedWeights: tape.packedWeights) }
        return run(x, tape, from: 0).output
    }

    /// Whether evaluating `x` runs the layers as one fused inverted residual.
    public func evaluatesFused(_ x: Tensor) -> Bool { invertedResidual?.fuses(x.shape) ?? false }

    /// Whether evaluating `x` runs the first two steps, a stem and a block without expansion,
    /// as one fused block.
    public func evaluatesStemFused(_ x: Tensor) -> Bool { stemStep?.fuses(x) ?? false }

    /// x + self(x): the layers as a residual block's body. A fused evaluation adds x in its tiles.
    public func addingInput(_ x: Tensor, _ tape: Tape) -> Tensor {
        if !tape.isTraining, evaluatesFused(x) { return invertedResidual!.evaluate(x, addingInput: true, packedWeights: tape.packedWeights) }
        return tape.add(x, self(x, tape))
    }

    /// Runs the steps from index `first` to `end`, until `stop` says so after a step; returns
    /// the output and the index of the next step.
    func run(_ x: Tensor, _ tape: Tape, from first: Int, to end: Int? = nil,
             stop: (Tensor) -> Bool = { _ in false }) -> (output: Tensor, next: Int) {
        var y = x
        var i = first
        while i < end ?? steps.count {
            if i == 0, let stem = stemStep, 1 < end ?? steps.count, !tape.isTraining, let fused = stem.evaluatedFused(y, tape) {
                y = fused
                i += 2
            } else {
                y = steps[i](y, tape)
                i += 1
            }
            if stop(y) { break }
        }
        return (y, i)
    }

    public func parameters(prefix: String) -> [NamedParameter] {
        zip(names, layers).flatMap { $1.parameters(prefix: qualifiedName(prefix, $0)) }
    }

    public func state(prefix: String) -> [NamedParameter] {
        zip(names, layers).flatMap { $1.state(prefix: qualifiedName(prefix, $0)) }
    }
}
