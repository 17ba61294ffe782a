/// MobileNetV2's inverted residual in evaluation mode — expand 1×1 → BN → ReLU6 → depthwise 3×3
/// → BN → ReLU6 → project 1×1 → BN (→ + input) — over tiles of a few output rows, so the
/// expanded activation (six times the block's input) lives in two cache-sized buffers instead of
/// going to memory twice. Each thread takes whole samples (or, for a batch smaller than the
/// thread count, a part of a sample's rows) and walks each tile by tile, keeping the expanded
/// rows a tile shares with the next (no row is expanded twice within a part); samples of few
/// rows split their hidden channels instead (`forwardSplittingChannels`). Same kernels, same
/// arithmetic per value as the unfused ops: the bits are the same.
struct FusedInvertedResidual {
    /// A 1×1 convolution's [in, out] weight matrix or the depthwise [9, channels] taps, and the
    /// folded batch norm (and clamp) applied as the values are written. A 1×1 weight may come
    /// packed already (`PackedWeights`).
    struct Stage {
        let weight: UnsafePointer<Float>
        let epilogue: ChannelEpilogue
        var packed: PackedB? = nil
    }

    /// nil when the expansion factor is 1 (the depthwise reads the input directly).
    let expand: Stage?
    /// A network's first convolution when it feeds a block without expansion (`Stem`): the
    /// block's input rows are then computed tile by tile, from the network's input, into cache.
    var stem: Stem? = nil
    let depthwise: Stage
    let project: Stage
    let inChannels, hidden, outChannels, stride: Int
    let addsInput: Bool

    /// Expanded plus depthwise values per tile (768 KB, most of a Zen 4 core's L2): MobileNetV2 at
    /// batch 32 ran 603/608/637/680 samples/s with budgets of 24/48/96/192 K values, and no
    /// faster above (larger tiles also mean larger GEMMs and fewer halo rows).
    static let tileBudget = 192 * 1024

    /// A 3×3 convolution of a one-channel input (`SingleChannelConvolution`) with its folded
    /// batch norm and clamp: MobileNetV2's stem, whose 32-channel output, written to memory and
    /// read back by the first block's depthwise filter, was a store-bound 3 % of a batch. Fused,
    /// batch 32 took 0.97–0.99 of the time on two threads (0.95–0.99 on one) and 9 MB less.
    struct Stem {
        /// The whole batch's geometry: the block's input is its output.
        let geometry: ConvolutionGeometry
        let weight: UnsafePointer<Float>
        let epilogue: ChannelEpilogue
    }

    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height - 1) / stride + 1, (width - 1) / stride + 1)
    }

    /// Output rows per tile at this width.
    func tileRows(width: Int) -> Int {
        let outWidth = (width - 1) / stride + 1
        // Input rows of a tile of r output rows: (r − 1)·stride + 3.
        var rows = 1
        while (rows * stride + 3) * width * hidden + (rows + 1) * outWidth * hidden <= Self.tileBudget { rows += 1 }
        return rows
    }

    /// A batch smaller than the thread count with few rows (one window's 8×8 and 4×4 blocks): the
    /// threads split the hidden channels, each expanding and filtering its own (the depthwise
    /// filter reads no other channel, so the threads do not meet between the two and each one's
    /// expanded values stay in its cache), then the projection's GEMM splits its output columns
    /// as the separate op's does. The same bits as the separate ops.
    func forwardSplittingChannels(x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, y: UnsafeMutablePointer<Float>) {
        guard let expand else { preconditionFailure("the hidden channels are split at the expansion") }
        let (outHeight, outWidth) = outputSize(height: height, width: width)
        let (pixels, outPixels) = (batch * height * width, batch * outHeight * outWidth)
        withScratch(pixels * hidden) { expanded in
        withScratch(outPixels * hidden) { filtered in
            let (buffers, input) = (UncheckedSendable((expanded, filtered)), UncheckedSendable(x))
            // Shares split as the GEMM splits its columns, so each starts a panel of the packed weights.
            Parallel.forEach(hidden, granularity: Gemm.columnGranularity) { channels in
                let (expanded, filtered) = buffers.value
                let first = channels.lowerBound
                Gemm.serial(m: pixels, n: channels.count, k: inChannels, a: MatrixView(input.value, rowStride: inChannels),
                            b: MatrixView(expand.weight + first, rowStride: hidden), c: expanded + first, ldc: hidden, accumulate: false,
                            epilogue: expand.epilogue.advanced(by: first), packedB: expand.packed?.from(column: first))
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 18) { taps in
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 3 * outHeight) { sourceRows in
                    for n in 0..<batch {
                        let image = UnsafePointer(expanded) + n * height * width * hidden + first
                        for i in 0..<outHeight {
                            for kh in 0..<3 {
                                let ih = i * stride - 1 + kh
                                sourceRows[3 * i + kh] = ih >= 0 && ih < height ? image + ih * width * hidden : nil
                            }
                        }
                        Depthwise.windowRows(UnsafePointer(sourceRows.baseAddress!), count: outHeight, sourceWidth: width,
                                             weight: depthwise.weight + first, channels: channels.count, pixelStride: hidden,
                                             window: (stride, 1), target: filtered + n * outHeight * outWidth * hidden + first,
                                             targetWidth: outWidth, accumulate: false, epilogue: depthwise.epilogue.advanced(by: first),
                                             taps: (taps.baseAddress!, taps.baseAddress! + 9))
                    }
                }
                }
            }
            Gemm.multiply(m: outPixels, n: outChannels, k: hidden, a: MatrixView(filtered, rowStride: hidden),
                          b: MatrixView(project.weight, rowStride: outChannels), c: y, ldc: outChannels, accumulate: false,
                          epilogue: project.epilogue, packedB: project.packed)
            if addsInput { Self.addInput(x, to: y, count: outPixels * outChannels) }
        }
        }
    }

    /// `x` is the block's input, [batch, height, width, inChannels], or with a `stem` the
    /// stem's input, the block's input being the stem's output of `height` × `width`.
    func forward(x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, y: UnsafeMutablePointer<Float>) {
        precondition(stem == nil || (expand == nil && !addsInput && stem!.geometry.outputShape == [batch, height, width, inChannels]),
                     "a stem feeds a block without expansion or residual, of its output's shape")
        let (outHeight, outWidth) = outputSize(height: height, width: width)
        let rows = tileRows(width: width)
        let maxInputRows = min(height, (rows - 1) * stride + 3)
        // Both 1×1 weights packed once for every tile, instead of once per tile (unless they come
        // packed).
        let expandCount = expand.map { $0.packed == nil ? Gemm.packedCount(k: inChannels, n: hidden) : 0 } ?? 0
        let projectCount = project.packed != nil ? 0 : Gemm.packedCount(k: hidden, n: outChannels)
        withScratch(max(1, expandCount + projectCount)) { scratch in
        let expandWeights = expand.map { expand in
            expand.packed ?? Gemm.packWhole(MatrixView(expand.weight, rowStride: hidden), k: inChannels, n: hidden, into: scratch)
        }
        let projectWeights = project.packed
            ?? Gemm.packWhole(MatrixView(project.weight, rowStride: outChannels), k: hidden, n: outChannels, into: scratch + expandCount)
        let (input, output, weights) = (UncheckedSendable(x), UncheckedSendable(y), UncheckedSendable((expandWeights, projectWeights)))
        // A batch smaller than the thread count splits each sample's output rows into parts; a
        // part's first tile expands the rows it shares with the part before again.
        let parts = max(1, (Parallel.threadCount + batch - 1) / batch)
        // The block's input rows in cache: expanded, or computed by the stem.
        let computesInput = expand != nil || stem != nil
        Parallel.forEach(batch * parts) { units in
            withScratch(computesInput ? maxInputRows * width * hidden : 1) { expanded in
            withScratch(rows * outWidth * hidden) { filtered in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 18) { taps in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 3 * rows) { sourceRows in
                for unit in units {
                    let (n, part) = unit.quotientAndRemainder(dividingBy: parts)
                    // The block's input in memory (with a stem it is computed, and x is the stem's).
                    let image = input.value + (stem == nil ? n * height * width * inChannels : 0)
                    let partRows = outHeight * part / parts..<outHeight * (part + 1) / parts
                    // Input rows held in `expanded`, from `held.lowerBound` at its start.
                    var held = 0..<0
                    for first in Swift.stride(from: partRows.lowerBound, to: partRows.upperBound, by: rows) {
                        let last = min(first + rows, partRows.upperBound)
                        let needed = max(0, first * stride - 1)..<min(height, (last - 1) * stride + 2)
                        func row(_ ih: Int) -> UnsafePointer<Float>? {
                            guard ih >= 0 && ih < height else { return nil }
                            guard computesInput else { return image + ih * width * inChannels }
                            return UnsafePointer(expanded) + (ih - needed.lowerBound) * width * hidden
                        }
                        if computesInput {
                            // Rows the previous tile computed move to the front; the rest are computed.
                            var start = needed.lowerBound
                            if held.contains(needed.lowerBound) {
                                let kept = held.upperBound - needed.lowerBound
                                // memmove: with one-row tiles the two ranges overlap.
                                UnsafeMutableRawPointer(expanded).copyMemory(from: expanded + (needed.lowerBound - held.lowerBound) * width * hidden,
                                                                             byteCount: kept * width * hidden * MemoryLayout<Float>.stride)
                                start = held.upperBound
                            }
                            if start >= needed.upperBound {
                                // Every row was computed by the previous tile.
                            } else if let stem {
                                SingleChannelConvolution.forwardRows(stem.geometry, x: input.value, weight: stem.weight,
                                                                     rows: n * height + start..<n * height + needed.upperBound,
                                                                     into: expanded + (start - needed.lowerBound) * width * hidden, epilogue: stem.epilogue)
                            } else if let expand {
                                Gemm.serial(m: (needed.upperBound - start) * width, n: hidden, k: inChannels,
                                            a: MatrixView(image + start * width * inChannels, rowStride: inChannels),
                                            b: MatrixView(expand.weight, rowStride: hidden),
                                            c: expanded + (start - needed.lowerBound) * width * hidden, ldc: hidden, accumulate: false,
                                            epilogue: expand.epilogue, packedB: weights.value.0)
                            }
                            held = needed
                        }
                        for i in first..<last {
                            for kh in 0..<3 { sourceRows[3 * (i - first) + kh] = row(i * stride - 1 + kh) }
                        }
                        Depthwise.windowRows(UnsafePointer(sourceRows.baseAddress!), count: last - first, sourceWidth: width, weight: depthwise.weight,
                                             channels: hidden, pixelStride: hidden, window: (stride, 1), target: filtered, targetWidth: outWidth, accumulate: false,
                                             epilogue: depthwise.epilogue, taps: (taps.baseAddress!, taps.baseAddress! + 9))
                        let pixels = (last - first) * outWidth
                        let target = output.value + ((n * outHeight + first) * outWidth) * outChannels
                        Gemm.serial(m: pixels, n: outChannels, k: hidden, a: MatrixView(filtered, rowStride: hidden),
                                    b: MatrixView(project.weight, rowStride: outChannels), c: target, ldc: outChannels, accumulate: false,
                                    epilogue: project.epilogue, packedB: weights.value.1)
                        if addsInput { Self.addInput(image + first * width * inChannels, to: target, count: pixels * outChannels) }
                    }
                }
            }
            }
            }
            }
        }
        }
    }

    /// y = x + y: the residual's sum, its operands in the order the separate add takes them.
    private static func addInput(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = x[i] + y[i] }
    }
}
