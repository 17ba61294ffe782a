/// Two per-channel sums of [rows, channels] data kept per block of `BatchNormKernels.blockRows`
/// rows, in Float, written by whichever pass or kernel had the block in cache; the totals are
/// summed over blocks in Double, in an order set by the shape and the thread count (the same bits
/// whichever kernel wrote the blocks, and however its threads split them).
class ChannelBlockSums: @unchecked Sendable {
    let rows: Int
    let channels: Int
    /// [blocks, channels] each.
    let first: UnsafeMutablePointer<Float>
    let second: UnsafeMutablePointer<Float>
    /// Row ranges, multiples of `blockRows` apart, that the totals are summed over in parallel.
    let chunks: [Range<Int>]

    init(rows: Int, channels: Int) {
        (self.rows, self.channels) = (rows, channels)
        // From the pool: a fresh allocation this size is pages the kernel zeroes every step.
        let capacity = Self.capacity(rows: rows, channels: channels)
        first = BufferPool.shared.take(2 * capacity)
        second = first + capacity
        chunks = Parallel.ranges(rows, granularity: BatchNormKernels.blockRows, work: rows * channels,
                                 minimumWork: Elementwise.minimumParallelCount)
    }

    deinit { BufferPool.shared.give(first, count: 2 * Self.capacity(rows: rows, channels: channels)) }

    /// Floats per sum: one per block and channel.
    private static func capacity(rows: Int, channels: Int) -> Int {
        max(1, (rows + BatchNormKernels.blockRows - 1) / BatchNormKernels.blockRows * channels)
    }

    /// Checks that `rows` start at a block boundary and end at one or at the data's end, and
    /// calls `body` per block with its rows, its offset into `first` and `second` (for channel
    /// `channelStart`) and where its first row lies in `values` (row rows.lowerBound).
    @inline(__always)
    func forEachBlock(of rows: Range<Int>, channelStart: Int, values: UnsafePointer<Float>, rowStride: Int,
                      _ body: (_ blockRows: Range<Int>, _ offset: Int, _ source: UnsafePointer<Float>) -> Void) {
        let blockRows = BatchNormKernels.blockRows
        precondition(rows.lowerBound % blockRows == 0 && (rows.upperBound % blockRows == 0 || rows.upperBound == self.rows),
                     "sums of whole blocks")
        for block in stride(from: rows.lowerBound, to: rows.upperBound, by: blockRows) {
            body(block..<min(block + blockRows, rows.upperBound), block / blockRows * channels + channelStart,
                 values + (block - rows.lowerBound) * rowStride)
        }
    }

    /// Per channel, Σ over blocks of what `accumulate(total, block's first, block's second, rows)`
    /// adds: in Double, blocks in order within each chunk, the chunks' totals in order.
    func blockTotals(_ accumulate: @escaping (UnsafeMutablePointer<Double>, UnsafePointer<Float>, UnsafePointer<Float>, Double) -> Void)
        -> [Double] {
        let blockRows = BatchNormKernels.blockRows
        var wide = [Double](repeating: 0, count: chunks.count * channels)
        wide.withUnsafeMutableBufferPointer { wideBuffer in
            let shared = UncheckedSendable(wideBuffer.baseAddress!)
            Parallel.forEach(chunks) { chunk, range in
                for block in stride(from: range.lowerBound, to: range.upperBound, by: blockRows) {
                    let offset = block / blockRows * self.channels
                    accumulate(shared.value + chunk * self.channels, self.first + offset, self.second + offset,
                               Double(min(block + blockRows, range.upperBound) - block))
                }
            }
        }
        var totals = [Double](repeating: 0, count: channels)
        for chunk in 0..<chunks.count {
            for c in 0..<channels { totals[c] += wide[chunk * channels + c] }
        }
        return totals
    }

    /// Every block of `values` ([rows, channels]) through `add`, rows split across threads.
    func addAll(_ values: UnsafePointer<Float>,
                _ add: @escaping (_ rows: Range<Int>, _ channels: Range<Int>, _ values: UnsafePointer<Float>, _ rowStride: Int) -> Void) {
        let source = UncheckedSendable(values)
        Parallel.forEach(chunks) { _, range in
            add(range, 0..<self.channels, source.value + range.lowerBound * self.channels, self.channels)
        }
    }
}
