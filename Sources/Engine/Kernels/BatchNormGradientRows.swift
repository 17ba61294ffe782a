/// A training batch norm's input gradient, dx = (x − center)·b + dy·γσ⁻¹ + c per channel, from
/// its input x and its output's (masked) gradient dy. The batch norm's backward leaves it
/// unwritten over dy (`Tensor.unfinishedGradient`): the 1×1 convolution that wrote x computes
/// the rows it needs into cache and uses them at once for both of its gradients
/// (`PointwiseBackward`), so dx never goes through memory; anything else that reads the
/// gradient's `data` has it written first, the same bits.
struct BatchNormGradientRows {
    /// The batch norm's input, kept alive with this.
    let input: Tensor
    /// xScale (b), yScale (γσ⁻¹), shift (c) and center, `channels` each, as
    /// `BatchNormKernels.affineRows` reads them; kept alive with this.
    private let coefficients: PinnedFloats
    /// The arithmetic over plain pointers into the two above, for per-row work to copy (as
    /// `NormalizedRows.kernel`).
    let kernel: Kernel

    init(input: Tensor, center: [Float], xScale: [Float], yScale: [Float], shift: [Float]) {
        self.input = input
        coefficients = PinnedFloats(xScale + yScale + shift + center)
        kernel = Kernel(x: UnsafePointer(input.data), channels: input.shape.last!, coefficients: UnsafePointer(coefficients.values))
    }

    var channels: Int { kernel.channels }
    var rows: Int { input.count / channels }

    /// All of dx over dy (each element reads only its own dy), rows split across threads.
    func writeInPlace(_ dy: UnsafeMutablePointer<Float>) {
        BatchNormKernels.affine(rows: rows, channels: channels, x: kernel.x, y: dy, coefficients: kernel.coefficients, into: dy,
                                accumulate: false)
    }

    struct Kernel {
        let x: UnsafePointer<Float>
        let channels: Int
        let coefficients: UnsafePointer<Float>

        /// Rows `rows` of dx into `target` (row rows.lowerBound first), from dy (the whole gradient), on this thread.
        func write(rows: Range<Int>, outputGradient dy: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
            BatchNormKernels.affineRows(rows, channels: channels, x: x, y: dy, coefficients: coefficients, into: target, accumulate: false, clamp: nil)
        }

        /// Rows `rows` of dx over dy, in place, on this thread: for a kernel that reads dy a row at
        /// a time and finishes each row right before it reads it (`dy` is the gradient's storage).
        func writeInPlace(rows: Range<Int>, over dy: UnsafePointer<Float>) {
            write(rows: rows, outputGradient: dy, into: UnsafeMutablePointer(mutating: dy) + rows.lowerBound * channels)
        }
    }
}
