import Basics

/// A block of a kernel's output that is final and still in cache: its rows and columns
/// (channels) in the whole output, its first element, and the distance between its rows.
typealias FinishedBlock = (_ rows: Range<Int>, _ columns: Range<Int>, _ first: UnsafePointer<Float>, _ rowStride: Int) -> Void

/// Runs `body` with `block` as a non-escaping closure (nil: one that does nothing), for loops
/// that call it often: called through the optional, the block's context was retained and
/// released around every call, a count that both threads write.
@inline(__always)
func withFinishedBlock(_ block: FinishedBlock?, _ body: (FinishedBlock) -> Void) {
    if let block { body(block) } else { body { _, _, _, _ in } }
}

/// A strided matrix: element (i, j) lives at `base[i * rowStride + j * columnStride]`, so a
/// transpose is a swap of strides and costs nothing (packing reads either order).
public struct MatrixView {
    public let base: UnsafePointer<Float>
    public let rowStride: Int
    public let columnStride: Int

    public init(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int = 1) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    public var transposed: MatrixView { MatrixView(base, rowStride: columnStride, columnStride: rowStride) }

    @inline(__always) func offset(row: Int, column: Int) -> UnsafePointer<Float> {
        base + row * rowStride + column * columnStride
    }
}

/// A B packed whole by `Gemm.packWhole` (k × `columns`), of which a product reads the columns
/// from `first` on (a multiple of `Gemm.nr`): threads that split the columns share one packing.
struct PackedB {
    let values: UnsafePointer<Float>
    let columns: Int
    var first = 0

    func from(column: Int) -> PackedB { PackedB(values: values, columns: columns, first: first + column) }

    /// The panels of k-block `pc` (rows pc..<pc + kc).
    @inline(__always) func panels(kBlock pc: Int, rows kc: Int) -> PanelsB {
        PanelsB(base: values + pc * Gemm.roundUp(columns, Gemm.nr) + first * kc, columnScale: kc, rowStride: Gemm.nr)
    }
}

/// Single-precision matrix multiply `C = A·B` or `C += A·B` (row-major C), BLIS style:
/// B is packed into kc×16 panels, A into 6×kc panels, and a 6×16 register-blocked
/// micro-kernel (12 ymm accumulators, FMA) runs over them; row-major A, transposed A with
/// short columns, and row-major B of short products are read in place instead of packed. C is
/// cut into one rectangle per thread (rows or columns), or, for tall-skinny products (K much
/// larger than M and N), K is cut into slices whose products are summed; each thread packs its
/// own panels.
public enum Gemm {
    static let mr = 6
    static let nr = 16
    static let kBlock = 256
    /// Columns a thread's share of a split product starts at a multiple of: whole panels of the
    /// active kernel (AVX-512's strips are two 16-column panels wide).
    static var columnGranularity: Int { InstructionSet.active == .avx512 ? 2 * nr : nr }
    /// A multiple of `mr` and of the batch-norm sums' 64-row blocks, which `finished` hands on
    /// whole (was 144; 192 measured the same or faster in training and inference).
    static let mBlock = 192
    static let nBlock = 3072
    /// Products of at most this many rows read row-major B in place instead of packing it: few
    /// row tiles share each panel, so copying B costs more than the strided reads (the late
    /// layers of one window, whose weights outnumber their activations: one MobileNetV2 window
    /// 2.22–2.44 → 2.02–2.12 ms).
    static let directBRows = 64
    /// Products smaller than this many multiply-adds (≈ 30 µs on one core) run on one thread
    /// when split by rows or columns: in one window's small layers the threads' meeting costs
    /// more than half the product saves (2^18 before: one MobileNetV2 window 1.71 → 1.65 ms;
    /// 2^21 was slower again).
    static let splitWork = 1 << 20

    public static func multiply(m: Int, n: Int, k: Int, a: MatrixView, b: MatrixView,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        multiply(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, epilogue: nil)
    }

    /// With an epilogue, each block of C gets it applied (column j is channel j) right after its
    /// last k-block, while the block is in cache.
    ///
    /// With `aRows`, A is a batch norm's output that is not in memory, or its transpose: `a`
    /// views the norm's input in its place, and each block of A is recomputed into cache right
    /// before it is used: per k-block for the transpose (a 1×1 convolution's weight gradient;
    /// when threads split M or N rather than K, each recomputes the whole block), per (row
    /// block, k-block) for A itself (a 1×1 convolution's forward; when threads split N, each
    /// recomputes its rows).
    ///
    /// With `packedB`, B is read from that packing instead of `b` (nor is it packed again).
    ///
    /// `finished` is called on the worker thread with each block of C once it is final and
    /// still in cache: rows (of the whole product; up to `mBlock` unless K is split) from a
    /// multiple of the batch norm's 64-row blocks (`BatchNormKernels.blockRows`) to another or
    /// to m, and columns.
    static func multiply(m: Int, n: Int, k: Int, a: MatrixView, b: MatrixView,
                         c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, epilogue: ChannelEpilogue?,
                         aRows: NormalizedRows.Kernel? = nil, packedB: PackedB? = nil, finished: FinishedBlock? = nil) {
        precondition(epilogue == nil || (!accumulate && k > 0), "an epilogue needs a fresh product")
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        let work = m * n * k
        if m == 1, aRows == nil, packedB == nil, finished == nil, work <= 1 << 16 {
            rowTimesMatrix(n: n, k: k, a: a, b: b, c: c, accumulate: accumulate, epilogue: epilogue)
            return
        }
        let cBase = UncheckedSendable(c)
        let threads = Parallel.threadCount
        if threads > 1, epilogue == nil, packedB == nil, k >= 2 * kBlock * threads, k > 2 * max(m, n), work >= 1 << 22 {
            // Tall-skinny products (weight gradients: K = pixels, M and N = channels): each
            // thread takes a slice of K, so neither operand is packed twice; slices after the
            // first go to scratch and are added in order afterwards (deterministic), and C's
            // rows are finished as they are added. Even halves: slices of whole k-blocks split
            // K = 1280 (MobileNetV2's last 1×1 convolution's input gradient) 768/512, which took
            // 1.18 times as long.
            let parts = Parallel.ranges(k, granularity: nr)
            withScratch(max(1, parts.count - 1) * m * n) { partial in
                let partialBase = UncheckedSendable(partial)
                Parallel.forEach(parts) { index, slice in
                    let aPart = MatrixView(a.offset(row: 0, column: slice.lowerBound), rowStride: a.rowStride, columnStride: a.columnStride)
                    let bPart = MatrixView(b.offset(row: slice.lowerBound, column: 0), rowStride: b.rowStride, columnStride: b.columnStride)
                    if index == 0 {
                        serial(m: m, n: n, k: slice.count, a: aPart, b: bPart, c: cBase.value, ldc: ldc, accumulate: accumulate, aRows: aRows)
                    } else {
                        serial(m: m, n: n, k: slice.count, a: aPart, b: bPart, c: partialBase.value + (index - 1) * m * n, ldc: n, accumulate: false,
                               aRows: aRows)
                    }
                }
                Parallel.forEach(m, granularity: BatchNormKernels.blockRows, work: m * n * parts.count, minimumWork: 1 << 16) { rows in
                    for index in 1..<parts.count {
                        let source = partialBase.value + (index - 1) * m * n
                        for i in rows {
                            let to = cBase.value + i * ldc, from = source + i * n
                            for j in 0..<n { to[j] += from[j] }
                        }
                    }
                    finished?(rows, 0..<n, cBase.value + rows.lowerBound * ldc, ldc)
                }
            }
            return
        }
        // Rows split when C is at least twice as tall as wide: each thread then packs all of B,
        // which is cheap only while B is narrow; otherwise each packs its share of B's columns
        // (MobileNetV1 inference: M ≥ 0.4 N → M ≥ 2 N lifted 925–940 to 968–972 samples/s).
        if m >= 2 * n {
            // With a hook, threads split at 64-row blocks, not at `mBlock`: 2048 rows (an 8×8
            // layer at batch 32) split 1024/1024 rather than 1152/896, 512 rows 256/256 rather
            // than 384/128.
            Parallel.forEach(m, granularity: finished == nil ? mr : BatchNormKernels.blockRows, work: work, minimumWork: splitWork) { rows in
                let aPart = MatrixView(a.offset(row: rows.lowerBound, column: 0), rowStride: a.rowStride, columnStride: a.columnStride)
                serial(m: rows.count, n: n, k: k, a: aPart, b: b, c: cBase.value + rows.lowerBound * ldc, ldc: ldc, accumulate: accumulate,
                       epilogue: epilogue, aRows: aRows, packedB: packedB, finished: finished.map { finished in
                           { finished($0.lowerBound + rows.lowerBound..<$0.upperBound + rows.lowerBound, $1, $2, $3) }
                       })
            }
        } else {
            Parallel.forEach(n, granularity: columnGranularity, work: work, minimumWork: splitWork) { columns in
                let bPart = MatrixView(b.offset(row: 0, column: columns.lowerBound), rowStride: b.rowStride, columnStride: b.columnStride)
                serial(m: m, n: columns.count, k: k, a: a, b: bPart, c: cBase.value + columns.lowerBound, ldc: ldc, accumulate: accumulate,
                       epilogue: epilogue?.advanced(by: columns.lowerBound), aRows: aRows,
                       packedB: packedB?.from(column: columns.lowerBound), finished: finished.map { finished in
                           { finished($0, $1.lowerBound + columns.lowerBound..<$1.upperBound + columns.lowerBound, $2, $3) }
                       })
            }
        }
    }

    /// One row of A times B (a linear layer on one window), one column at a time: the tiles would
    /// compute six rows and pack B for one. Each value in the tiles' order (a chain of
    /// multiply-adds per k-block, added to C), so the bits are those of the row in a larger product.
    private static func rowTimesMatrix(n: Int, k: Int, a: MatrixView, b: MatrixView, c: UnsafeMutablePointer<Float>,
                                       accumulate: Bool, epilogue: ChannelEpilogue?) {
        for j in 0..<n {
            var value: Float = accumulate ? c[j] : 0
            for pc in stride(from: 0, to: k, by: kBlock) {
                var partial: Float = 0
                for p in pc..<min(k, pc + kBlock) { partial = partial.addingProduct(a.offset(row: 0, column: p).pointee, b.offset(row: p, column: j).pointee) }
                value = pc == 0 && !accumulate ? partial : partial + value
            }
            c[j] = value
        }
        epilogue?.apply(c, channel: 0, count: n)
    }

    /// Floats `packWhole` writes for a k×n B.
    static func packedCount(k: Int, n: Int) -> Int { k * roundUp(n, nr) }

    /// All of B (n ≤ nBlock) packed as `serial` packs it block by block (k-block p at
    /// p·roundUp(n, 16)), for callers that multiply by the same B many times (weights).
    @discardableResult
    static func packWhole(_ b: MatrixView, k: Int, n: Int, into packed: UnsafeMutablePointer<Float>) -> PackedB {
        precondition(n <= nBlock, "B wider than one column block")
        for pc in stride(from: 0, to: k, by: kBlock) {
            packB(b, rowStart: pc, columnStart: 0, rows: min(kBlock, k - pc), columns: n, into: packed + pc * roundUp(n, nr))
        }
        return PackedB(values: packed, columns: n)
    }

    /// `packedB`: B as `packWhole` packed it, used instead of packing (b is then not read).
    /// `finished` gets each block of C (up to mBlock rows, from the first row on) once it is final.
    static func serial(m: Int, n: Int, k: Int, a: MatrixView, b: MatrixView,
                       c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, epilogue: ChannelEpilogue? = nil,
                       aRows: NormalizedRows.Kernel? = nil, packedB wholeB: PackedB? = nil, finished: FinishedBlock? = nil) {
        precondition(wholeB.map { n <= nBlock && $0.first + n <= $0.columns } ?? true, "B wider than one column block, or than its packing")
        let kcMax = min(k, kBlock)
        let ncMax = min(roundUp(n, nr), nBlock)
        let mcMax = min(roundUp(m, mr), mBlock)
        // Row-major A, and column-major A whose columns are short (weight gradients of convs up
        // to 256 channels), are read in place; longer columns alias in cache and are packed.
        let directA = a.columnStride == 1 || (a.rowStride == 1 && a.columnStride < 512)
        let directB = b.columnStride == 1 && n % nr == 0 && m <= directBRows
        // Where `a` starts in the norm's input: its first row and channel; A is that input's
        // [rows, channels] layout (a forward) or its transpose (a weight gradient).
        let (firstRow, firstChannel) = aRows.map { rows in
            precondition(a.rowStride == 1 && a.columnStride == rows.channels || a.rowStride == rows.channels && a.columnStride == 1,
                         "recomputed rows of A are a [rows, channels] matrix or its transpose")
            return (a.base - rows.source).quotientAndRemainder(dividingBy: rows.channels)
        } ?? (0, 0)
        let recomputesRows = aRows != nil && a.columnStride == 1
        precondition(!recomputesRows || firstChannel % 8 == 0, "recomputed blocks of A start at a multiple of 8 channels")
        withScratch(wholeB == nil && !directB ? kcMax * ncMax : 1) { packedB in
        withScratch(mcMax * kcMax) { packedA in
        withScratch(aRows.map { recomputesRows ? mcMax * kcMax : kcMax * $0.channels } ?? 1) { recomputed in
        let wide = InstructionSet.active == .avx512
        // 24 columns with A in place run `strip24`'s four-row tiles (AVX-512 has its own strips).
        let narrow = !wide && directA && n == 24
        withScratch(2 * mr * nr) { tile in
            for jc in stride(from: 0, to: n, by: nBlock) {
                let nc = min(nBlock, n - jc)
                for pc in stride(from: 0, to: k, by: kBlock) {
                    let kc = min(kBlock, k - pc)
                    let addToC = accumulate || pc > 0
                    let finish = pc + kc == k ? epilogue : nil
                    let panelsB: PanelsB
                    if let wholeB {
                        panelsB = wholeB.panels(kBlock: pc, rows: kc)
                    } else if directB {
                        panelsB = PanelsB(base: b.offset(row: pc, column: jc), columnScale: 1, rowStride: b.rowStride)
                    } else {
                        packB(b, rowStart: pc, columnStart: jc, rows: kc, columns: nc, into: packedB)
                        panelsB = PanelsB(base: packedB, columnScale: kc, rowStride: nr)
                    }
                    // This k-block of A: in place, or its rows of the norm's output recomputed.
                    var (kBlockA, kBlockColumn) = (a, pc)
                    if let aRows, !recomputesRows {
                        aRows.write(rows: firstRow + pc..<firstRow + pc + kc, into: recomputed)
                        (kBlockA, kBlockColumn) = (MatrixView(recomputed + firstChannel, rowStride: 1, columnStride: aRows.channels), 0)
                    }
                    for ic in stride(from: 0, to: m, by: mBlock) {
                        let mc = min(mBlock, m - ic)
                        // Where rows ic..< of this k-block are: blockA's row `ic` at blockColumn.
                        var (blockA, blockColumn) = (kBlockA, kBlockColumn)
                        if let aRows, recomputesRows {
                            aRows.write(rows: firstRow + ic..<firstRow + ic + mc, channels: firstChannel + pc..<firstChannel + pc + kc,
                                        into: recomputed, rowStride: kc)
                            (blockA, blockColumn) = (MatrixView(recomputed - ic * kc, rowStride: kc), 0)
                        }
                        // A read in place needs only a partial last panel packed (zero-padded), and
                        // none in a block of 24 columns (`strip24` reads its last rows one at a time)
                        // or where AVX-512's last tile is read in place too (`wideBlock`).
                        let lastTileInPlace = wide && directA && n % 8 == 0 && mc >= mr
                        let packedRows = directA ? (narrow || lastTileInPlace ? mc : mc / mr * mr) : 0
                        if packedRows < mc {
                            packA(blockA, rowStart: ic + packedRows, columnStart: blockColumn, rows: mc - packedRows, columns: kc, into: packedA + packedRows * kc)
                        }
                        // The block's rows of C are final after the last k-block: handed on in cache.
                        defer { if pc + kc == k { finished?(ic..<ic + mc, jc..<jc + nc, c + ic * ldc + jc, ldc) } }
                        if wide {
                            // A C over 1 MB (a core's second-level cache) is written to memory:
                            // the strips fetch each next tile's lines of it for writing.
                            wideBlock(mc: mc, nc: nc, kc: kc, a: blockA, aRow: ic, aColumn: blockColumn, directA: directA,
                                      lastTileInPlace: lastTileInPlace, packedA: packedA,
                                      panelsB: panelsB, fetchesC: m * n >= 1 << 18, c: c + ic * ldc + jc, ldc: ldc, accumulate: addToC,
                                      epilogue: finish?.advanced(by: jc), tile: tile)
                            continue
                        }
                        if narrow {
                            strip24(mc: mc, kc: kc, a: blockA, aRow: ic, aColumn: blockColumn, panelsB: panelsB, c: c + ic * ldc + jc, ldc: ldc,
                                    accumulate: addToC, epilogue: finish?.advanced(by: jc))
                            continue
                        }
                        // Tiles counted over ranges: LLVM left `StrideTo`'s `next()` out of line here,
                        // a call per 6×16 tile.
                        for panel in 0..<(nc + nr - 1) / nr {
                            let jr = panel * nr
                            let columns = min(nr, nc - jr)
                            for rowTile in 0..<(mc + mr - 1) / mr {
                                let ir = rowTile * mr
                                let rows = min(mr, mc - ir)
                                let target = c + (ic + ir) * ldc + jc + jr
                                if rows == mr && columns == 8 {
                                    let (panel, rowStride, columnStride): (UnsafePointer<Float>, Int, Int) = directA
                                        ? (blockA.offset(row: ic + ir, column: blockColumn), blockA.rowStride, blockA.columnStride)
                                        : (UnsafePointer(packedA + ir * kc), 1, mr)
                                    microKernel8(kc, panel, rowStride, columnStride, panelsB.panel(jr), panelsB.rowStride, target, ldc, addToC,
                                                 finish?.advanced(by: jc + jr))
                                    continue
                                }
                                if rows == 4 && columns == nr {
                                    microKernel(kc, packedA + ir * kc, 1, mr, panelsB.panel(jr), panelsB.rowStride, target, ldc, addToC,
                                                finish?.advanced(by: jc + jr), rows: 4)
                                    continue
                                }
                                if directA && rows == mr {
                                    let panel = blockA.offset(row: ic + ir, column: blockColumn)
                                    if columns == nr {
                                        if let finish {
                                            microKernel(kc, panel, blockA.rowStride, blockA.columnStride, panelsB.panel(jr), panelsB.rowStride, target, ldc, addToC,
                                                        finish.advanced(by: jc + jr))
                                            continue
                                        }
                                        microKernel(kc, panel, blockA.rowStride, blockA.columnStride, panelsB.panel(jr), panelsB.rowStride, target, ldc, addToC)
                                    } else {
                                        microKernel(kc, panel, blockA.rowStride, blockA.columnStride, panelsB.panel(jr), panelsB.rowStride, tile, nr, false)
                                    }
                                } else if rows == mr && columns == nr {
                                    if let finish {
                                        microKernel(kc, packedA + ir * kc, 1, mr, panelsB.panel(jr), panelsB.rowStride, target, ldc, addToC, finish.advanced(by: jc + jr))
                                        continue
                                    }
                                    microKernel(kc, packedA + ir * kc, 1, mr, panelsB.panel(jr), panelsB.rowStride, target, ldc, addToC)
                                } else {
                                    microKernel(kc, packedA + ir * kc, 1, mr, panelsB.panel(jr), panelsB.rowStride, tile, nr, false)
                                }
                                if rows != mr || columns != nr {
                                    for r in 0..<rows {
                                        let from = tile + r * nr, to = target + r * ldc
                                        if addToC {
                                            for j in 0..<columns { to[j] += from[j] }
                                        } else {
                                            to.update(from: from, count: columns)
                                        }
                                    }
                                }
                                if let finish {
                                    for r in 0..<rows { finish.apply(target + r * ldc, channel: jc + jr, count: columns) }
                                }
                            }
                        }
                    }
                }
            }
        }
        }
        }
        }
    }

    @inline(__always) static func roundUp(_ value: Int, _ multiple: Int) -> Int {
        (value + multiple - 1) / multiple * multiple
    }

    /// Rows × columns of A into 6-row panels: panel[p·6 + r] = A(row r, column p), zero-padded.
    static func packA(_ a: MatrixView, rowStart: Int, columnStart: Int, rows: Int, columns: Int,
                      into packed: UnsafeMutablePointer<Float>) {
        for ir in stride(from: 0, to: rows, by: mr) {
            let panel = packed + ir * columns
            let valid = min(mr, rows - ir)
            if valid == mr && a.rowStride == 1 {
                // Column-major A (a transposed operand): each column's six values are adjacent.
                let source = a.offset(row: rowStart + ir, column: columnStart)
                let stride = a.columnStride
                for p in 0..<columns {
                    let from = UnsafeRawPointer(source + p * stride), to = UnsafeMutableRawPointer(panel + p * mr)
                    to.storeBytes(of: from.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                    to.storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self), toByteOffset: 16, as: SIMD2<Float>.self)
                }
                continue
            }
            for r in 0..<valid {
                let source = a.offset(row: rowStart + ir + r, column: columnStart)
                let stride = a.columnStride
                for p in 0..<columns { panel[p * mr + r] = source[p * stride] }
            }
            for r in valid..<mr {
                for p in 0..<columns { panel[p * mr + r] = 0 }
            }
        }
    }

    /// Rows × columns of B into 16-column panels: panel[p·16 + j] = B(row p, column j), zero-padded.
    static func packB(_ b: MatrixView, rowStart: Int, columnStart: Int, rows: Int, columns: Int,
                      into packed: UnsafeMutablePointer<Float>) {
        for jr in stride(from: 0, to: columns, by: nr) {
            let panel = packed + jr * rows
            let valid = min(nr, columns - jr)
            if valid == nr && b.columnStride == 1 {
                for p in 0..<rows {
                    let source = UnsafeRawPointer(b.offset(row: rowStart + p, column: columnStart + jr))
                    UnsafeMutableRawPointer(panel + p * nr).storeBytes(of: source.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                }
                continue
            }
            var done = 0
            if valid == nr && b.rowStride == 1 {
                // Column-major B (a transposed operand, e.g. a 1×1 convolution's weight in its
                // input gradient): each half panel's eight columns, eight rows at a time, turned
                // into rows in registers (value by value, V1 training spent 1.4 % of its time on
                // the strided stores).
                while done + 8 <= rows {
                    for half in 0..<2 {
                        Transpose8x8.copy(from: b.offset(row: rowStart + done, column: columnStart + jr + 8 * half), sourceStride: b.columnStride,
                                          to: panel + done * nr + 8 * half, targetStride: nr)
                    }
                    done += 8
                }
            }
            for j in 0..<valid {
                let source = b.offset(row: rowStart, column: columnStart + jr + j)
                let stride = b.rowStride
                for p in done..<rows { panel[p * nr + j] = source[p * stride] }
            }
            for j in valid..<nr {
                for p in 0..<rows { panel[p * nr + j] = 0 }
            }
        }
    }

    /// C[6×16] (+)= A[6×kc]·Bpanel[kc×16], all twelve 8-wide accumulators in registers. A(r, p)
    /// is a[r·rowStride + p·columnStride]: a packed panel (1, 6) or six rows of A in place (lda, 1).
    /// With `rows` 4 (a constant where it is inlined), the first four rows alone: products of
    /// 4^k rows (one window's 4×4 and 8×8 layers) end in such a tile, which would otherwise run
    /// six rows into a scratch tile copied out with its epilogue in a second pass.
    @inline(__always)
    static func microKernel(_ kc: Int, _ a: UnsafePointer<Float>, _ rowStride: Int, _ columnStride: Int, _ b: UnsafePointer<Float>, _ bStride: Int,
                            _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ finish: ChannelEpilogue? = nil, rows: Int = mr) {
        typealias V = SIMD8<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var ap = a, bp = b
        for _ in 0..<kc {
            // The vector helpers are always inlined; the generic raw loads were not once `serial` had two callers.
            let b0 = bp.vector(0)
            let b1 = bp.vector(8)
            var av = V(repeating: ap[0])
            c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
            av = V(repeating: ap[1 * rowStride])
            c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
            av = V(repeating: ap[2 * rowStride])
            c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
            av = V(repeating: ap[3 * rowStride])
            c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
            if rows > 4 {
                av = V(repeating: ap[4 * rowStride])
                c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
                av = V(repeating: ap[5 * rowStride])
                c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
            }
            ap += columnStride
            bp += bStride
        }
        if let finish {
            // The tile's sixteen channels get batch norm and activation in registers.
            let (s0, s1) = (finish.scale.vector(0), finish.scale.vector(8))
            let (b0, b1) = (finish.bias.vector(0), finish.bias.vector(8))
            @inline(__always) func finished(_ row: Int, _ low: V, _ high: V) {
                let target = c + row * ldc
                var (low, high) = (low, high)
                if accumulate {
                    low += target.vector(0)
                    high += target.vector(8)
                }
                target.store(finish(low, scale: s0, bias: b0), at: 0)
                target.store(finish(high, scale: s1, bias: b1), at: 8)
            }
            finished(0, c00, c01); finished(1, c10, c11); finished(2, c20, c21); finished(3, c30, c31)
            if rows > 4 { finished(4, c40, c41); finished(5, c50, c51) }
            return
        }
        @inline(__always) func store(_ row: Int, _ low: V, _ high: V) {
            let target = c + row * ldc
            if accumulate {
                target.store(low + target.vector(0), at: 0)
                target.store(high + target.vector(8), at: 8)
            } else {
                target.store(low, at: 0)
                target.store(high, at: 8)
            }
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21); store(3, c30, c31)
        if rows > 4 { store(4, c40, c41); store(5, c50, c51) }
    }

    /// A block exactly 24 columns wide with A read in place (MobileNetV2's 24-channel layers):
    /// four rows at a time across all 24 columns, twelve accumulators, where a 6×16 tile and a
    /// 6×8 strip left the strip's six accumulators waiting on their multiply-adds; the last
    /// rows one at a time.
    private static func strip24(mc: Int, kc: Int, a: MatrixView, aRow: Int, aColumn: Int, panelsB: PanelsB,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, epilogue: ChannelEpilogue?) {
        let (first, second) = (panelsB.panel(0), panelsB.panel(nr))
        var ir = 0
        while ir + 4 <= mc {
            microKernel24(kc, a.offset(row: aRow + ir, column: aColumn), a.rowStride, a.columnStride, first, second, panelsB.rowStride,
                          c + ir * ldc, ldc, accumulate, epilogue, rows: 4)
            ir += 4
        }
        while ir < mc {
            microKernel24(kc, a.offset(row: aRow + ir, column: aColumn), a.rowStride, a.columnStride, first, second, panelsB.rowStride,
                          c + ir * ldc, ldc, accumulate, epilogue, rows: 1)
            ir += 1
        }
    }

    /// C[rows×24] (+)= A[rows×kc]·B[kc×24], B's columns in one 16-column panel (`first`) and the
    /// first 8 of the next (`second`); each value summed in the order of the other tiles, so
    /// the same bits. `rows` is 4 or 1, a constant where it is inlined.
    @inline(__always)
    private static func microKernel24(_ kc: Int, _ a: UnsafePointer<Float>, _ rowStride: Int, _ columnStride: Int,
                              _ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, _ bStride: Int,
                              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ finish: ChannelEpilogue?, rows: Int) {
        typealias V = SIMD8<Float>
        var c00 = V(), c01 = V(), c02 = V(), c10 = V(), c11 = V(), c12 = V()
        var c20 = V(), c21 = V(), c22 = V(), c30 = V(), c31 = V(), c32 = V()
        var ap = a, p0 = first, p1 = second
        for _ in 0..<kc {
            let (x0, x1, x2) = (p0.vector(0), p0.vector(8), p1.vector(0))
            var av = V(repeating: ap[0])
            c00 = c00.addingProduct(av, x0); c01 = c01.addingProduct(av, x1); c02 = c02.addingProduct(av, x2)
            if rows > 1 {
                av = V(repeating: ap[rowStride])
                c10 = c10.addingProduct(av, x0); c11 = c11.addingProduct(av, x1); c12 = c12.addingProduct(av, x2)
                av = V(repeating: ap[2 * rowStride])
                c20 = c20.addingProduct(av, x0); c21 = c21.addingProduct(av, x1); c22 = c22.addingProduct(av, x2)
                av = V(repeating: ap[3 * rowStride])
                c30 = c30.addingProduct(av, x0); c31 = c31.addingProduct(av, x1); c32 = c32.addingProduct(av, x2)
            }
            ap += columnStride
            p0 += bStride
            p1 += bStride
        }
        let scales = finish.map { ($0.scale.vector(0), $0.scale.vector(8), $0.scale.vector(16)) } ?? (V(), V(), V())
        let biases = finish.map { ($0.bias.vector(0), $0.bias.vector(8), $0.bias.vector(16)) } ?? (V(), V(), V())
        @inline(__always) func store(_ row: Int, _ values: (V, V, V)) {
            let target = c + row * ldc
            var (v0, v1, v2) = values
            if accumulate {
                v0 += target.vector(0)
                v1 += target.vector(8)
                v2 += target.vector(16)
            }
            if let finish {
                (v0, v1, v2) = (finish(v0, scale: scales.0, bias: biases.0), finish(v1, scale: scales.1, bias: biases.1),
                                finish(v2, scale: scales.2, bias: biases.2))
            }
            target.store(v0, at: 0)
            target.store(v1, at: 8)
            target.store(v2, at: 16)
        }
        store(0, (c00, c01, c02))
        if rows > 1 { store(1, (c10, c11, c12)); store(2, (c20, c21, c22)); store(3, (c30, c31, c32)) }
    }

    /// `microKernel` for a last strip of 8 columns (a 24-channel layer's second panel when A is
    /// packed; read in place it runs `strip24`): six
    /// accumulators, stored straight to C, instead of sixteen columns into a scratch tile.
    @inline(__always)
    static func microKernel8(_ kc: Int, _ a: UnsafePointer<Float>, _ rowStride: Int, _ columnStride: Int, _ b: UnsafePointer<Float>, _ bStride: Int,
                             _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ finish: ChannelEpilogue?) {
        typealias V = SIMD8<Float>
        var (c0, c1, c2, c3, c4, c5) = (V(), V(), V(), V(), V(), V())
        var ap = a, bp = b
        for _ in 0..<kc {
            let x = bp.vector(0)
            c0 = c0.addingProduct(V(repeating: ap[0]), x)
            c1 = c1.addingProduct(V(repeating: ap[rowStride]), x)
            c2 = c2.addingProduct(V(repeating: ap[2 * rowStride]), x)
            c3 = c3.addingProduct(V(repeating: ap[3 * rowStride]), x)
            c4 = c4.addingProduct(V(repeating: ap[4 * rowStride]), x)
            c5 = c5.addingProduct(V(repeating: ap[5 * rowStride]), x)
            ap += columnStride
            bp += bStride
        }
        let (scale, bias) = finish.map { ($0.scale.vector(0), $0.bias.vector(0)) } ?? (V(), V())
        @inline(__always) func store(_ row: Int, _ value: V) {
            let target = c + row * ldc
            let sum = accumulate ? value + target.vector(0) : value
            target.store(finish.map { $0(sum, scale: scale, bias: bias) } ?? sum, at: 0)
        }
        store(0, c0); store(1, c1); store(2, c2); store(3, c3); store(4, c4); store(5, c5)
    }
}


/// Where the GEMM reads B's 16-column panels: column j of the panel starting at column jr is
/// base + jr·columnScale + j, and its rows are rowStride apart.
struct PanelsB {
    let base: UnsafePointer<Float>
    let columnScale: Int
    let rowStride: Int

    @inline(__always) func panel(_ column: Int) -> UnsafePointer<Float> { base + column * columnScale }
}
