/// Where a convolution reads its input image row by row: in place, or a batch norm's output
/// recomputed from the norm's input (`NormalizedRows`) into a few row slots per thread, so the
/// output never goes through memory as a whole tensor.
enum InputRows {
    case inPlace(UnsafePointer<Float>)
    case normalized(NormalizedRows)

    /// For a GEMM that reads the input as a [pixels, channels] matrix: where that matrix lies
    /// (the values, or the norm's input in their place) and how to recompute its blocks.
    var matrix: (base: UnsafePointer<Float>, recomputed: NormalizedRows.Kernel?) {
        switch self {
        case let .inPlace(values): return (values, nil)
        case let .normalized(rows): return (rows.kernel.source, rows.kernel)
        }
    }

    /// Row slots a reader needs: the three rows a 3×3 window spans.
    var slotsPerReader: Int { slotsPerReader(targetRows: 1, stride: 1) }

    /// Row slots a reader needs to hold the source rows of `targetRows` consecutive target rows
    /// of a 3×3 window at `stride` at once.
    func slotsPerReader(targetRows: Int, stride: Int) -> Int {
        if case .normalized = self { return max(3, (targetRows - 1) * stride + 3) } else { return 0 }
    }

    /// A reader for one thread, with `slotCount` rows of `rowLength` values at `slots` (at least
    /// three for recomputed rows; none are used in place).
    func reader(rowLength: Int, slots: UnsafeMutablePointer<Float>, slotCount: Int = 3) -> Reader {
        Reader(input: self, rowLength: rowLength, slots: slots, slotCount: slotCount)
    }

    /// Holds plain pointers only: it is copied and asked for rows in per-row loops on every thread.
    struct Reader {
        /// The values in place, or (`normalized` set) how to recompute them into the slots.
        private let values: UnsafePointer<Float>
        private let normalized: NormalizedRows.Kernel?
        let rowLength: Int
        let slots: UnsafeMutablePointer<Float>
        let slotCount: Int
        /// The consecutive image rows the slots hold; row r goes to slot r mod `slotCount`, so
        /// any `slotCount` consecutive rows are held at once and each is computed once in turn.
        private var held = 0..<0

        init(input: InputRows, rowLength: Int, slots: UnsafeMutablePointer<Float>, slotCount: Int) {
            precondition(input.slotsPerReader == 0 || slotCount >= 3, "a window's three rows need three slots")
            (values, normalized) = input.matrix
            (self.rowLength, self.slots, self.slotCount) = (rowLength, slots, slotCount)
        }

        var readsInPlace: Bool { normalized == nil }

        /// Consecutive target rows of a 3×3 window at `stride` whose source rows the slots hold
        /// at once (`slotsPerReader(targetRows:stride:)` the other way).
        func targetRows(stride: Int) -> Int { max(1, (slotCount - 3) / stride + 1) }

        /// Image row `index` (sample · height + row): `rowLength` values.
        mutating func row(_ index: Int) -> UnsafePointer<Float> {
            guard let rows = normalized else { return values + index * rowLength }
            let target = slots + index % slotCount * rowLength
            if !held.contains(index) {
                let pixels = rowLength / rows.channels
                rows.write(rows: index * pixels..<(index + 1) * pixels, into: target)
                // The next row extends the held run (dropping its first row once full); any
                // other starts a new one.
                held = index == held.upperBound ? max(held.lowerBound, index + 1 - slotCount)..<index + 1 : index..<index + 1
            }
            return UnsafePointer(target)
        }
    }
}
