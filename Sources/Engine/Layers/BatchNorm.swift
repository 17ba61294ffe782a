/// Batch normalisation layer over the channel (last) axis. State-dict names follow PyTorch:
/// `weight`, `bias` (trained), `running_mean`, `running_var`, `num_batches_tracked` (buffers).
public final class BatchNorm: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    /// Forward passes in training mode, stored as int64 in the state_dict.
    public let batchesTracked: Parameter
    public let momentum: Float
    public let epsilon: Float

    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        weight = Parameter(Tensor(shape: [channels], values: Array(repeating: 1, count: channels), requiresGrad: true))
        bias = Parameter(Tensor(zeros: [channels], requiresGrad: true))
        runningMean = Parameter(Tensor(zeros: [channels]))
        runningVariance = Parameter(Tensor(shape: [channels], values: Array(repeating: 1, count: channels)))
        batchesTracked = Parameter(Tensor(zeros: [1]), isInteger: true)
        (self.momentum, self.epsilon) = (momentum, epsilon)
    }

    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor {
        callAsFunction(x, tape, activationUpperBound: nil)
    }

    /// The batch norm followed by ReLU (bound .infinity) or ReLU6 (bound 6), in one op.
    public func callAsFunction(_ x: Tensor, _ tape: Tape, activationUpperBound upper: Float?) -> Tensor {
        if tape.isTraining { batchesTracked.value.data[0] += 1 }
        return tape.batchNorm(x, weight: weight.value, bias: bias.value, runningMean: runningMean.value,
                              runningVariance: runningVariance.value, momentum: momentum, epsilon: epsilon, activationUpperBound: upper)
    }

    public func parameters(prefix: String) -> [NamedParameter] {
        [NamedParameter(qualifiedName(prefix, "weight"), weight), NamedParameter(qualifiedName(prefix, "bias"), bias)]
    }

    public func state(prefix: String) -> [NamedParameter] {
        parameters(prefix: prefix) + [
            NamedParameter(qualifiedName(prefix, "running_mean"), runningMean),
            NamedParameter(qualifiedName(prefix, "running_var"), runningVariance),
            NamedParameter(qualifiedName(prefix, "num_batches_tracked"), batchesTracked),
        ]
    }
}
