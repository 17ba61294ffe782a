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
    var slotsPerReader: Int {
        if case .normalized = self { return 3 } else { return 0 }
    }

    /// A reader for one thread, with `slotsPerReader` rows of `rowLength` values at `slots`.
    func reader(rowLength: Int, slots: UnsafeMutablePointer<Float>) -> Reader {
        Reader(input: self, rowLength: rowLength, slots: slots)
    }

    /// Holds plain pointers only: it is copied and asked for rows in per-row loops on every thread.
    struct Reader {
        /// The values in place, or (`normalized` set) how to recompute them into the slots.
        private let values: UnsafePointer<Float>
        private let normalized: NormalizedRows.Kernel?
        let rowLength: Int
        let slots: UnsafeMutablePointer<Float>
        /// The image row each slot holds; row r goes to slot r mod 3, so any three consecutive
        /// rows (a window's, at stride 1 or 2) are held at once and each is computed once in turn.
        private var held = SIMD3<Int>(repeating: -1)

        init(input: InputRows, rowLength: Int, slots: UnsafeMutablePointer<Float>) {
            (values, normalized) = input.matrix
            self.rowLength = rowLength
            self.slots = slots
        }

        var readsInPlace: Bool { normalized == nil }

        /// Image row `index` (sample · height + row): `rowLength` values.
        mutating func row(_ index: Int) -> UnsafePointer<Float> {
            guard let rows = normalized else { return values + index * rowLength }
            let slot = index % 3
            let target = slots + slot * rowLength
            if held[slot] != index {
                let pixels = rowLength / rows.channels
                rows.write(rows: index * pixels..<(index + 1) * pixels, into: target)
                held[slot] = index
            }
            return UnsafePointer(target)
        }
    }
}
