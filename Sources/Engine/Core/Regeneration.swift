/// How to compute a tensor's values again from what its producer keeps for its own backward.
///
/// A batch norm (→ ReLU/ReLU6) keeps its input for its backward; its output, which the next
/// convolution needs for its weight gradient, can be recomputed from that input with one
/// elementwise pass. A consumer that keeps the `Regeneration` instead of the tensor lets the
/// output go back to the pool as soon as the forward has moved on, so training holds one tensor
/// per convolution → batch norm → activation instead of two.
final class Regeneration {
    /// The tensor itself while anything still holds it: then nothing is recomputed.
    private weak var live: Tensor?
    let rows: NormalizedRows

    init(of tensor: Tensor, rows: NormalizedRows) {
        live = tensor
        self.rows = rows
    }

    var isLive: Bool { live != nil }

    /// The tensor's values, identical bit for bit to the original ones; a recomputed copy is
    /// the caller's, back to the pool when it lets go.
    func values() -> Tensor {
        live ?? rows.tensor()
    }
}

/// What a backward keeps of a tensor it needs the values of: the tensor, or how to recompute it.
enum SavedValues {
    case tensor(Tensor)
    case regenerated(Regeneration)

    init(_ tensor: Tensor) {
        self = tensor.regeneration.map(SavedValues.regenerated) ?? .tensor(tensor)
    }

    func values() -> Tensor {
        switch self {
        case let .tensor(tensor): return tensor
        case let .regenerated(regeneration): return regeneration.values()
        }
    }

    /// How to recompute the values a few rows at a time, when they are not in memory any more.
    func recomputableRows() -> NormalizedRows? {
        guard case let .regenerated(regeneration) = self, !regeneration.isLive else { return nil }
        return regeneration.rows
    }
}
