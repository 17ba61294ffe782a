/// A float32 tensor with contiguous row-major storage. Activations are NHWC
/// ([batch, height, width, channels]) inside the engine; features are [batch, channels].
///
/// Storage comes from `BufferPool` and goes back to it when the tensor dies, so a training
/// step reuses the previous step's buffers. `grad` is filled by `Tape.backward` and
/// accumulates until set to nil.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    private let storage: UnsafeMutablePointer<Float>
    /// Whether backward should produce a gradient for this tensor.
    public let requiresGrad: Bool
    /// Holds the gradient apart from the values, so a backward that needs only the gradient
    /// keeps the node alive and lets the values go back to the pool.
    public let node: GradientNode
    /// Set by ops whose output can be recomputed from what they keep anyway (Regeneration.swift).
    var regeneration: Regeneration?
    /// The per-channel sums of the values, gathered by the training convolution that wrote
    /// them while each block was in cache, for the batch norm that reads them next.
    var moments: ChannelMoments?
    /// For a gradient: the backward sums of the batch norm whose output it is the gradient of,
    /// gathered by the convolution that wrote it while each block was in cache. Dropped as soon
    /// as another backward takes the gradient to add to it.
    var gradientSums: GradientSums?
    /// How to compute the values while they are not written: a training batch norm (→ ReLU)
    /// leaves its output to the convolution that reads it next, which computes the rows it
    /// needs into cache; anything else that reads `data` writes them first.
    private(set) var unwrittenRows: NormalizedRows?
    /// For a gradient: set while the storage holds a training batch norm's output gradient and
    /// this tensor is that norm's input gradient, computed from it when something reads `data`
    /// (`BatchNormGradientRows`); a 1×1 convolution's backward reads it unwritten instead.
    private(set) var unfinishedGradient: BatchNormGradientRows?
    /// Set on the output of a convolution whose backward reads its gradient unfinished (a 1×1
    /// convolution's, which then drops it; a depthwise one's, which writes it as it reads): a
    /// batch norm of this tensor may leave its input gradient so.
    var takesUnfinishedGradient = false
    /// For an expansion's output (a 1×1 convolution widening its input, then a training batch
    /// norm): where it came from, for the depthwise backward that takes its gradients.
    var expansion: ExpansionSource?
    /// For a gradient the depthwise backward never wrote: the expansion gradients it took instead
    /// (`ExpansionGradients`), for the norm's and the expansion's backward.
    var expansionGradients: ExpansionGradients?

    /// Whether the values are in memory (false for a training batch norm's output that only
    /// convolutions have read).
    public var isWritten: Bool { unwrittenRows == nil }

    /// The values; a tensor whose values are not written yet gets them written first (on the
    /// caller's thread, as every op takes its operands' storage before its parallel region).
    public var data: UnsafeMutablePointer<Float> {
        if unwrittenRows != nil { writeRows() }
        if let gradient = unfinishedGradient {
            unfinishedGradient = nil
            gradient.writeInPlace(storage)
        }
        return storage
    }

    /// Leaves the batch norm's input gradient unwritten over the output gradient this holds.
    func leaveUnfinished(_ gradient: BatchNormGradientRows) {
        precondition(gradient.input.shape == shape && unwrittenRows == nil && unfinishedGradient == nil, "an unfinished gradient over other values")
        unfinishedGradient = gradient
    }

    /// A kernel has written the unfinished gradient over the output gradient, row by row as it
    /// read them (`Convolution.finishesOutputGradient`): the values are finished.
    func unfinishedGradientWritten() {
        precondition(unfinishedGradient != nil, "no unfinished gradient")
        unfinishedGradient = nil
    }

    /// The unfinished input gradient and the output gradient under it, for a kernel that
    /// computes the rows it needs (`BatchNormGradientRows.write`); it stays unfinished for any
    /// later reader of `data`.
    var unfinished: (gradient: BatchNormGradientRows, outputGradient: UnsafePointer<Float>)? {
        unfinishedGradient.map { ($0, UnsafePointer(storage)) }
    }

    /// A tensor whose contents are undefined: for outputs a kernel writes completely.
    public init(uninitialized shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = BufferPool.shared.take(count)
        self.requiresGrad = requiresGrad
        self.node = GradientNode(shape: shape)
    }

    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(uninitialized: shape, requiresGrad: requiresGrad)
        data.initialize(repeating: 0, count: count)
    }

    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        self.init(uninitialized: shape, requiresGrad: requiresGrad)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A tensor whose values are `rows`, written only when something reads `data`.
    convenience init(unwritten rows: NormalizedRows, requiresGrad: Bool) {
        self.init(uninitialized: rows.input.shape, requiresGrad: requiresGrad)
        unwrittenRows = rows
    }

    private func writeRows() {
        let rows = unwrittenRows!
        unwrittenRows = nil
        rows.write(into: storage)
    }

    deinit { BufferPool.shared.give(storage, count: count) }

    public var values: [Float] { Array(buffer) }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// The same values under another shape (a copy: storage is never shared).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let result = Tensor(uninitialized: newShape)
        precondition(result.count == count, "cannot reshape \(shape) to \(newShape)")
        result.data.update(from: data, count: count)
        return result
    }

    public var grad: Tensor? {
        get { node.grad }
        set { node.grad = newValue }
    }

    /// The gradient buffer, created zeroed on first use; backward kernels add into it.
    public func gradient() -> Tensor { node.gradient() }

    /// The gradient for a backward to write into, and whether it is fresh: a fresh one is
    /// uninitialized and must be overwritten in full (accumulate: false) rather than added to.
    func gradientToWrite() -> (tensor: Tensor, fresh: Bool) { node.gradientToWrite() }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
}

/// The gradient of one tensor.
public final class GradientNode: @unchecked Sendable {
    public let shape: [Int]
    public var grad: Tensor?

    init(shape: [Int]) { self.shape = shape }

    /// The expansion's backward is taken only where one depthwise convolution reads the norm's
    /// output, so no other backward adds to a gradient it left unwritten.
    private static let unwrittenGradient = "another backward adds to a gradient the depthwise backward left unwritten"

    /// The gradient buffer, created zeroed on first use; backward kernels add into it.
    public func gradient() -> Tensor {
        if let grad {
            precondition(grad.expansionGradients == nil, Self.unwrittenGradient)
            grad.gradientSums = nil
            return grad
        }
        let created = Tensor(zeros: shape)
        grad = created
        return created
    }

    /// As `gradient()`, but a new gradient is left uninitialized (fresh: true) for a caller that
    /// writes every element; saves zero-filling and re-reading the zeros.
    func gradientToWrite() -> (tensor: Tensor, fresh: Bool) {
        if let grad {
            precondition(grad.expansionGradients == nil, Self.unwrittenGradient)
            grad.gradientSums = nil
            return (grad, false)
        }
        let created = Tensor(uninitialized: shape)
        grad = created
        return (created, true)
    }

    /// As `gradientToWrite()`, but a new gradient takes over `spare` (a finished gradient of the
    /// same shape that nothing reads any more) instead of a new buffer, for a backward that can
    /// compute in place.
    func gradientToWrite(reusing spare: Tensor) -> (tensor: Tensor, fresh: Bool) {
        precondition(spare.shape == shape, "a spare gradient of shape \(spare.shape) for \(shape)")
        if let grad {
            precondition(grad.expansionGradients == nil, Self.unwrittenGradient)
            grad.gradientSums = nil
            return (grad, false)
        }
        grad = spare
        return (spare, true)
    }
}
