import EngineAVX512

/// Direct depthwise 3×3 kernels over NHWC data, vectorised across channels (8 per ymm
/// register, scalar tail; the sliding kernel runs 16 per zmm register on AVX-512, in
/// EngineAVX512). Work is split across threads by rows of the tensor each kernel writes.
enum Depthwise {
    typealias V = SIMD8<Float>

    /// y[n, oh, ow, c] = Σ x[n, oh·s − p + kh, ow·s − p + kw, c] · w[kh, kw, c]
    /// A batch norm's output that is not in memory is recomputed row by row into cache.
    /// `finished` gets the output `finished.rows` image rows at a time (from multiples of
    /// that, the last group possibly shorter) as soon as they are written.
    static func forward(_ g: ConvolutionGeometry, x: InputRows, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        epilogue: ChannelEpilogue? = nil, finished: (rows: Int, block: FinishedBlock)? = nil) {
        gather(g, source: x, sourceSize: (g.height, g.width), weight: weight, target: y, targetSize: (g.outHeight, g.outWidth),
               accumulate: false, window: (g.stride, g.padding), epilogue: epilogue, finished: finished)
    }

    /// dx[n, ih, iw, c] += Σ dy[n, oh, ow, c] · w[kh, kw, c] over the (oh, ow, kh, kw) that read
    /// (ih, iw): a gather, so each thread owns whole rows of dx and nothing races. At stride 1 it
    /// is the forward correlation of dy with the flipped kernel and padding 2 − p.
    /// `finished` gets dx's rows as `forward` hands on y's.
    static func inputGradient(_ g: ConvolutionGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                              accumulate: Bool = true, finished: FinishedBlock? = nil) {
        let finished = finished.map { (rows: ChannelMoments.imageRowsPerBlock(width: g.width), block: $0) }
        withInputGradientTaps(g, weight) { window, taps in
            gather(g, source: .inPlace(dy), sourceSize: (g.outHeight, g.outWidth), weight: taps, target: dx, targetSize: (g.height, g.width),
                   accumulate: accumulate, window: window, finished: finished)
        }
    }

    /// How the input gradient reads dy, for `body`: at stride 1 as a window (stride 1, padding
    /// 2 − p) with the flipped kernel, which the sliding kernels run; otherwise through the
    /// transposed window (nil) with the kernel as it is.
    static func withInputGradientTaps<R>(_ g: ConvolutionGeometry, _ weight: UnsafePointer<Float>,
                                         _ body: (_ window: (stride: Int, padding: Int)?, _ taps: UnsafePointer<Float>) -> R) -> R {
        guard g.stride == 1 else { return body(nil, weight) }
        let channels = g.inChannels
        return withScratch(9 * channels) { flipped in
            for tap in 0..<9 { (flipped + tap * channels).update(from: weight + (8 - tap) * channels, count: channels) }
            return body((1, 2 - g.padding), flipped)
        }
    }

    /// target[n, i, j, c] (+)= Σ source[n, map(i, kh), map(j, kw), c] · w[kh, kw, c] over the taps
    /// whose mapped coordinate exists and lies inside the source. Threads split the target rows.
    /// Without a window, map is the transposed window's: map(i, k) = (i + p − k) / s where that
    /// divides exactly (an input gradient at stride s, padding p), taps added in (kh, kw) order.
    /// With a `window` (stride s, padding p), map(i, k) = i·s − p + k and rows run through
    /// `windowRows` (sliding kernels with the nine weights in registers); a source recomputed row
    /// by row needs a window.
    private static func gather(_ g: ConvolutionGeometry, source: InputRows, sourceSize: (height: Int, width: Int),
                               weight: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>, targetSize: (height: Int, width: Int),
                               accumulate: Bool, window: (stride: Int, padding: Int)?, epilogue: ChannelEpilogue? = nil,
                               finished: (rows: Int, block: FinishedBlock)? = nil) {
        precondition(window != nil || source.slotsPerReader == 0, "recomputed source rows need a window")
        let to = UncheckedSendable(target)
        let rowLength = sourceSize.width * g.inChannels
        let chunks = Parallel.ranges(g.batch * targetSize.height, granularity: finished?.rows ?? 1, work: g.macs, minimumWork: 1 << 16)
        let columnTaps = window == nil ? transposedColumnTaps(g, sourceWidth: sourceSize.width, targetWidth: targetSize.width) : ([], [0])
        // Recomputed source rows: slots for a group's rows at once, so the sliding kernel runs
        // each block of channels through the whole group as it does for rows in place.
        let slotCount = source.slotsPerReader(targetRows: rowsPerGroup(targetWidth: targetSize.width, channels: g.inChannels), stride: window?.stride ?? 1)
        withScratch(max(1, chunks.count * slotCount * rowLength)) { slots in
        let shared = UncheckedSendable(slots)
        Parallel.forEach(chunks) { chunk, range in
            var rows = source.reader(rowLength: rowLength, slots: shared.value + chunk * slotCount * rowLength, slotCount: slotCount)
            gatherRows(range, g, source: &rows, sourceSize: sourceSize, weight: weight, target: to.value, targetSize: targetSize,
                       accumulate: accumulate, window: window, epilogue: epilogue, finished: finished, columnTaps: columnTaps)
        }
        }
    }

    /// For the transposed window: each target column's (kw, source column) taps, in kw order,
    /// and where each column's taps start (one more entry than columns).
    static func transposedColumnTaps(_ g: ConvolutionGeometry, sourceWidth: Int, targetWidth: Int) -> ([(kw: Int, column: Int)], [Int]) {
        var (taps, starts): ([(kw: Int, column: Int)], [Int]) = ([], [0])
        for j in 0..<targetWidth {
            for kw in 0..<3 {
                if let sj = transposedTap(j, kw, g, size: sourceWidth) { taps.append((kw, sj)) }
            }
            starts.append(taps.count)
        }
        return (taps, starts)
    }

    /// `gather`'s target rows `range` on this thread, source rows read through `rows`.
    static func gatherRows(_ range: Range<Int>, _ g: ConvolutionGeometry, source rows: inout InputRows.Reader,
                           sourceSize: (height: Int, width: Int), weight: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>,
                           targetSize: (height: Int, width: Int), accumulate: Bool, window: (stride: Int, padding: Int)?,
                           epilogue: ChannelEpilogue?, finished: (rows: Int, block: FinishedBlock)?,
                           columnTaps: (taps: [(kw: Int, column: Int)], starts: [Int])) {
        let channels = g.inChannels
        let pixelsPerRow = targetSize.width
        // Rows run several at a time (each block of channels through them all, see
        // `windowRows`), up to the end of the group `finished` takes: rows in place about
        // `rowGroupValues` of output at once, rows recomputed as many as the reader's slots hold.
        let rowsAtOnce = window.map { window in
            rows.readsInPlace ? rowsPerGroup(targetWidth: targetSize.width, channels: channels) : rows.targetRows(stride: window.stride)
        } ?? 1
        let groupRows = finished?.rows ?? 1
        // The transposed window at stride 2, padding 1 on AVX-512: its blocks of 16 channels in
        // EngineAVX512 (`DepthwiseRows.transposedRow2`), the rest pixel by pixel.
        let transposedWide = window == nil && g.stride == 2 && g.padding == 1 && InstructionSet.active == .avx512 ? channels / 16 * 16 : 0
        withFinishedBlock(finished?.block) { finishedGroup in
        withTaps { sources, weights in
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 3 * rowsAtOnce) { table in
            var (row, unfinished) = (range.lowerBound, range.lowerBound)
            while row < range.upperBound {
                var end = min(range.upperBound, row + rowsAtOnce)
                if finished != nil { end = min(end, (row / groupRows + 1) * groupRows) }
                if let window {
                    for r in row..<end {
                        let (n, i) = r.quotientAndRemainder(dividingBy: targetSize.height)
                        for kh in 0..<3 {
                            let si = i * window.stride - window.padding + kh
                            table[3 * (r - row) + kh] = si >= 0 && si < sourceSize.height ? rows.row(n * sourceSize.height + si) : nil
                        }
                    }
                    windowRows(UnsafePointer(table.baseAddress!), count: end - row, sourceWidth: sourceSize.width, weight: weight,
                               channels: channels, pixelStride: channels, window: window, target: target + row * targetSize.width * channels,
                               targetWidth: targetSize.width, accumulate: accumulate, epilogue: epilogue, taps: (sources, weights))
                } else {
                    // The transposed window, pixel by pixel, its column taps worked out once.
                    let (n, i) = row.quotientAndRemainder(dividingBy: targetSize.height)
                    let targetRow = target + row * targetSize.width * channels
                    func sourceRow(_ kh: Int) -> UnsafePointer<Float>? {
                        transposedTap(i, kh, g, size: sourceSize.height).map { rows.row(n * sourceSize.height + $0) }
                    }
                    let rowTaps = (sourceRow(0), sourceRow(1), sourceRow(2))
                    // Blocks of 16 channels a row at a time where the kernel takes them (the same bits).
                    if transposedWide > 0, let second = rowTaps.1 ?? rowTaps.2 {
                        let middle = rowTaps.1 != nil
                        DepthwiseRows.transposedRow2(first: middle ? nil : rowTaps.0, second: second,
                                                     weights: (weight, weight + (middle ? 3 : 6) * channels), channels: transposedWide,
                                                     pixelStride: channels, sourceWidth: sourceSize.width, targetWidth: targetSize.width,
                                                     target: targetRow, accumulate: accumulate)
                    }
                    for j in 0..<targetSize.width where transposedWide < channels {
                        var taps = 0
                        for kh in 0..<3 {
                            guard let sourceRow = kh == 0 ? rowTaps.0 : kh == 1 ? rowTaps.1 : rowTaps.2 else { continue }
                            for tap in columnTaps.starts[j]..<columnTaps.starts[j + 1] {
                                let (kw, sj) = columnTaps.taps[tap]
                                sources[taps] = sourceRow + sj * channels
                                weights[taps] = weight + (kh * 3 + kw) * channels
                                taps += 1
                            }
                        }
                        sumOfProducts(taps, sources, weights, channels: transposedWide..<channels, into: targetRow + j * channels,
                                      accumulate: accumulate)
                    }
                }
                if finished != nil, end % groupRows == 0 || end == range.upperBound {
                    finishedGroup(unfinished * pixelsPerRow..<end * pixelsPerRow, 0..<channels,
                                  target + unfinished * pixelsPerRow * channels, channels)
                    unfinished = end
                }
                row = end
            }
        }
        }
        }
    }

    /// Target values a group of rows spans at most (128 KB: its source rows and the next
    /// group's stay in the second-level cache).
    static let rowGroupValues = 32 * 1024

    /// Target rows `windowRows` takes at once: about `rowGroupValues` values of output.
    static func rowsPerGroup(targetWidth: Int, channels: Int) -> Int { max(1, rowGroupValues / (targetWidth * channels)) }

    /// The source coordinate that tap `tap` of the transposed window reads for target
    /// coordinate `coordinate`: (coordinate + p − tap) / s where that divides exactly and lies
    /// inside a source of `size`, else nil.
    @inline(__always)
    private static func transposedTap(_ coordinate: Int, _ tap: Int, _ g: ConvolutionGeometry, size: Int) -> Int? {
        let shifted = coordinate + g.padding - tap
        guard shifted >= 0, shifted % g.stride == 0, shifted / g.stride < size else { return nil }
        return shifted / g.stride
    }

    /// `count` consecutive target rows of a windowed correlation: `sources` holds each one's three
    /// source rows (nil in the padding), `sourceWidth` pixels `pixelStride` floats apart (as are
    /// the weight's taps and the target's pixels), of which the first `channels` are read.
    /// Serial; the fused inverted residual calls it on rows it keeps in cache. At stride 1 or 2
    /// the blocks of 16 channels (AVX-512, `DepthwiseRows.slidingRows`) and then of 8 run through
    /// all the rows one block at a time, the window sliding in registers along whole rows; the
    /// last channels past the blocks of 8, pixel by pixel.
    static func windowRows(_ sources: UnsafePointer<UnsafePointer<Float>?>, count: Int, sourceWidth: Int,
                           weight: UnsafePointer<Float>, channels: Int, pixelStride: Int, window: (stride: Int, padding: Int),
                           target: UnsafeMutablePointer<Float>, targetWidth: Int, accumulate: Bool, epilogue: ChannelEpilogue?,
                           taps: (sources: UnsafeMutablePointer<UnsafePointer<Float>>, weights: UnsafeMutablePointer<UnsafePointer<Float>>)) {
        let slides = window.stride <= 2
        let wideChannels = InstructionSet.active == .avx512 && slides ? channels / 16 * 16 : 0
        let vectorChannels = slides ? channels / 8 * 8 : 0
        if wideChannels > 0 {
            DepthwiseRows.slidingRows(sources, count: count, weight: weight, channels: wideChannels, pixelStride: pixelStride, stride: window.stride,
                                      padding: window.padding, sourceWidth: sourceWidth, targetWidth: targetWidth, target: target,
                                      targetRowStride: targetWidth * pixelStride, accumulate: accumulate, scale: epilogue?.scale,
                                      bias: epilogue?.bias, lower: epilogue?.lower ?? 0, upper: epilogue?.upper ?? 0)
        }
        if vectorChannels > wideChannels {
            let blocks = wideChannels..<vectorChannels
            if let epilogue {
                slidingRows(sources, count: count, weight: weight, channels: blocks, pixelStride: pixelStride, window: window, sourceWidth: sourceWidth,
                            targetWidth: targetWidth, target: target, accumulate: accumulate) { sum, c in epilogue(sum, c) }
            } else {
                slidingRows(sources, count: count, weight: weight, channels: blocks, pixelStride: pixelStride, window: window, sourceWidth: sourceWidth,
                            targetWidth: targetWidth, target: target, accumulate: accumulate) { sum, _ in sum }
            }
        }
        guard vectorChannels < channels else { return }
        for i in 0..<count {
            pixelRow((sources[3 * i], sources[3 * i + 1], sources[3 * i + 2]), sourceWidth: sourceWidth, weight: weight,
                     channels: vectorChannels..<channels, pixelStride: pixelStride, window: window, target: target + i * targetWidth * pixelStride,
                     targetWidth: targetWidth, accumulate: accumulate, epilogue: epilogue, taps: taps)
        }
    }

    /// `DepthwiseRows.slidingRows` 8 channels at a time (AVX2, or the 8 past AVX-512's blocks of
    /// 16): each block of `channels` (bounds multiples of 8) through all the rows, whole rows
    /// with the window sliding in registers, source columns outside the row read as zero.
    @inline(__always)
    private static func slidingRows(_ sources: UnsafePointer<UnsafePointer<Float>?>, count: Int, weight: UnsafePointer<Float>,
                                    channels: Range<Int>, pixelStride ps: Int, window: (stride: Int, padding: Int), sourceWidth: Int,
                                    targetWidth: Int, target: UnsafeMutablePointer<Float>, accumulate: Bool, finish: (V, Int) -> V) {
        for c in stride(from: channels.lowerBound, to: channels.upperBound, by: 8) {
            for i in 0..<count {
                let rows = (sources[3 * i], sources[3 * i + 1], sources[3 * i + 2])
                let (top, middle, bottom) = presentRows(rows)
                @inline(__always) func w(_ rowInside: Bool, _ tap: Int) -> V { rowInside ? weight.vector(tap * ps + c) : V() }
                let (w00, w01, w02) = (w(rows.0 != nil, 0), w(rows.0 != nil, 1), w(rows.0 != nil, 2))
                let (w10, w11, w12) = (w(rows.1 != nil, 3), w(rows.1 != nil, 4), w(rows.1 != nil, 5))
                let (w20, w21, w22) = (w(rows.2 != nil, 6), w(rows.2 != nil, 7), w(rows.2 != nil, 8))
                @inline(__always) func column(_ j: Int) -> (V, V, V) {
                    guard j >= 0 && j < sourceWidth else { return (V(), V(), V()) }
                    return (top.vector(j * ps + c), middle.vector(j * ps + c), bottom.vector(j * ps + c))
                }
                let row = target + i * targetWidth * ps
                @inline(__always) func emit(_ j: Int, _ a: (V, V, V), _ b: (V, V, V), _ d: (V, V, V)) {
                    var sum = V()
                    sum = sum.addingProduct(a.0, w00)
                    sum = sum.addingProduct(b.0, w01)
                    sum = sum.addingProduct(d.0, w02)
                    sum = sum.addingProduct(a.1, w10)
                    sum = sum.addingProduct(b.1, w11)
                    sum = sum.addingProduct(d.1, w12)
                    sum = sum.addingProduct(a.2, w20)
                    sum = sum.addingProduct(b.2, w21)
                    sum = sum.addingProduct(d.2, w22)
                    let output = j * ps + c
                    row.store(finish(accumulate ? sum + row.vector(output) : sum, c), at: output)
                }
                let p = window.padding
                if window.stride == 1 {
                    var (a, b) = (column(-p), column(1 - p))
                    for j in 0..<targetWidth {
                        let d = column(j - p + 2)
                        emit(j, a, b, d)
                        (a, b) = (b, d)
                    }
                } else {
                    var a = column(-p)
                    for j in 0..<targetWidth {
                        let (b, d) = (column(2 * j - p + 1), column(2 * j - p + 2))
                        emit(j, a, b, d)
                        a = d
                    }
                }
            }
        }
    }

    /// `channels` of one target row pixel by pixel: the last channels past the blocks of 8, and
    /// every channel at strides above 2 (which no network here has).
    private static func pixelRow(_ rows: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?), sourceWidth: Int,
                                 weight: UnsafePointer<Float>, channels: Range<Int>, pixelStride: Int, window: (stride: Int, padding: Int),
                                 target: UnsafeMutablePointer<Float>, targetWidth: Int, accumulate: Bool, epilogue: ChannelEpilogue?,
                                 taps: (sources: UnsafeMutablePointer<UnsafePointer<Float>>, weights: UnsafeMutablePointer<UnsafePointer<Float>>)) {
        for j in 0..<targetWidth {
            var count = 0
            for kh in 0..<3 {
                guard let row = kh == 0 ? rows.0 : (kh == 1 ? rows.1 : rows.2) else { continue }
                for kw in 0..<3 {
                    let sj = j * window.stride - window.padding + kw
                    guard sj >= 0 && sj < sourceWidth else { continue }
                    taps.sources[count] = row + sj * pixelStride
                    taps.weights[count] = weight + (kh * 3 + kw) * pixelStride
                    count += 1
                }
            }
            sumOfProducts(count, taps.sources, taps.weights, channels: channels, into: target + j * pixelStride, accumulate: accumulate,
                          epilogue: epilogue)
        }
    }

    /// dw[kh, kw, c] += Σ dy[n, oh, ow, c] · x[n, oh·s − p + kh, ow·s − p + kw, c], with one
    /// partial sum per thread, added up at the end. Each thread takes its rows of dy a group at a
    /// time (`weightGradientGroupRows`), the nine sums of a channel block in registers.
    ///
    /// With `finishing`, dy holds a training batch norm's output gradient and the norm's input
    /// gradient (this convolution's dy) is left unwritten over it: each row of dy is written in
    /// place right before it is read (each row is one thread's), so no pass over memory writes
    /// it first. dy then holds the finished gradient.
    static func weightGradient(_ g: ConvolutionGeometry, x: InputRows, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                               finishing: BatchNormGradientRows? = nil) {
        let upstream = UncheckedSendable(dy)
        let chunks = Parallel.ranges(g.batch * g.outHeight, work: g.macs, minimumWork: 1 << 16)
        let (groupRows, rowLength) = (weightGradientGroupRows(g), g.width * g.inChannels)
        let slotCount = x.slotsPerReader(targetRows: groupRows, stride: g.stride)
        withPartialSums(g, dw: dw, chunks: chunks.count, slotsPerChunk: slotCount * rowLength) { partials, slots in
            Parallel.forEach(chunks) { chunk, range in
                var input = x.reader(rowLength: rowLength, slots: slots.value + chunk * slotCount * rowLength, slotCount: slotCount)
                for start in stride(from: range.lowerBound, to: range.upperBound, by: groupRows) {
                    weightGradientRows(start..<min(range.upperBound, start + groupRows), g, x: &input, dy: upstream.value,
                                       into: partials.value + chunk * 9 * g.inChannels, finishing: finishing.map { ($0.kernel, range) })
                }
            }
        }
    }

    /// Rows of dy the weight gradient takes at once (`weightGradientRows`' calls): their input
    /// rows about 128 KB, in cache while the group's products read them. The one-pass backward
    /// calls it on the same groups, so both add the same partial sums in the same order.
    static func weightGradientGroupRows(_ g: ConvolutionGeometry) -> Int {
        max(1, rowGroupValues / (g.stride * g.width * g.inChannels))
    }

    /// Zeroed partial sums of dw for `chunks` chunks and row slots for their readers, for
    /// `body`; then the partials added to dw in chunk order.
    static func withPartialSums(_ g: ConvolutionGeometry, dw: UnsafeMutablePointer<Float>, chunks: Int, slotsPerChunk: Int,
                                _ body: (UncheckedSendable<UnsafeMutablePointer<Float>>, UncheckedSendable<UnsafeMutablePointer<Float>>) -> Void) {
        let channels = g.inChannels
        withScratch(chunks * (9 * channels + slotsPerChunk)) { scratch in
            scratch.update(repeating: 0, count: chunks * 9 * channels)
            body(UncheckedSendable(scratch), UncheckedSendable(scratch + chunks * 9 * channels))
            for chunk in 0..<chunks {
                multiplyAdd(nil, scratch + chunk * 9 * channels, into: dw, channels: 9 * channels)
            }
        }
    }

    /// `weightGradient`'s output rows `range` (at most a group, `weightGradientGroupRows`) into
    /// `partial` on this thread, one image's rows at a time. `finishing`: dy's rows in its range
    /// are finished in place first. The reader holds a group's source rows at once.
    static func weightGradientRows(_ range: Range<Int>, _ g: ConvolutionGeometry, x input: inout InputRows.Reader,
                                   dy: UnsafePointer<Float>, into partial: UnsafeMutablePointer<Float>,
                                   finishing: (rows: BatchNormGradientRows.Kernel, range: Range<Int>)?) {
        let channels = g.inChannels
        let vectorChannels = channels / 8 * 8
        // On AVX-512 blocks of 16 channels take the rows together (EngineAVX512), edges and all,
        // at stride 1 or 2.
        let wideChannels = InstructionSet.active == .avx512 && g.stride <= 2 ? channels / 16 * 16 : 0
        let interior = interiorColumns(targetWidth: g.outWidth, sourceWidth: g.width, window: (g.stride, g.padding))
        func pixel(_ n: Int, _ oh: Int, _ ow: Int, fromChannel start: Int) {
            let gradient = dy + ((n * g.outHeight + oh) * g.outWidth + ow) * channels + start
            for kh in 0..<3 {
                let ih = oh * g.stride - g.padding + kh
                guard ih >= 0 && ih < g.height else { continue }
                for kw in 0..<3 {
                    let iw = ow * g.stride - g.padding + kw
                    guard iw >= 0 && iw < g.width else { continue }
                    let source = input.row(n * g.height + ih) + iw * channels + start
                    multiplyAdd(gradient, source, into: partial + (kh * 3 + kw) * channels + start, channels: channels - start)
                }
            }
        }
        func sourceRow(_ n: Int, _ oh: Int, _ kh: Int) -> UnsafePointer<Float>? {
            let ih = oh * g.stride - g.padding + kh
            return ih >= 0 && ih < g.height ? input.row(n * g.height + ih) : nil
        }
        if let finishing {
            for row in range where finishing.range.contains(row) {
                finishing.rows.writeInPlace(rows: row * g.outWidth..<(row + 1) * g.outWidth, over: dy)
            }
        }
        // Rows recomputed: as many as the reader's slots hold the source rows of.
        let rowsAtOnce = input.readsInPlace ? range.count : input.targetRows(stride: g.stride)
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 3 * min(range.count, rowsAtOnce)) { table in
            var first = range.lowerBound
            while first < range.upperBound {
                let n = first / g.outHeight
                let end = min(range.upperBound, (n + 1) * g.outHeight, first + rowsAtOnce)
                if wideChannels > 0 {
                    for row in first..<end {
                        for kh in 0..<3 { table[3 * (row - first) + kh] = sourceRow(n, row - n * g.outHeight, kh) }
                    }
                    DepthwiseRows.weightGradientRows(table.baseAddress!, count: end - first, gradient: dy + first * g.outWidth * channels,
                                                     gradientRowStride: g.outWidth * channels, channels: wideChannels, pixelStride: channels,
                                                     stride: g.stride, padding: g.padding, sourceWidth: g.width, targetWidth: g.outWidth,
                                                     sums: partial)
                }
                if wideChannels < channels {
                    for row in first..<end {
                        let oh = row - n * g.outHeight
                        for ow in 0..<g.outWidth where !interior.contains(ow) { pixel(n, oh, ow, fromChannel: wideChannels) }
                        guard !interior.isEmpty else { continue }
                        slidingProducts((sourceRow(n, oh, 0), sourceRow(n, oh, 1), sourceRow(n, oh, 2)), gradientRow: dy + row * g.outWidth * channels,
                                        channels: wideChannels..<vectorChannels, stride: channels, window: (g.stride, g.padding),
                                        columns: interior, into: partial)
                        if vectorChannels < channels {
                            for ow in interior { pixel(n, oh, ow, fromChannel: vectorChannels) }
                        }
                    }
                }
                first = end
            }
        }
    }

    /// sums[kh, kw, c] += Σ_j gradientRow[j, c] · rows[kh][j·s − p + kw, c] over interior columns,
    /// for `channels` (bounds multiples of 8); rows in the padding add nothing.
    @inline(__always)
    private static func slidingProducts(_ rows: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?),
                                        gradientRow: UnsafePointer<Float>, channels: Range<Int>, stride pixelStride: Int,
                                        window: (stride: Int, padding: Int), columns: Range<Int>, into sums: UnsafeMutablePointer<Float>) {
        let (top, middle, bottom) = presentRows(rows)
        for c in stride(from: channels.lowerBound, to: channels.upperBound, by: 8) {
            var (s00, s01, s02, s10, s11, s12) = (V(), V(), V(), V(), V(), V())
            var (s20, s21, s22) = (V(), V(), V())
            for j in columns {
                let offset = (j * window.stride - window.padding) * pixelStride + c
                let gradient = gradientRow.vector(j * pixelStride + c)
                s00 = s00.addingProduct(top.vector(offset), gradient)
                s01 = s01.addingProduct(top.vector(offset + pixelStride), gradient)
                s02 = s02.addingProduct(top.vector(offset + 2 * pixelStride), gradient)
                s10 = s10.addingProduct(middle.vector(offset), gradient)
                s11 = s11.addingProduct(middle.vector(offset + pixelStride), gradient)
                s12 = s12.addingProduct(middle.vector(offset + 2 * pixelStride), gradient)
                s20 = s20.addingProduct(bottom.vector(offset), gradient)
                s21 = s21.addingProduct(bottom.vector(offset + pixelStride), gradient)
                s22 = s22.addingProduct(bottom.vector(offset + 2 * pixelStride), gradient)
            }
            @inline(__always) func add(_ rowInside: Bool, _ tap: Int, _ value: V) {
                if rowInside { sums.store(sums.vector(tap * pixelStride + c) + value, at: tap * pixelStride + c) }
            }
            add(rows.0 != nil, 0, s00); add(rows.0 != nil, 1, s01); add(rows.0 != nil, 2, s02)
            add(rows.1 != nil, 3, s10); add(rows.1 != nil, 4, s11); add(rows.1 != nil, 5, s12)
            add(rows.2 != nil, 6, s20); add(rows.2 != nil, 7, s21); add(rows.2 != nil, 8, s22)
        }
    }

    /// Target columns j whose three taps j·s − p + {0, 1, 2} all lie inside the source row.
    static func interiorColumns(targetWidth: Int, sourceWidth: Int, window: (stride: Int, padding: Int)) -> Range<Int> {
        let first = min((window.padding + window.stride - 1) / window.stride, targetWidth)
        let end = sourceWidth + window.padding - 3 >= 0 ? min((sourceWidth + window.padding - 3) / window.stride + 1, targetWidth) : 0
        return first..<max(end, first)
    }

    /// The three source rows with missing ones (padding) replaced by a present row; callers
    /// give those rows zero weight or drop their sums.
    @inline(__always)
    static func presentRows(_ rows: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?))
        -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) {
        let present = (rows.0 ?? rows.1 ?? rows.2)!
        return (rows.0 ?? present, rows.1 ?? present, rows.2 ?? present)
    }

    /// Stack space for up to nine (source, weight) tap pointers.
    @inline(__always)
    private static func withTaps(_ body: (UnsafeMutablePointer<UnsafePointer<Float>>, UnsafeMutablePointer<UnsafePointer<Float>>) -> Void) {
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 9) { sources in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 9) { weights in
                body(sources.baseAddress!, weights.baseAddress!)
            }
        }
    }

    /// target[c] (+)= Σ_t sources[t][c] · weights[t][c] for the channels in `channels`, then the
    /// epilogue, before the store.
    @inline(__always)
    private static func sumOfProducts(_ taps: Int, _ sources: UnsafeMutablePointer<UnsafePointer<Float>>,
                                      _ weights: UnsafeMutablePointer<UnsafePointer<Float>>, channels: Range<Int>,
                                      into target: UnsafeMutablePointer<Float>, accumulate: Bool, epilogue: ChannelEpilogue? = nil) {
        @inline(__always) func finish(_ sum: V, _ c: Int) -> V { epilogue.map { $0(sum, c) } ?? sum }
        var c = channels.lowerBound
        // Four vectors of channels at a time: four chains of multiply-adds in flight instead of
        // one waiting on the last (each channel's taps still added in order).
        while c + 32 <= channels.upperBound {
            var (s0, s1, s2, s3) = accumulate ? (target.vector(c), target.vector(c + 8), target.vector(c + 16), target.vector(c + 24))
                                              : (V(), V(), V(), V())
            for t in 0..<taps {
                let (source, weight) = (sources[t] + c, weights[t] + c)
                s0 = s0.addingProduct(source.vector(0), weight.vector(0))
                s1 = s1.addingProduct(source.vector(8), weight.vector(8))
                s2 = s2.addingProduct(source.vector(16), weight.vector(16))
                s3 = s3.addingProduct(source.vector(24), weight.vector(24))
            }
            target.store(finish(s0, c), at: c)
            target.store(finish(s1, c + 8), at: c + 8)
            target.store(finish(s2, c + 16), at: c + 16)
            target.store(finish(s3, c + 24), at: c + 24)
            c += 32
        }
        while c + 8 <= channels.upperBound {
            var sum = accumulate ? target.vector(c) : V()
            for t in 0..<taps { sum = sum.addingProduct(sources[t].vector(c), weights[t].vector(c)) }
            target.store(finish(sum, c), at: c)
            c += 8
        }
        while c < channels.upperBound {
            var sum: Float = accumulate ? target[c] : 0
            for t in 0..<taps { sum += sources[t][c] * weights[t][c] }
            target[c] = sum
            epilogue?.apply(target + c, channel: c, count: 1)
            c += 1
        }
    }

    /// target[c] += a[c] · b[c] (or += b[c] when a is nil).
    @inline(__always)
    private static func multiplyAdd(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, channels: Int) {
        var c = 0
        if let a {
            while c + 8 <= channels { target.store(target.vector(c).addingProduct(a.vector(c), b.vector(c)), at: c); c += 8 }
            while c < channels { target[c] += a[c] * b[c]; c += 1 }
        } else {
            while c + 8 <= channels { target.store(target.vector(c) + b.vector(c), at: c); c += 8 }
            while c < channels { target[c] += b[c]; c += 1 }
        }
    }
}
