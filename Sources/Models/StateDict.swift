/// One entry of a PyTorch `state_dict`.
public struct StateEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Trained by the optimiser.
        case parameter
        /// Saved with the weights, never trained (BatchNorm's running statistics).
        case buffer
    }

    public let name: String
    public let shape: [Int]
    /// True for BatchNorm's `num_batches_tracked`, stored as int64; the rest is float32.
    public let isInt64: Bool
    public let kind: Kind
}

extension LayerSpec {
    /// The `state_dict` entries in PyTorch's registration order: conv weights OIHW, linear
    /// [out, in], BatchNorm weight, bias, running_mean, running_var, num_batches_tracked.
    public var stateDict: [StateEntry] {
        switch self {
        case let .conv(name, input, output, kernel, _, _, groups, bias):
            var entries = [StateEntry(name: "\(name).weight", shape: [output, input / groups, kernel, kernel], isInt64: false, kind: .parameter)]
            if bias { entries.append(StateEntry(name: "\(name).bias", shape: [output], isInt64: false, kind: .parameter)) }
            return entries
        case let .batchNorm(name, channels):
            return [
                StateEntry(name: "\(name).weight", shape: [channels], isInt64: false, kind: .parameter),
                StateEntry(name: "\(name).bias", shape: [channels], isInt64: false, kind: .parameter),
                StateEntry(name: "\(name).running_mean", shape: [channels], isInt64: false, kind: .buffer),
                StateEntry(name: "\(name).running_var", shape: [channels], isInt64: false, kind: .buffer),
                StateEntry(name: "\(name).num_batches_tracked", shape: [], isInt64: true, kind: .buffer),
            ]
        case let .linear(name, input, output):
            return [
                StateEntry(name: "\(name).weight", shape: [output, input], isInt64: false, kind: .parameter),
                StateEntry(name: "\(name).bias", shape: [output], isInt64: false, kind: .parameter),
            ]
        case let .sequence(layers), let .residual(layers):
            return layers.flatMap(\.stateDict)
        case let .concat(body, shortcut):
            return (body + shortcut).flatMap(\.stateDict)
        case .relu, .relu6, .channelShuffle, .maxPool, .avgPool, .globalAvgPool, .dropout:
            return []
        }
    }
}
