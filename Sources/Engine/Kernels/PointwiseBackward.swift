import Synchronization

/// The backward of a 1×1 convolution whose output feeds a training batch norm, in one sweep:
/// the norm leaves its input gradient dY unwritten (`BatchNormGradientRows`), and each run of
/// pixels of dY is computed into cache and used at once for dW += Xᵀ·dY (as
/// `PointwiseWeightGradient` sums it) and for dX (+)= dY·Wᵀ on the run's rows (the GEMM, Wᵀ
/// packed once). Written by the norm and read by each gradient, dY went through memory three
/// times: six times the block's channels for MobileNetV2's expansions. The same bits as the
/// three passes.
public enum PointwiseBackward {
    private static let enabled = Atomic<Bool>(true)

    /// Whether training batch norms leave their input gradients unwritten (on; off writes
    /// them at once, for comparisons).
    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// Output values from which the sweep pays: smaller gradients stay in the last-level cache
    /// between the three passes (32 MB here), and the sweep's GEMMs on short runs of rows cost
    /// more than it saves. MobileNetV2 at batch 32, a 1×1 convolution → batch norm → ReLU6's
    /// backward, alternating in one process: 16 → 96 channels at 64×64 (50 MB) 17.1–18.7 →
    /// 13.1–15.7 ms; 24 → 144 at 32×32 (19 MB) 4.7–5.4 ms and 144 → 24 2.9–3.3 ms either way.
    static let minimumValues = 1 << 23

    static func applies(_ g: ConvolutionGeometry) -> Bool {
        PointwiseWeightGradient.applies(g) && g.batch * g.outHeight * g.outWidth * g.outChannels >= minimumValues
    }

    /// `weightGradient` nil: no weight gradient; `dx` nil: no input gradient. `finished` gets
    /// each run's rows of dX once final, as `Convolution.inputGradient` hands them on.
    static func run(_ g: ConvolutionGeometry, dy: BatchNormGradientRows, outputGradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                    weightGradient: (x: InputRows, dw: UnsafeMutablePointer<Float>)?, dx: UnsafeMutablePointer<Float>?, overwrite: Bool, finished: FinishedBlock?) {
        precondition(applies(g) && dy.rows == g.batch * g.height * g.width && dy.channels == g.outChannels, "a 1×1 convolution's output gradient")
        let (cin, cout) = (g.inChannels, g.outChannels)
        let weightTransposed = GemmConvolution.weightMatrix(g, weight, 0).transposed
        let dyRows = dy.kernel
        withScratch(dx == nil ? 1 : Gemm.packedCount(k: cout, n: cin)) { packed in
            let packedB = dx.map { _ in Gemm.packWhole(weightTransposed, k: cout, n: cin, into: packed) }
            PointwiseWeightGradient.sweep(g, weightGradient: weightGradient, dyRows: { rows, scratch in
                dyRows.write(rows: rows, outputGradient: outputGradient, into: scratch)
                return UnsafePointer(scratch)
            }, afterRun: dx.map { dx in
                { rows, dyRun in
                    Gemm.serial(m: rows.count, n: cin, k: cout, a: MatrixView(dyRun, rowStride: cout), b: weightTransposed,
                                c: dx + rows.lowerBound * cin, ldc: cin, accumulate: !overwrite, packedB: packedB,
                                finished: finished.map { finished in
                                    { finished($0.lowerBound + rows.lowerBound..<$0.upperBound + rows.lowerBound, $1, $2, $3) }
                                })
                }
            })
        }
    }
}
