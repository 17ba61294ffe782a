import Engine

/// A `ModelSpec` built on the engine: the layer tree turned into engine layers, initialised as
/// torchvision initialises its MobileNets, with the tree's state_dict names (DESIGN.md §2.3).
public final class Network: Engine.Layer {
    public let spec: ModelSpec
    private let body: any Engine.Layer
    /// Every state_dict entry in PyTorch's order: parameters and buffers.
    private let entries: [NamedParameter]

    /// Conv weights Kaiming normal (fan-out), BatchNorm 1 and 0, linear normal(0, 0.01) and 0,
    /// drawn in state_dict order from `seed`.
    public init(_ spec: ModelSpec, seed: UInt64 = 0) {
        var random = SeededRandom(seed: seed)
        var entries: [NamedParameter] = []
        self.spec = spec
        self.body = Self.build(spec.network, random: &random, entries: &entries)
        self.entries = entries
    }

    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { body(x, tape) }

    public func infer(_ x: Tensor, passValues: Int) -> Tensor { body.infer(x, passValues: passValues) }

    public func parameters(prefix: String) -> [NamedParameter] {
        state(prefix: prefix).filter(\.parameter.isTrainable)
    }

    public func state(prefix: String) -> [NamedParameter] {
        prefix.isEmpty ? entries : entries.map { NamedParameter(qualifiedName(prefix, $0.name), $0.parameter) }
    }

    private static func build(_ layer: Layer, random: inout SeededRandom, entries: inout [NamedParameter]) -> any Engine.Layer {
        func register(_ name: String, _ layer: some Engine.Layer) -> some Engine.Layer {
            entries += layer.state(prefix: name)
            return layer
        }
        func chain(_ layers: [Layer]) -> Sequential {
            Sequential(layers.map { build($0, random: &random, entries: &entries) })
        }
        switch layer {
        case let .conv(name, input, output, kernel, stride, padding, groups, bias):
            precondition(!bias, "\(name): convolutions with a bias are not used by these networks")
            return register(name, Conv2D(inputChannels: input, outputChannels: output, kernelSize: kernel, stride: stride,
                                         padding: padding, groups: groups, random: &random))
        case let .batchNorm(name, channels):
            return register(name, BatchNorm(channels: channels))
        case let .linear(name, input, output):
            return register(name, Linear(inputFeatures: input, outputFeatures: output, random: &random))
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

/// x + body(x).
private final class Residual: Engine.Layer {
    let body: Sequential
    init(_ body: Sequential) { self.body = body }
    func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.add(x, body(x, tape)) }
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
