import Basics

/// Eight rows of values turned into eight lanes: `lanes[k * 8 + f] = rows[f * rowStride + k]`
/// for k < count, so that eight frames' spectra, each computed contiguously, become one SIMD
/// vector per bin. Whole 8×8 blocks go through registers (`Transpose8x8`); written one value
/// at a time, the strided stores cost a 30 s clip's log-mel a third of its time.
enum LaneTranspose {
    static func transpose(_ rows: UnsafePointer<Float>, rowStride: Int, count: Int, into lanes: UnsafeMutablePointer<Float>) {
        var k = 0
        while k + 8 <= count {
            Transpose8x8.copy(from: rows + k, sourceStride: rowStride, to: lanes + 8 * k, targetStride: 8)
            k += 8
        }
        for k in k..<count {
            for f in 0..<8 { lanes[k * 8 + f] = rows[f * rowStride + k] }
        }
    }
}
