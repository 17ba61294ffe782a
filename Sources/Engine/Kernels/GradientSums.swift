/// A training batch norm's backward sums, Σ dy and Σ (x − center)·dy per channel, where dy is
/// the gradient of its output masked by its activation's (dy where 0 < y < bound, else 0; dy is
/// masked in place) and x its input. Kept per block of rows like `ChannelMoments`: the
/// convolution that writes dy adds each block while it is in cache (`add`, a `FinishedBlock`),
/// or the batch norm's backward makes one pass over memory (`addAll`); the totals are the same
/// bits either way.
final class GradientSums: ChannelBlockSums, @unchecked Sendable {
    /// The batch norm's output: its input x, center and mask.
    let normalized: NormalizedRows

    init(_ normalized: NormalizedRows) {
        self.normalized = normalized
        super.init(rows: normalized.rows, channels: normalized.channels)
    }

    /// The blocks of `rows` (from a block boundary, whole blocks but for the last of the data)
    /// for `channels` (from a multiple of 8); `values` is dy's row rows.lowerBound, channel
    /// channels.lowerBound, rows `rowStride` apart, written by the caller (masked in place).
    /// Threads may add disjoint blocks or channels at once.
    func add(rows: Range<Int>, channels range: Range<Int>, values: UnsafePointer<Float>, rowStride: Int) {
        forEachBlock(of: rows, channelStart: range.lowerBound, values: values, rowStride: rowStride) { block, offset, source in
            let (sums, products) = (first + offset, second + offset)
            sums.update(repeating: 0, count: range.count)
            products.update(repeating: 0, count: range.count)
            normalized.kernel.addGradientSums(rows: block, channels: range, dy: UnsafeMutablePointer(mutating: source),
                                       rowStride: rowStride, sums: sums, products: products)
        }
    }

    /// Every block of dy ([rows, channels]), rows split across threads.
    func addAll(_ dy: UnsafeMutablePointer<Float>) {
        addAll(dy) { self.add(rows: $0, channels: $1, values: $2, rowStride: $3) }
    }

    /// (Σ dy, Σ (x − center)·dy) per channel: the blocks' sums added up.
    var totals: ([Double], [Double]) {
        (blockTotals { total, sums, _, _ in for c in 0..<self.channels { total[c] += Double(sums[c]) } },
         blockTotals { total, _, products, _ in for c in 0..<self.channels { total[c] += Double(products[c]) } })
    }
}
