import Engine

/// A `ModelSpec` built on the engine: the layer tree turned into engine layers, initialised as
/// torchvision initialises its MobileNets, with the tree's state_dict names (docs/contracts.md §3).
public final class Network: Engine.Layer {
    public let spec: ModelSpec
    private let body: any Engine.Layer
    /// Every state_dict tensor in PyTorch's order, parameters and buffers: the tree's names,
    /// shapes and dtypes, each with the engine parameter that holds it.
    public let stateTensors: [StateTensor]

    /// Conv weights Kaiming normal (fan-out), BatchNorm 1 and 0, linear normal(0, 0.01) and 0,
    /// drawn in state_dict order from `seed`.
    public convenience init(_ spec: ModelSpec, seed: UInt64 = 0) {
        self.init(spec, random: SeededRandom(seed: seed))
    }

    /// Every weight zero, for a network whose tensors are all loaded next (a checkpoint): drawing
    /// MobileNetV2's 2.2 M random weights costs more than a whole `genre predict` of a clip.
    public convenience init(zeroed spec: ModelSpec) {
        self.init(spec, random: nil)
    }

    private init(_ spec: ModelSpec, random: SeededRandom?) {
        var random = random
        var tensors: [StateTensor] = []
        self.spec = spec
        self.body = Self.build(spec.network, random: &random, tensors: &tensors)
        self.stateTensors = tensors
    }

    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { body(x, tape) }

    public func infer(_ x: Tensor, passValues: Int, packedWeights: PackedWeights?) -> Tensor {
        body.infer(x, passValues: passValues, packedWeights: packedWeights)
    }

    public func parameters(prefix: String) -> [NamedParameter] {
        state(prefix: prefix).filter(\.parameter.isTrainable)
    }

    public func state(prefix: String) -> [NamedParameter] {
        stateTensors.map { NamedParameter(qualifiedName(prefix, $0.entry.name), $0.parameter) }
    }

    private static func build(_ layer: LayerSpec, random: inout SeededRandom?, tensors: inout [StateTensor]) -> any Engine.Layer {
        /// Pairs the tree's entries with the engine layer's tensors, which must have the same names.
        func register(_ name: String, _ engineLayer: some Engine.Layer) -> some Engine.Layer {
            let entries = layer.stateDict, named = engineLayer.state(prefix: name)
            precondition(entries.map(\.name) == named.map(\.name), "\(name): engine state \(named.map(\.name)) is not the tree's \(entries.map(\.name))")
            tensors += entries.indices.map { StateTensor(entry: entries[$0], parameter: named[$0].parameter) }
            return engineLayer
        }
        func chain(_ layers: [LayerSpec]) -> Sequential {
            Sequential(layers.map { build($0, random: &random, tensors: &tensors) })
        }
        switch layer {
        case let .conv(name, input, output, kernel, stride, padding, groups, bias):
            precondition(!bias, "\(name): convolutions with a bias are not used by these networks")
            if random == nil {
                return register(name, Conv2D(inputChannels: input, outputChannels: output, kernelSize: kernel, stride: stride,
                                             padding: padding, groups: groups))
            }
            return register(name, Conv2D(inputChannels: input, outputChannels: output, kernelSize: kernel, stride: stride,
                                         padding: padding, groups: groups, random: &random!))
        case let .batchNorm(name, channels):
            return register(name, BatchNorm(channels: channels))
        case let .linear(name, input, output):
            if random == nil { return register(name, Linear(inputFeatures: input, outputFeatures: output)) }
            return register(name, Linear(inputFeatures: input, outputFeatures: output, random: &random!))
        case .relu: return ReLU()
        case .relu6: return ReLU6()
        case let .dropout(probability): return Dropout(probability: Float(probability))
        case let .maxPool(kernel, stride, padding): return MaxPool2D(kernel: kernel, stride: stride, padding: padding)
        case let .avgPool(kernel, stride, padding): return AvgPool2D(kernel: kernel, stride: stride, padding: padding)
        case .globalAvgPool: return GlobalAvgPool()
        case let .channelShuffle(groups): return ChannelShuffle(groups: groups)
        case let .sequence(layers): return chain(layers)
        case let .residual(layers): return Residual(chain(layers))
        case let .concat(body, shortcut):
            let body = chain(body)
            return Concatenation(body, chain(shortcut))
        }
    }
}

/// One state_dict tensor: its name, PyTorch shape and dtype, and the engine parameter holding it.
public struct StateTensor {
    public let entry: StateEntry
    public let parameter: Parameter
}

/// x + body(x).
private final class Residual: Engine.Layer {
    let body: Sequential
    init(_ body: Sequential) { self.body = body }
    func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { body.addingInput(x, tape) }
}

/// concat(body(x), shortcut(x)) along channels.
private final class Concatenation: Engine.Layer {
    let body, shortcut: Sequential
    init(_ body: Sequential, _ shortcut: Sequential) { (self.body, self.shortcut) = (body, shortcut) }
    func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.concatChannels([body(x, tape), shortcut(x, tape)]) }
}

private final class ChannelShuffle: Engine.Layer {
    let groups: Int
    init(groups: Int) { self.groups = groups }
    func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { groups == 1 ? x : tape.channelShuffle(x, groups: groups) }
}
