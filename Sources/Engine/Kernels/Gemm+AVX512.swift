import EngineAVX512

extension Gemm {
    /// One mc×nc block of C on AVX-512: strips of 32 columns (two B panels) and the
    /// 16-column remainder go to EngineAVX512's loops, which run all full 6-row tiles of a
    /// strip in one call and store a last tile of fewer rows straight to C too (a window's
    /// products all have one: 16, 64, 256 or 1024 rows; V2 batch 32 0.987–0.989 of the time,
    /// one window 0.98–1.0, against computing it into `tile` and copying). Strips whose width is
    /// not a multiple of 8 still go through `tile` (6×32).
    ///
    /// With `lastTileInPlace` (A read in place, at least one full tile, every strip's width a
    /// multiple of 8) the last tile is A's last six rows read in place, of which it stores the
    /// rows the tile before did not: no partial panel of A is packed.
    static func wideBlock(mc: Int, nc: Int, kc: Int, a: MatrixView, aRow: Int, aColumn: Int, directA: Bool, lastTileInPlace: Bool,
                          packedA: UnsafePointer<Float>, panelsB: PanelsB, fetchesC: Bool,
                          c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, epilogue: ChannelEpilogue?,
                          tile: UnsafeMutablePointer<Float>) {
        let fullTiles = mc / mr
        let tiles = (mc + mr - 1) / mr
        for jr in stride(from: 0, to: nc, by: 2 * nr) {
            let columns = min(2 * nr, nc - jr)
            let b0 = panelsB.panel(jr)
            let b1 = columns > nr ? panelsB.panel(jr + nr) : b0
            let strip = epilogue?.advanced(by: jr)
            // `count` tiles from row `first` of the block into target (row stride ldTarget); A in
            // place, or packed (where a tile's panel starts at a multiple of six rows).
            func run(_ first: Int, _ count: Int, inPlace: Bool, _ target: UnsafeMutablePointer<Float>, _ ldTarget: Int, _ add: Bool,
                     _ finish: ChannelEpilogue?, lastRows: Range<Int> = 0..<mr) {
                let panel = inPlace ? a.offset(row: aRow + first, column: aColumn) : packedA + first * kc
                let (tileStride, rowStride, columnStride) = inPlace ? (mr * a.rowStride, a.rowStride, a.columnStride) : (mr * kc, 1, mr)
                if columns > nr {
                    GemmStrips.strip32(rowTiles: count, kc: kc, a: panel, aTileStride: tileStride, aRowStride: rowStride,
                                       aColumnStride: columnStride, b0: b0, b1: b1, bStride: panelsB.rowStride, c: target, ldc: ldTarget, accumulate: add,
                                       scale: finish?.scale, bias: finish?.bias, lower: finish?.lower ?? 0, upper: finish?.upper ?? 0,
                                       narrow: columns == nr + 8, fetchesC: fetchesC, lastRows: lastRows)
                } else {
                    GemmStrips.strip16(rowTiles: count, kc: kc, a: panel, aTileStride: tileStride, aRowStride: rowStride,
                                       aColumnStride: columnStride, b0: b0, bStride: panelsB.rowStride, c: target, ldc: ldTarget, accumulate: add,
                                       scale: finish?.scale, bias: finish?.bias, lower: finish?.lower ?? 0, upper: finish?.upper ?? 0,
                                       narrow: columns == 8, fetchesC: fetchesC, lastRows: lastRows)
                }
            }
            // Tiles go straight to C where the strip kernel stores exactly the strip's columns (8,
            // 16, 24 or 32); a last tile of fewer rows stores only those.
            if columns % 8 == 0 {
                run(0, fullTiles, inPlace: directA, c + jr, ldc, accumulate, strip)
                if mc > fullTiles * mr {
                    let first = lastTileInPlace ? mc - mr : fullTiles * mr
                    run(first, 1, inPlace: lastTileInPlace, c + first * ldc + jr, ldc, accumulate, strip,
                        lastRows: fullTiles * mr - first..<mc - first)
                }
                continue
            }
            for t in 0..<tiles {
                let rows = min(mr, mc - t * mr)
                run(t * mr, 1, inPlace: directA && t < fullTiles, tile, 2 * nr, false, nil)
                let target = c + t * mr * ldc + jr
                for r in 0..<rows {
                    let from = tile + r * 2 * nr, to = target + r * ldc
                    if accumulate {
                        for j in 0..<columns { to[j] += from[j] }
                    } else {
                        to.update(from: from, count: columns)
                    }
                    strip?.apply(to, channel: 0, count: columns)
                }
            }
        }
    }
}
