/// How to compute a tensor's values again from what its producer keeps for its own backward.
///
/// A batch norm (→ ReLU/ReLU6) keeps its input for its backward; its output, which the next
/// convolution needs for its weight gradient, can be recomputed from that input. A consumer that
/// keeps the `Regeneration` instead of the tensor lets the output go back to the pool as soon as
/// the forward has moved on, so training holds one tensor per convolution → batch norm →
/// activation instead of two; the consumer's kernel recomputes the rows it needs into cache.
final class Regeneration {
    /// The tensor itself while anything still holds it: then, once its values are written,
    /// nothing is recomputed.
    weak var live: Tensor?
    let rows: NormalizedRows

    init(of tensor: Tensor, rows: NormalizedRows) {
        live = tensor
        self.rows = rows
    }
}

/// What a backward keeps of a tensor it needs the values of: the tensor, or how to recompute it.
enum SavedValues {
    case tensor(Tensor)
    case regenerated(Regeneration)

    init(_ tensor: Tensor) {
        self = tensor.regeneration.map(SavedValues.regenerated) ?? .tensor(tensor)
    }

    /// Runs `body` on the values as a kernel reads them: in place while the tensor is in memory
    /// (held until `body` returns), else recomputed from the batch norm's input a few rows at a
    /// time, identical bit for bit to the original ones.
    func withInputRows<Result>(_ body: (InputRows) -> Result) -> Result {
        func inPlace(_ tensor: Tensor) -> Result { withExtendedLifetime(tensor) { body(.inPlace(tensor.data)) } }
        switch self {
        case let .tensor(tensor): return inPlace(tensor)
        case let .regenerated(regeneration):
            if let live = regeneration.live, live.isWritten { return inPlace(live) }
            return body(.normalized(regeneration.rows))
        }
    }
}
