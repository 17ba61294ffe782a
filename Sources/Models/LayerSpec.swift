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

    /// Why this tree cannot run on `channels` input channels — the first layer whose channels do
    /// not follow from the previous one, are below 1 or are not divided by its groups, or a
    /// residual that changes the width — or nil when every layer fits.
    public func channelProblem(after channels: Int) -> String? {
        struct Problem: Error { let text: String }
        func flow(_ layer: LayerSpec, _ c: Int) throws -> Int {
            switch layer {
            case let .conv(name, input, output, _, _, _, groups, _):
                guard input == c, input >= 1, output >= 1, groups >= 1, input % groups == 0, output % groups == 0 else {
                    throw Problem(text: "\(name): \(input) → \(output) channels in \(groups) groups (after \(c) channels)")
                }
                return output
            case let .batchNorm(name, count):
                guard count == c, count >= 1 else { throw Problem(text: "\(name): \(count) channels after \(c)") }
                return c
            case let .linear(name, input, output):
                guard input == c, output >= 1 else { throw Problem(text: "\(name): \(input) → \(output) after \(c) channels") }
                return output
            case let .channelShuffle(groups):
                guard groups >= 1, c % groups == 0 else { throw Problem(text: "channel shuffle of \(c) channels in \(groups) groups") }
                return c
            case .relu, .relu6, .dropout, .maxPool, .avgPool, .globalAvgPool:
                return c
            case let .sequence(layers):
                return try layers.reduce(c) { try flow($1, $0) }
            case let .residual(layers):
                let out = try flow(.sequence(layers), c)
                guard out == c else { throw Problem(text: "a residual block turns \(c) channels into \(out)") }
                return c
            case let .concat(body, shortcut):
                return try flow(.sequence(body), c) + flow(.sequence(shortcut), c)
            }
        }
        do {
            _ = try flow(self, channels)
            return nil
        } catch {
            return (error as? Problem)?.text ?? "\(error)"
        }
    }

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

    /// Why no network can be built from this spec — a size out of range, or a width that leaves a
    /// layer without channels or with channels its groups do not divide (ShuffleNet below about
    /// α = 0.2) — or nil when it builds.
    public var problem: String? {
        guard width.isFinite, width > 0, width <= 4 else { return "width \(width) must be in (0, 4]" }
        guard (1...64).contains(inChannels) else { return "in_channels \(inChannels) must be between 1 and 64" }
        guard (1...10_000).contains(classes) else { return "classes \(classes) must be between 1 and 10000" }
        guard dropout.isFinite, (0..<1).contains(dropout) else { return "dropout \(dropout) must be in [0, 1)" }
        if arch == .shufflenetV1, ShuffleNetV1.stageChannels[groups] == nil { return "groups \(groups) must be 1, 2, 3, 4 or 8" }
        return structureProblem.map { "width \(width) gives \($0)" }
    }

    /// Why the layer tree of this spec cannot be built (some widths are too small for an
    /// architecture: ShuffleNet below α≈0.2, where the engine would trap), or nil.
    public var structureProblem: String? { network.channelProblem(after: inChannels) }

    /// The layer tree of this network.
    public var network: LayerSpec {
        switch arch {
        case .mobilenetV1: MobileNetV1.network(self)
        case .mobilenetV2: MobileNetV2.network(self)
        case .shufflenetV1: ShuffleNetV1.network(self)
        }
    }
}
