/// Whether a forward pass learns (batch statistics, dropout, gradients recorded) or only
/// evaluates (running statistics, nothing recorded).
public enum Mode: Sendable {
    case training
    case evaluation
}

/// The reverse-mode autograd tape and the mode of one forward pass.
///
/// Ops are methods on the tape (`tape.conv2d`, `tape.batchNorm`, ...). In training mode each op
/// whose inputs need gradients appends a closure holding what its backward needs; `backward`
/// runs them in reverse and frees them as it goes. In evaluation mode nothing is recorded.
public final class Tape {
    public let mode: Mode
    /// Drives dropout; seed it per step for reproducible training.
    public var random: SeededRandom
    /// When set, training-mode batch norms take their statistics over the whole batch of a
    /// data-parallel job (this process's slice and every other's) through it.
    public var batchStatistics: (any BatchStatisticsReducer)?
    /// For an evaluation: the 1×1 convolutions' weights packed once, read instead of packing them
    /// on every product.
    public let packedWeights: PackedWeights?
    private var records: [() -> Void] = []
    /// The output of the op recorded last. An op that reads it is its first reader: every other
    /// reader is recorded later, so its backward runs before this op's.
    private weak var lastRecorded: GradientNode?

    public init(mode: Mode, seed: UInt64 = 0, packedWeights: PackedWeights? = nil) {
        precondition(packedWeights == nil || mode == .evaluation, "packed weights are for evaluation: training changes the weights")
        self.mode = mode
        self.random = SeededRandom(seed: seed)
        self.packedWeights = packedWeights
    }

    public var isTraining: Bool { mode == .training }

    /// Number of recorded ops waiting for `backward`.
    public var recordedCount: Int { records.count }

    /// True when an op on these inputs must record its backward.
    func needsGradient(_ inputs: Tensor?...) -> Bool {
        needsGradient(inputs.compactMap { $0 })
    }

    func needsGradient(_ inputs: [Tensor]) -> Bool {
        isTraining && inputs.contains(where: \.requiresGrad)
    }

    /// Appends an op's backward. The output's gradient is read when it runs; ops whose output
    /// received no gradient are skipped. Only the output's gradient node is kept: closures
    /// capture the tensors whose values they need and the `node` of the others.
    func record(_ output: Tensor, _ backward: @escaping (_ outputGradient: Tensor) -> Void) {
        let node = output.node
        lastRecorded = node
        records.append {
            if let gradient = node.grad { backward(gradient) }
        }
    }

    /// Whether `tensor` is the output of the op recorded last (see `lastRecorded`).
    func isLastRecorded(_ tensor: Tensor) -> Bool { lastRecorded === tensor.node }

    /// Seeds `output.grad` (ones for a scalar loss, or the given upstream gradient), runs every
    /// recorded backward in reverse and clears the tape. Parameter gradients accumulate across
    /// calls until zeroed.
    public func backward(_ output: Tensor, gradient upstream: Tensor? = nil) {
        if let upstream {
            precondition(upstream.shape == output.shape, "gradient \(upstream.shape) for output \(output.shape)")
            let seed = Tensor(uninitialized: output.shape)
            Elementwise.map(seed.count, upstream.data, upstream.data, into: seed.data, accumulate: false, FirstKernel())
            output.grad = seed
        } else {
            precondition(output.count == 1, "backward without a gradient needs a scalar loss, got shape \(output.shape)")
            output.gradient().fill(1)
        }
        // Popping releases each op's saved tensors as soon as its backward has run.
        while let backward = records.popLast() { backward() }
    }

    /// Drops the recorded ops without running them.
    public func reset() {
        records.removeAll()
    }
}
