import Basics

/// The ungrouped 1×1 convolution weights of a network that is only evaluated, each packed once
/// into the GEMM's panels (`Gemm.packWhole`) on first use instead of on every product. The late
/// layers of one window have few rows and large weights (16 rows against 960 × 160 weights at
/// 4×4): read in place, a weight matrix comes through the caches a line per row of 16 columns,
/// which the prefetchers follow badly; packed, it is one stream.
///
/// It also keeps each batch norm's folded scale and shift (`foldBatchNorm`), which evaluation
/// otherwise computes on every call: 52 of them in a MobileNetV2 window, ≈ 2 % of its time.
///
/// Valid while the weights and the batch norms' statistics keep their values: whoever holds it
/// evaluates a network that nothing trains or loads into meanwhile (a `Predictor`'s). Several
/// threads may evaluate with it at once.
public final class PackedWeights: @unchecked Sendable {
    private var packings: [ObjectIdentifier: (weight: Tensor, values: UnsafeMutablePointer<Float>)] = [:]
    private var foldings: [ObjectIdentifier: (weight: Tensor, values: UnsafeMutablePointer<Float>)] = [:]
    private let lock = Lock()

    public init() {}

    deinit {
        for packing in packings.values { packing.values.deallocate() }
        for folding in foldings.values { folding.values.deallocate() }
    }

    /// Weights packed so far.
    public var count: Int { lock.withLock { packings.count } }

    /// `weight` ([1, 1, in, out]) as the B of Y = X·W, packed on first use.
    func packed(_ weight: Tensor) -> PackedB {
        precondition(weight.shape.count == 4 && weight.shape[0] == 1 && weight.shape[1] == 1, "a 1×1 convolution's weight")
        let (k, n) = (weight.shape[2], weight.shape[3])
        return lock.withLock {
            if let packing = packings[ObjectIdentifier(weight)] { return PackedB(values: packing.values, columns: n) }
            let values = UnsafeMutablePointer<Float>.allocate(capacity: Gemm.packedCount(k: k, n: n))
            packings[ObjectIdentifier(weight)] = (weight, values)
            return Gemm.packWhole(MatrixView(weight.data, rowStride: n), k: k, n: n, into: values)
        }
    }

    /// An evaluation-mode batch norm's scale and shift, keyed by its weight, folded on first use.
    func folded(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float)
        -> (scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
        let channels = weight.count
        let values = lock.withLock {
            if let folding = foldings[ObjectIdentifier(weight)] { return folding.values }
            let values = UnsafeMutablePointer<Float>.allocate(capacity: 2 * channels)
            foldBatchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, epsilon: epsilon,
                          scale: values, shift: values + channels)
            foldings[ObjectIdentifier(weight)] = (weight, values)
            return values
        }
        return (UnsafePointer(values), UnsafePointer(values + channels))
    }
}
