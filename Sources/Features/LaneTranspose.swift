import Basics

/// Eight rows of values turned into eight lanes: `lanes[k * 8 + f] = rows[f * rowStride + k]`
/// for k < count, so that eight frames' spectra, each computed contiguously, become one SIMD
/// vector per bin. Whole 8×8 blocks go through registers (`Transpose8x8`); written one value
/// at a time, the strided stores cost a 30 s clip's log-mel a third of its time.
enum LaneTranspose {
    typealias V = SIMD8<Float>

    static func transpose(_ rows: UnsafePointer<Float>, rowStride: Int, count: Int, into lanes: UnsafeMutablePointer<Float>) {
        let source = UnsafeRawPointer(rows), target = UnsafeMutableRawPointer(lanes)
        var k = 0
        while k + 8 <= count {
            @inline(__always) func row(_ f: Int) -> V { source.loadUnaligned(fromByteOffset: 4 * (f * rowStride + k), as: V.self) }
            let t = Transpose8x8.rows((row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)))
            let base = 4 * 8 * k
            target.storeBytes(of: t.0, toByteOffset: base, as: V.self)
            target.storeBytes(of: t.1, toByteOffset: base + 32, as: V.self)
            target.storeBytes(of: t.2, toByteOffset: base + 64, as: V.self)
            target.storeBytes(of: t.3, toByteOffset: base + 96, as: V.self)
            target.storeBytes(of: t.4, toByteOffset: base + 128, as: V.self)
            target.storeBytes(of: t.5, toByteOffset: base + 160, as: V.self)
            target.storeBytes(of: t.6, toByteOffset: base + 192, as: V.self)
            target.storeBytes(of: t.7, toByteOffset: base + 224, as: V.self)
            k += 8
        }
        for k in k..<count {
            for f in 0..<8 { lanes[k * 8 + f] = rows[f * rowStride + k] }
        }
    }
}
