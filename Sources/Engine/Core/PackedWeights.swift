import Basics

/// The ungrouped 1×1 convolution weights of a network that is only evaluated, each packed once
/// into the GEMM's panels (`Gemm.packWhole`) on first use instead of on every product. The late
/// layers of one window have few rows and large weights (16 rows against 960 × 160 weights at
/// 4×4): read in place, a weight matrix comes through the caches a line per row of 16 columns,
/// which the prefetchers follow badly; packed, it is one stream.
///
/// Valid while the weights keep their values: whoever holds it evaluates a network that nothing
/// trains or loads into meanwhile (a `Predictor`'s). Several threads may evaluate with it at once.
public final class PackedWeights: @unchecked Sendable {
    private var packings: [ObjectIdentifier: (weight: Tensor, values: UnsafeMutablePointer<Float>)] = [:]
    private let lock = Lock()

    public init() {}

    deinit {
        for packing in packings.values { packing.values.deallocate() }
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
}
