/// A network described as data: the same tree gives the cost table (`genre summary`), the
/// parameter names and shapes of the PyTorch `state_dict` (docs/contracts.md §3), and the layers the
/// engine builds. Tensors are [channels, height, width] per sample.
public indirect enum LayerSpec: Sendable {
    /// 2-D convolution, OIHW weight `name.weight` (and `name.bias`).
    case conv(name: String, input: Int, output: Int, kernel: Int, stride: Int, padding: Int, groups: Int, bias: Bool)
    /// Batch norm: `name.weight`, `name.bias`, running statistics and `num_batches_tracked`.
    case batchNorm(name: String, channels: Int)
    case relu
    case relu6
    case sequence([LayerSpec])
    /// x + body(x): MobileNetV2's inverted residual, ShuffleNet's stride-1 unit.
    case residual([LayerSpec])
    /// concat(body(x), shortcut(x)) along channels: ShuffleNet's stride-2 unit.
    case concat(body: [LayerSpec], shortcut: [LayerSpec])
    case channelShuffle(groups: Int)
    case maxPool(kernel: Int, stride: Int, padding: Int)
    /// Average pooling that counts the padding, as PyTorch does by default.
    case avgPool(kernel: Int, stride: Int, padding: Int)
    case globalAvgPool
    case dropout(Double)
    /// Fully connected, [out, in] weight `name.weight` and `name.bias`.
    case linear(name: String, input: Int, output: Int)

    /// conv + BN (+ activation) with PyTorch's `name.0` / `name.1` numbering.
    static func convBN(_ name: String, _ input: Int, _ output: Int, kernel: Int, stride: Int = 1,
                       groups: Int = 1, activation: LayerSpec?) -> LayerSpec {
        var layers: [LayerSpec] = [
            .conv(name: "\(name).0", input: input, output: output, kernel: kernel, stride: stride,
                  padding: (kernel - 1) / 2, groups: groups, bias: false),
            .batchNorm(name: "\(name).1", channels: output),
        ]
        if let activation { layers.append(activation) }
        return .sequence(layers)
    }
}

/// Which architecture, at which size: everything needed to build a network.
public struct ModelSpec: Codable, Hashable, Sendable {
    public enum Architecture: String, Codable, CaseIterable, Sendable {
        case mobilenetV1 = "mobilenet_v1"
        case mobilenetV2 = "mobilenet_v2"
        case shufflenetV1 = "shufflenet_v1"
    }

    public var arch: Architecture
    public var width: Double
    public var inChannels: Int
    public var classes: Int
    public var dropout: Double
    /// ShuffleNet's group count (1, 2, 3, 4 or 8).
    public var groups: Int

    public init(arch: Architecture, width: Double = 1, inChannels: Int = 1, classes: Int = 10,
                dropout: Double? = nil, groups: Int = 3) {
        self.arch = arch
        self.width = width
        self.inChannels = inChannels
        self.classes = classes
        self.dropout = dropout ?? (arch == .mobilenetV2 ? 0.2 : 0)
        self.groups = groups
    }

    /// The layer tree of this network.
    public var network: LayerSpec {
        switch arch {
        case .mobilenetV1: MobileNetV1.network(self)
        case .mobilenetV2: MobileNetV2.network(self)
        case .shufflenetV1: ShuffleNetV1.network(self)
        }
    }
}
