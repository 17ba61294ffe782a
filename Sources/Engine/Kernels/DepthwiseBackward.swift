import Synchronization

/// Both gradients of a depthwise 3×3 convolution in one pass over dy's rows, the same bits as
/// `Depthwise.weightGradient` then `Depthwise.inputGradient`. Each thread takes its chunk of dy's
/// rows a group at a time: the weight gradient's products (finishing dy's rows on the way, when a
/// batch norm left its input gradient unwritten over dy), then the rows of dx those rows
/// complete. The input gradient reads dy's rows, and the backward sums of the norm whose output x
/// is (`finished`) read x's, while the products have just brought them into cache; as two passes,
/// both came from memory again (MobileNetV2's largest activations, six times a block's channels).
public enum DepthwiseBackward {
    private static let enabled = Atomic<Bool>(true)
    private static let passes = Atomic<Int>(0)

    /// Whether a depthwise convolution's backward takes both gradients in one pass (on; off runs
    /// the two passes, for comparisons).
    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// Backward passes that took both gradients in one pass since the process started (for
    /// tests: the comparison above proves nothing if the pass fell back to two).
    public static var onePassCount: Int { passes.load(ordering: .relaxed) }

    /// dw (written when `overwrite`, else added to) and dx (added to when `accumulate`). dy's
    /// rows on either side of a cut between chunks are finished first, so no thread reads a row
    /// another is finishing. False, and nothing done, for other strides or paddings, or where the
    /// cuts between threads would split `finished`'s blocks of dx (the two passes then). With
    /// `expansion` (and `finished`, the norm's sums, which mask dx's rows), dx is not written:
    /// each run of its rows goes to the expansion's gradients from cache (`ExpansionGradients`).
    static func run(_ g: ConvolutionGeometry, x: InputRows, dy: UnsafeMutablePointer<Float>, finishing: BatchNormGradientRows?,
                    weight: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, overwrite: Bool, dx: UnsafeMutablePointer<Float>,
                    accumulate: Bool, finished: FinishedBlock?, expansion: (gradients: ExpansionGradients, x: InputRows)? = nil) -> Bool {
        // Padding 1 (every network's): a row of dx reads dy's rows up to one past its own.
        guard isEnabled, g.isDepthwise3x3, g.stride <= 2, g.padding == 1 else { return false }
        // An expansion's gradients take dx's runs once the norm's sums have masked them.
        guard expansion == nil || (finished != nil && !accumulate) else { return false }
        let channels = g.inChannels
        let blockRows = finished == nil ? 1 : ChannelMoments.imageRowsPerBlock(width: g.width)
        // The weight gradient's chunks: its partial sums, added in chunk order, are the same bits.
        let chunks = Parallel.ranges(g.batch * g.outHeight, work: g.macs, minimumWork: 1 << 16)
        // dx's first row for dy's row `row`: an image's dy rows cover its dx rows from row·stride.
        func inputRow(_ row: Int) -> Int {
            let (n, oh) = row.quotientAndRemainder(dividingBy: g.outHeight)
            return n * g.height + min(g.height, oh * g.stride)
        }
        guard chunks.allSatisfy({ inputRow($0.lowerBound) % blockRows == 0 }) else { return false }
        passes.add(1, ordering: .relaxed)
        if overwrite { dw.update(repeating: 0, count: 9 * channels) }
        // dy's rows next to each cut, finished here; each chunk finishes the rest of its own.
        let cuts = Set(chunks.dropFirst().flatMap { [$0.lowerBound - 1, $0.lowerBound] })
        let finishingRows = finishing?.kernel
        if let finishingRows {
            for row in cuts.sorted() { finishingRows.writeInPlace(rows: row * g.outWidth..<(row + 1) * g.outWidth, over: dy) }
        }
        let columnTaps = g.stride == 1 ? ([], [0]) : Depthwise.transposedColumnTaps(g, sourceWidth: g.outWidth, targetWidth: g.width)
        let blocks = finished.map { (rows: blockRows, block: $0) }
        // dy's rows per group: their input rows about 128 KB, in cache when the sums read them.
        let groupRows = Depthwise.weightGradientGroupRows(g)
        let slotCount = x.slotsPerReader(targetRows: groupRows, stride: g.stride)
        let rowLength = g.width * channels
        let (upstream, target) = (UncheckedSendable(dy), UncheckedSendable(dx))
        // With an expansion, each chunk's rows of dx go to a few rows of scratch instead of dx:
        // as many as one call of `gatherRows` completes (a group's reach, and a block held back).
        expansion?.gradients.begin(chunks: chunks.count)
        let runRows = expansion == nil ? 0 : groupRows * g.stride + 2 * blockRows + 2 * g.stride + 2
        let runScratch = expansion.map { runRows * rowLength + $0.gradients.scratchCount(pixels: runRows * g.width) } ?? 1
        Depthwise.withInputGradientTaps(g, weight) { window, inputGradientTaps in
            let taps = UncheckedSendable(inputGradientTaps)
            Depthwise.withPartialSums(g, dw: dw, chunks: chunks.count, slotsPerChunk: slotCount * rowLength) { partials, slots in
                Parallel.forEach(chunks) { chunk, range in
                    withScratch(runScratch) { run in
                        var input = x.reader(rowLength: rowLength, slots: slots.value + chunk * slotCount * rowLength, slotCount: slotCount)
                        // dy's rows in place (a reader in place has no slots).
                        var gradient = InputRows.inPlace(UnsafePointer(upstream.value)).reader(rowLength: g.outWidth * channels, slots: upstream.value)
                        let first = range.lowerBound + (chunk > 0 ? 1 : 0)
                        let own = first..<max(first, range.upperBound - (chunk < chunks.count - 1 ? 1 : 0))
                        var done = inputRow(range.lowerBound)
                        for start in stride(from: range.lowerBound, to: range.upperBound, by: groupRows) {
                            let end = min(range.upperBound, start + groupRows)
                            Depthwise.weightGradientRows(start..<end, g, x: &input, dy: upstream.value, into: partials.value + chunk * 9 * channels,
                                                         finishing: finishingRows.map { ($0, own) })
                            // dx's rows whose dy rows are all finished: to the chunk's end (the next
                            // chunk's first row was finished first), else those below the last dy
                            // row's reach, down to a whole block.
                            let limit = end == range.upperBound ? inputRow(end) : (inputRow(end) - 1) / blockRows * blockRows
                            guard limit > done else { continue }
                            precondition(expansion == nil || limit - done <= runRows, "more rows of dx than the scratch holds")
                            Depthwise.gatherRows(done..<limit, g, source: &gradient, sourceSize: (g.outHeight, g.outWidth), weight: taps.value,
                                                 target: expansion == nil ? target.value : run - done * rowLength, targetSize: (g.height, g.width),
                                                 accumulate: accumulate, window: window, epilogue: nil, finished: blocks, columnTaps: columnTaps)
                            if let expansion {
                                expansion.gradients.add(chunk: chunk, pixels: done * g.width..<limit * g.width, masked: run, x: expansion.x,
                                                        scratch: run + runRows * rowLength)
                            }
                            done = limit
                        }
                    }
                }
            }
        }
        return true
    }
}
