import Synchronization

/// Where a training expansion's output came from: a 1×1 convolution that widens a few channels
/// X ([pixels, K]) into many, E = X·W ([pixels, C]). Set on E by the convolution's forward, for
/// the depthwise backward that reads E's batch norm (`ExpansionGradients`).
struct ExpansionSource {
    let geometry: ConvolutionGeometry
    /// W, [K, C].
    let weight: Tensor
    /// X as the convolution's backward reads it.
    let input: SavedValues
}

/// The backward of MobileNetV2's expansion, E = X·W → batch norm → ReLU6 → depthwise 3×3, taken
/// inside the depthwise backward's pass, so that neither the gradient of E nor the norm's input
/// gradient goes through memory (they are six times the block's channels: 50 MB a step at 64×64).
///
/// The norm's input gradient is dE = (E − μ)·b + m·s + c per channel, where m is the masked
/// gradient the depthwise backward writes, s = γσ⁻¹ is known from the forward, and b and c come
/// from sums over the whole batch (known only after the pass). With E = X·W both of the
/// convolution's gradients split into products of each run of m (in cache as the depthwise
/// backward finishes it) and corrections from K×K and K×C sums:
///
///     dX = (m·diag(s))·Wᵀ + X·M + 1·vᵀ,        M = W·diag(b)·Wᵀ,  v = W·(c − μ·b)
///     dW = (Xᵀm)·diag(s) + (XᵀX·W − (Xᵀ1)·μᵀ)·diag(b) + (Xᵀ1)·cᵀ
///
/// The pass keeps P = (m·diag(s))·Wᵀ ([pixels, K]) and, per thread, Xᵀm, XᵀX and Xᵀ1 in Double;
/// the convolution's backward then adds X·M + v to P (one small GEMM over X) and forms dW. The
/// same gradients as the passes up to rounding (not the same bits).
public final class ExpansionGradients: @unchecked Sendable {
    private static let enabled = Atomic<Bool>(true)
    private static let runs = Atomic<Int>(0)

    /// Whether the depthwise backward takes an expansion's gradients (on; off runs the norm's
    /// and the convolution's own backward, for comparisons).
    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// Expansions whose gradients were finished this way since the process started (for tests).
    public static var finishedCount: Int { runs.load(ordering: .relaxed) }

    /// Outputs from which it pays: smaller ones stay in the last-level cache between passes, and
    /// XᵀX and X·M add 2K² multiply-adds a pixel. MobileNetV2 at batch 32, an expansion block's
    /// forward and backward alternating in one process: 16 → 96 at 64×64 (12.6 M values) 0.93 of
    /// the time, 24 → 144 at 32×32 (4.7 M) 0.91 and 0.93, 32 → 192 at 16×16 (1.6 M) 1.00; taking
    /// the 16×16 ones too made whole training steps 3–4 % slower.
    static let minimumValues = 1 << 21

    /// Whether a convolution of this geometry is an expansion whose gradients are taken so.
    static func applies(_ g: ConvolutionGeometry) -> Bool {
        g.isPointwise && g.groups == 1 && g.stride == 1 && g.padding == 0 && g.outChannels >= 4 * g.inChannels
            && g.batch * g.height * g.width * g.outChannels >= minimumValues
    }

    let source: ExpansionSource
    let pixels, inChannels, outChannels: Int
    /// P, [pixels, K].
    private let partial: UnsafeMutablePointer<Float>
    /// diag(s)·Wᵀ, [C, K], packed for the GEMM that forms P.
    private let scaledTranspose: UnsafeMutablePointer<Float>
    private let packedTranspose: PackedB
    /// Per chunk of the pass: Xᵀm [K, C], XᵀX [K, K], Xᵀ1 [K], in Double; nil until a pass begins.
    private var sums: UnsafeMutablePointer<Double>?
    private var chunks = 0

    private var sumsPerChunk: Int { inChannels * outChannels + inChannels * inChannels + inChannels }

    /// `scale` is the norm's γσ⁻¹ per channel of E.
    init(_ source: ExpansionSource, scale: UnsafePointer<Float>) {
        self.source = source
        let g = source.geometry
        (pixels, inChannels, outChannels) = (g.batch * g.height * g.width, g.inChannels, g.outChannels)
        partial = BufferPool.shared.take(pixels * inChannels)
        let transposeCount = outChannels * inChannels
        scaledTranspose = BufferPool.shared.take(transposeCount + Gemm.packedCount(k: outChannels, n: inChannels))
        let w = UnsafePointer(source.weight.data)
        for c in 0..<outChannels {
            for k in 0..<inChannels { scaledTranspose[c * inChannels + k] = scale[c] * w[k * outChannels + c] }
        }
        packedTranspose = Gemm.packWhole(MatrixView(scaledTranspose, rowStride: inChannels), k: outChannels, n: inChannels,
                                         into: scaledTranspose + transposeCount)
    }

    deinit {
        BufferPool.shared.give(partial, count: pixels * inChannels)
        BufferPool.shared.give(scaledTranspose, count: outChannels * inChannels + Gemm.packedCount(k: outChannels, n: inChannels))
        sums?.deallocate()
    }

    /// Called by the pass before its threads start: one set of sums per chunk.
    func begin(chunks: Int) {
        precondition(sums == nil, "one pass per expansion")
        self.chunks = chunks
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: chunks * sumsPerChunk)
        sums.initialize(repeating: 0, count: chunks * sumsPerChunk)
        self.sums = sums
        Self.runs.add(1, ordering: .relaxed)
    }

    /// Floats of scratch `add` needs for runs of up to `pixels` pixels.
    func scratchCount(pixels: Int) -> Int { pixels * inChannels + inChannels * outChannels + inChannels * inChannels }

    /// One run of pixels of m (masked, final, [count, C] with rows C apart), on the chunk's
    /// thread: P's rows, and the run's products added to the chunk's sums. `x` reads X.
    func add(chunk: Int, pixels run: Range<Int>, masked m: UnsafePointer<Float>, x: InputRows, scratch: UnsafeMutablePointer<Float>) {
        let (k, c, count) = (inChannels, outChannels, run.count)
        let rows: UnsafePointer<Float>
        switch x {
        case let .inPlace(values): rows = values + run.lowerBound * k
        case let .normalized(normalized):
            normalized.kernel.write(rows: run, into: scratch)
            rows = UnsafePointer(scratch)
        }
        let (products, gram) = (scratch + count * k, scratch + count * k + k * c)
        let transposed = MatrixView(rows, rowStride: 1, columnStride: k)
        Gemm.serial(m: k, n: c, k: count, a: transposed, b: MatrixView(m, rowStride: c), c: products, ldc: c, accumulate: false)
        Gemm.serial(m: k, n: k, k: count, a: transposed, b: MatrixView(rows, rowStride: k), c: gram, ldc: k, accumulate: false)
        Gemm.serial(m: count, n: k, k: c, a: MatrixView(m, rowStride: c), b: MatrixView(scaledTranspose, rowStride: k),
                    c: partial + run.lowerBound * k, ldc: k, accumulate: false, packedB: packedTranspose)
        let total = sums! + chunk * sumsPerChunk
        for i in 0..<k * c { total[i] += Double(products[i]) }
        for i in 0..<k * k { total[k * c + i] += Double(gram[i]) }
        // Xᵀ1: each run's column sums in Float, eight channels a vector, then into Double.
        let ones = total + k * c + k * k
        var j = 0
        while j + 8 <= k {
            var sum = SIMD8<Float>()
            for p in 0..<count { sum += rows.vector(p * k + j) }
            for l in 0..<8 { ones[j + l] += Double(sum[l]) }
            j += 8
        }
        while j < k {
            var sum: Float = 0
            for p in 0..<count { sum += rows[p * k + j] }
            ones[j] += Double(sum)
            j += 1
        }
    }

    /// The convolution's gradients, from the norm's backward coefficients (`BatchNormGradientRows`:
    /// b, s, c and μ): dW into `weightGradient` (written when `overwrite`, else added to), dX
    /// into `dx` (likewise, `fresh`), each finished block of it handed to `finished`.
    func finish(coefficients: UnsafePointer<Float>, x: InputRows, weightGradient: UnsafeMutablePointer<Float>, overwrite: Bool,
                dx: UnsafeMutablePointer<Float>?, fresh: Bool, finished: FinishedBlock?) {
        let (k, c) = (inChannels, outChannels)
        // As BatchNormGradientRows lays them out: b, s, c, μ.
        let (b, s, shift, center) = (coefficients, coefficients + c, coefficients + 2 * c, coefficients + 3 * c)
        // The chunks' sums in chunk order: Xᵀm [K, C], XᵀX [K, K], Xᵀ1 [K].
        var total = [Double](repeating: 0, count: sumsPerChunk)
        for chunk in 0..<chunks {
            for i in 0..<sumsPerChunk { total[i] += sums![chunk * sumsPerChunk + i] }
        }
        let (gram, ones) = (k * c, k * c + k * k)
        let weight = UnsafePointer(source.weight.data)
        let w = (0..<k * c).map { Double(weight[$0]) }
        // XᵀX·W, [K, C], a row of W at a time.
        var gramW = [Double](repeating: 0, count: k * c)
        for i in 0..<k {
            for l in 0..<k {
                let product = total[gram + i * k + l]
                for j in 0..<c { gramW[i * c + j] += product * w[l * c + j] }
            }
        }
        // dW[i][j] = s_j (Xᵀm)[i][j] + b_j ((XᵀX·W)[i][j] − μ_j (Xᵀ1)[i]) + c_j (Xᵀ1)[i].
        for i in 0..<k {
            let sum = total[ones + i]
            for j in 0..<c {
                let value = Double(s[j]) * total[i * c + j] + Double(b[j]) * (gramW[i * c + j] - Double(center[j]) * sum) + Double(shift[j]) * sum
                weightGradient[i * c + j] = Float(value) + (overwrite ? 0 : weightGradient[i * c + j])
            }
        }
        guard let dx else { return }
        // M = W·diag(b)·Wᵀ and v = W·(c − μ·b), summed a column of W at a time (rows of Wᵀ).
        let transposed = (0..<c * k).map { w[$0 % k * c + $0 / k] }
        var (mixingSums, offsetSums) = ([Double](repeating: 0, count: k * k), [Double](repeating: 0, count: k))
        for j in 0..<c {
            let shifted = Double(shift[j]) - Double(center[j]) * Double(b[j])
            for i in 0..<k {
                let scaled = w[i * c + j] * Double(b[j])
                for l in 0..<k { mixingSums[i * k + l] += scaled * transposed[j * k + l] }
                offsetSums[i] += w[i * c + j] * shifted
            }
        }
        let (mixing, offset) = (mixingSums.map(Float.init), offsetSums.map(Float.init))
        let partial = UncheckedSendable(self.partial)
        let target = UncheckedSendable(dx)
        offset.withUnsafeBufferPointer { offset in
            let v = UncheckedSendable(offset.baseAddress!)
            mixing.withUnsafeBufferPointer { mixing in
                let (base, recomputed) = x.matrix
                // P += X·M, then each block of P, plus v, into dX and on to `finished`.
                Gemm.multiply(m: pixels, n: k, k: k, a: MatrixView(base, rowStride: k), b: MatrixView(mixing.baseAddress!, rowStride: k),
                              c: partial.value, ldc: k, accumulate: true, epilogue: nil, aRows: recomputed, finished: { rows, columns, first, stride in
                    let (dx, v) = (target.value, v.value + columns.lowerBound)
                    for row in rows {
                        let (from, to) = (first + (row - rows.lowerBound) * stride, dx + row * k + columns.lowerBound)
                        if fresh {
                            for j in 0..<columns.count { to[j] = from[j] + v[j] }
                        } else {
                            for j in 0..<columns.count { to[j] += from[j] + v[j] }
                        }
                    }
                    finished?(rows, columns, dx + rows.lowerBound * k + columns.lowerBound, k)
                })
            }
        }
    }
}
