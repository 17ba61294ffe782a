import CPrefetch

/// Per-channel reductions and affine maps over [rows, channels] data, 8 channels per vector,
/// split by rows across threads.
enum BatchNormKernels {
    typealias V = SIMD8<Float>
    /// Rows summed in Float before the sums move into Double: a Float running total over
    /// thousands of rows loses digits that a batch norm's gradient needs.
    static let blockRows = 64

    /// The sums a training batch norm needs, from one pass over memory: per block of
    /// `blockRows` rows and channel, Σx and the sum of squared deviations from the block's own
    /// mean (the block is still in cache for that second look), from which `ChannelMoments`
    /// gives Σx and Σ(x − μ)² for any μ without reading x again. A convolution that writes x
    /// gathers the same blocks while they are in cache instead (`ChannelMoments.add`).
    static func moments(_ x: UnsafePointer<Float>, rows: Int, channels: Int) -> ChannelMoments {
        let moments = ChannelMoments(rows: rows, channels: channels)
        moments.addAll(x)
        return moments
    }

    /// out (+)= (x − center)·xScale + y·yScale + shift per channel (y optional), clamped to
    /// [0, clampAt] when given (not accumulating).
    static func affine(rows: Int, channels: Int, x: UnsafePointer<Float>, center: [Float], xScale: [Float], y: UnsafePointer<Float>?,
                       yScale: [Float]?, shift: [Float], into out: UnsafeMutablePointer<Float>, accumulate: Bool, clampAt upper: Float? = nil) {
        let coefficients = xScale + (yScale ?? [Float](repeating: 0, count: channels)) + shift + center
        coefficients.withUnsafeBufferPointer {
            affine(rows: rows, channels: channels, x: x, y: y, coefficients: $0.baseAddress!, into: out, accumulate: accumulate, clampAt: upper)
        }
    }

    /// `affine` with its coefficients laid out as `affineRows` reads them.
    static func affine(rows: Int, channels: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>?, coefficients: UnsafePointer<Float>,
                       into out: UnsafeMutablePointer<Float>, accumulate: Bool, clampAt upper: Float? = nil) {
        precondition(upper == nil || !accumulate, "a clamped affine map cannot accumulate")
        let clamp = upper.map { ClampKernel(upper: $0) }
        let shared = UncheckedSendable((x, y ?? x, coefficients, out))
        Parallel.forEach(rows, work: rows * channels, minimumWork: Elementwise.minimumParallelCount) { range in
            let (source, second, scales, target) = shared.value
            affineRows(range, channels: channels, x: source, y: second, coefficients: scales, into: target + range.lowerBound * channels,
                       accumulate: accumulate, clamp: clamp)
        }
    }

    /// Rows ahead of the one in use whose x and y `affineRows` fetches into the second-level
    /// cache (V2 training 176.1 → 170.7 ms in 6 rounds, 178.0 → 176.0 in 10; 32 rows ahead or
    /// 16 KB did no better).
    static let fetchedRowsAhead = 8

    /// `affine` over `rows` on this thread into `target` (row rows.lowerBound); `coefficients`
    /// holds xScale, yScale, shift and center.
    @inline(__always)
    static func affineRows(_ rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>, coefficients: UnsafePointer<Float>,
                           into target: UnsafeMutablePointer<Float>, accumulate: Bool, clamp: ClampKernel?) {
        let (first, other, offset, mean) = (coefficients, coefficients + channels, coefficients + 2 * channels, coefficients + 3 * channels)
        let ahead = fetchedRowsAhead * channels
        // Without a y, `affine` passes x as y: fetched once.
        let fetchesY = y != x
        for row in rows {
            let (a, b, result) = (x + row * channels, y + row * channels, target + (row - rows.lowerBound) * channels)
            if row + fetchedRowsAhead < rows.upperBound {
                for c in stride(from: 0, to: channels, by: 16) {
                    genre_prefetch(a + ahead + c)
                    if fetchesY { genre_prefetch(b + ahead + c) }
                }
            }
            var c = 0
            while c + 8 <= channels {
                var value = (a.vector(c) - mean.vector(c)) * first.vector(c)
                value = value.addingProduct(b.vector(c), other.vector(c)) + offset.vector(c)
                if let clamp { value = clamp(value, value) }
                result.store(accumulate ? result.vector(c) + value : value, at: c)
                c += 8
            }
            while c < channels {
                var value = (a[c] - mean[c]) * first[c] + b[c] * other[c] + offset[c]
                if let clamp { value = clamp(V(repeating: value), V(repeating: value))[0] }
                result[c] = accumulate ? result[c] + value : value
                c += 1
            }
        }
    }

    static func add(_ values: [Float], to tensor: Tensor) {
        for (i, value) in values.enumerated() { tensor.data[i] += value }
    }
}

/// A training batch norm's output (→ ReLU/ReLU6), clamp((x − center)·scale + shift), computed
/// from its input `x` ([rows, channels]) a few rows at a time, the same bits wherever it is
/// computed. The output is never written as a whole unless something other than a convolution
/// reads it (`Tensor.unwrittenRows`): the convolutions that read it, forward and backward, compute
/// the rows they need into cache this way.
struct NormalizedRows {
    /// The batch norm's input, kept alive with this.
    let input: Tensor
    /// Scale, shift and center, `channels` each, kept alive with this.
    private let coefficients: PinnedFloats
    /// The arithmetic over plain pointers into the two above: what per-row work copies. A copy
    /// of `self` counts references to both, and two threads doing so for every image row wait
    /// on each other's counts.
    let kernel: Kernel

    init(input: Tensor, center: [Float], scale: [Float], shift: [Float], upper: Float?) {
        self.input = input
        coefficients = PinnedFloats(scale + shift + center)
        let channels = input.shape.last!
        kernel = Kernel(source: UnsafePointer(input.data), rows: input.count / channels, channels: channels, upper: upper,
                        scale: UnsafePointer(coefficients.values))
    }

    var channels: Int { kernel.channels }
    var rows: Int { kernel.rows }

    /// The whole output into `target`, rows split across threads.
    func write(into target: UnsafeMutablePointer<Float>) {
        let shared = UncheckedSendable((target, kernel))
        Parallel.forEach(rows, work: input.count, minimumWork: Elementwise.minimumParallelCount) { range in
            let (target, kernel) = shared.value
            kernel.write(rows: range, into: target + range.lowerBound * kernel.channels)
        }
    }

    struct Kernel {
        /// The batch norm's input, [rows, channels].
        let source: UnsafePointer<Float>
        let rows: Int
        let channels: Int
        let upper: Float?
        /// Scale, then shift and center, `channels` each.
        let scale: UnsafePointer<Float>

        /// Rows `rows` of the output into `target` (row-major, `channels` apart), on this thread.
        func write(rows: Range<Int>, into target: UnsafeMutablePointer<Float>) {
            write(rows: rows, channels: 0..<channels, into: target, rowStride: channels)
        }

        /// Rows `rows`, channels `channels` (from a multiple of 8) of the output into `target`,
        /// rows `rowStride` apart, on this thread: clamp((x − center)·scale + shift), the product
        /// and the sum rounded apart (the backward's mask recomputes them so).
        func write(rows: Range<Int>, channels block: Range<Int>, into target: UnsafeMutablePointer<Float>, rowStride: Int) {
            typealias V = SIMD8<Float>
            let source = source + block.lowerBound
            let scale = scale + block.lowerBound
            let (shift, mean) = (scale + channels, scale + 2 * channels)
            // Callers ask for consecutive pieces: the next piece's input is fetched while this
            // one is computed and used (a piece is too short for the hardware prefetchers), into
            // the second-level cache (fetched into the first, V2 training was 3 % slower).
            let ahead = rows.count * channels
            // Without a clamp the bounds are ±∞: one loop, no test in it.
            let (lower, upper): (Float, Float) = self.upper.map { (0, $0) } ?? (-.infinity, .infinity)
            for (index, row) in rows.enumerated() {
                let (x, result) = (source + row * channels, target + index * rowStride)
                if row + rows.count < self.rows { Self.fetch(x + ahead, count: block.count) }
                var c = 0
                while c + 8 <= block.count {
                    let value = (x.vector(c) - mean.vector(c)) * scale.vector(c) + shift.vector(c)
                    result.store(Engine.clamp(value, lower: lower, upper: upper), at: c)
                    c += 8
                }
                while c < block.count {
                    let value = (x[c] - mean[c]) * scale[c] + shift[c]
                    result[c] = Engine.clamp(V(repeating: value), lower: lower, upper: upper)[0]
                    c += 1
                }
            }
        }

        /// Adds the batch norm's backward sums over `rows`, `channels` (from a multiple of 8) to
        /// `sums` (Σ dy) and `products` (Σ (x − center)·dy), one per channel of the range: each
        /// channel's rows in order, in Float. `dy` (row rows.lowerBound, channel
        /// channels.lowerBound, rows `rowStride` apart) becomes the activation's gradient in place:
        /// dy where 0 < output < upper, the output recomputed with `write`'s operations. Rows are
        /// read whole in memory order (a block's channels walked down its rows, strided through
        /// memory, waited on every load: V2 training 181.9 → 176.6 ms).
        func addGradientSums(rows: Range<Int>, channels block: Range<Int>, dy: UnsafeMutablePointer<Float>, rowStride: Int,
                             sums: UnsafeMutablePointer<Float>, products: UnsafeMutablePointer<Float>) {
            let source = source + rows.lowerBound * channels + block.lowerBound
            // The kernels that call this hand on consecutive blocks: the next one's x is fetched
            // (into the second-level cache) while that block is computed.
            let fetched = (rows: max(0, min(rows.count, self.rows - rows.upperBound)), ahead: rows.count * channels)
            let scale = scale + block.lowerBound
            let (shift, mean) = (scale + channels, scale + 2 * channels)
            if let upper {
                gradientSumRows(rows.count, block.count, x: source, dy: dy, rowStride: rowStride, center: mean, sums: sums, products: products,
                                mask: (scale, shift, ClampGradientKernel(upper: upper)), fetched: fetched)
            } else {
                gradientSumRows(rows.count, block.count, x: source, dy: dy, rowStride: rowStride, center: mean, sums: sums, products: products,
                                mask: nil, fetched: fetched)
            }
        }

        @inline(__always)
        private func gradientSumRows(_ rows: Int, _ width: Int, x: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>, rowStride: Int,
                                     center: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>, products: UnsafeMutablePointer<Float>,
                                     mask: (scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, kernel: ClampGradientKernel)?,
                                     fetched: (rows: Int, ahead: Int)) {
            typealias V = SIMD8<Float>
            for row in 0..<rows {
                let (g, a) = (dy + row * rowStride, x + row * channels)
                if row < fetched.rows { Self.fetch(a + fetched.ahead, count: width) }
                var c = 0
                while c + 8 <= width {
                    var value = g.vector(c)
                    let centred = a.vector(c) - center.vector(c)
                    if let mask {
                        value = mask.kernel(value, centred * mask.scale.vector(c) + mask.shift.vector(c))
                        g.store(value, at: c)
                    }
                    sums.store(sums.vector(c) + value, at: c)
                    products.store(products.vector(c) + centred * value, at: c)
                    c += 8
                }
                while c < width {
                    var value = g[c]
                    let centred = a[c] - center[c]
                    if let mask {
                        value = mask.kernel(V(repeating: value), V(repeating: centred * mask.scale[c] + mask.shift[c]))[0]
                        g[c] = value
                    }
                    sums[c] += value
                    products[c] += centred * value
                    c += 1
                }
            }
        }

        /// Fetches `count` floats from `values` into the second-level cache (`genre_prefetch`).
        @inline(__always)
        private static func fetch(_ values: UnsafePointer<Float>, count: Int) {
            for c in stride(from: 0, to: count, by: 16) { genre_prefetch(values + c) }
        }
    }
}

/// Per-channel moments of [rows, channels] data in blocks of `BatchNormKernels.blockRows` rows:
/// each block's Σx, summed in Float, and Σ(x − block mean)², written by the pass or the kernel
/// that had the block in cache (`add`); the totals are summed over blocks in Double.
final class ChannelMoments: ChannelBlockSums, @unchecked Sendable {
    /// The blocks of `rows` (from a block boundary, whole blocks but for the last of the data)
    /// for `channels` (from a multiple of 8, so the same bits as a whole row's); `values` is
    /// row rows.lowerBound, channel channels.lowerBound, rows `rowStride` apart. Threads may add
    /// disjoint blocks or channels at once.
    func add(rows: Range<Int>, channels range: Range<Int>, values: UnsafePointer<Float>, rowStride: Int) {
        typealias V = SIMD8<Float>
        forEachBlock(of: rows, channelStart: range.lowerBound, values: values, rowStride: rowStride) { block, offset, source in
            let blockRange = 0..<block.count
            let (sum, squares) = (first + offset, second + offset)
            let count = Float(blockRange.count)
            let width = range.count
            var c = 0
            // Four vectors of channels a row: four independent sums in flight, each channel's
            // added in row order as in the eight-channel loop below (the same bits).
            while c + 32 <= width {
                var (s0, s1, s2, s3) = (V(), V(), V(), V())
                for row in blockRange {
                    let p = source + row * rowStride + c
                    (s0, s1, s2, s3) = (s0 + p.vector(0), s1 + p.vector(8), s2 + p.vector(16), s3 + p.vector(24))
                }
                let (m0, m1, m2, m3) = (s0 / count, s1 / count, s2 / count, s3 / count)
                var (q0, q1, q2, q3) = (V(), V(), V(), V())
                for row in blockRange {
                    let p = source + row * rowStride + c
                    let (d0, d1, d2, d3) = (p.vector(0) - m0, p.vector(8) - m1, p.vector(16) - m2, p.vector(24) - m3)
                    (q0, q1, q2, q3) = (q0.addingProduct(d0, d0), q1.addingProduct(d1, d1), q2.addingProduct(d2, d2), q3.addingProduct(d3, d3))
                }
                (sum + c).store(s0, at: 0); (sum + c).store(s1, at: 8); (sum + c).store(s2, at: 16); (sum + c).store(s3, at: 24)
                (squares + c).store(q0, at: 0); (squares + c).store(q1, at: 8); (squares + c).store(q2, at: 16); (squares + c).store(q3, at: 24)
                c += 32
            }
            while c + 8 <= width {
                var s = V()
                for row in blockRange { s += source.vector(row * rowStride + c) }
                let mean = s / count
                var q = V()
                for row in blockRange {
                    let d = source.vector(row * rowStride + c) - mean
                    q = q.addingProduct(d, d)
                }
                sum.store(s, at: c)
                squares.store(q, at: c)
                c += 8
            }
            while c < width {
                var s: Float = 0
                for row in blockRange { s += source[row * rowStride + c] }
                let mean = s / count
                var q: Float = 0
                for row in blockRange { q += (source[row * rowStride + c] - mean) * (source[row * rowStride + c] - mean) }
                (sum[c], squares[c]) = (s, q)
                c += 1
            }
        }
    }

    /// Every block of `values` ([rows, channels]), rows split across threads.
    func addAll(_ values: UnsafePointer<Float>) {
        addAll(values) { self.add(rows: $0, channels: $1, values: $2, rowStride: $3) }
    }

    /// Image rows of `width` pixels that make whole blocks: a kernel writing an image row by
    /// row adds that many rows at a time.
    static func imageRowsPerBlock(width: Int) -> Int {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        return BatchNormKernels.blockRows / gcd(BatchNormKernels.blockRows, max(1, width))
    }

    /// Σx per channel.
    var sums: [Double] {
        blockTotals { total, sums, _, _ in
            for c in 0..<self.channels { total[c] += Double(sums[c]) }
        }
    }

    /// Σ(x − center)² per channel: Σ over blocks of the block's own squared deviations plus
    /// n·(block mean − center)², in Double.
    func squaredDeviations(about center: [Float]) -> [Double] {
        center.withUnsafeBufferPointer { mean in
            let mean = UncheckedSendable(mean.baseAddress!)
            return blockTotals { total, sums, squares, count in
                for c in 0..<self.channels {
                    let deviation = Double(sums[c]) / count - Double(mean.value[c])
                    total[c] += Double(squares[c]) + count * deviation * deviation
                }
            }
        }
    }
}
