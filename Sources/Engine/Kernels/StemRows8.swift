/// EngineAVX512's `StemRows` in AVX2 registers: one output row's interior columns of a 3×3
/// convolution of a one-channel input (the stems), 8 output channels at a time with their nine
/// weight vectors held in registers along the row, each input value broadcast into its
/// multiply-add. Pixel by pixel, the nine values were gathered with their bounds checked and
/// every weight reloaded for each pixel. Taps are added in (kh, kw) order, as pixel by pixel:
/// the same bits.
enum StemRows8 {
    typealias V = SIMD8<Float>

    /// target[j·pixelStride + c] = epilogue(Σ rows[kh][j·s − p + kw] · weight[(kh·3 + kw)·pixelStride + c])
    /// for j in `columns` (whose three taps lie inside the row) and the first `channels` (a
    /// multiple of 8) of the convolution's `pixelStride` channels. A row with `inside` false lies
    /// in the padding: it is read (it must be a valid row) with zero weights.
    static func interiorRow(top: UnsafePointer<Float>, middle: UnsafePointer<Float>, bottom: UnsafePointer<Float>,
                            inside: (Bool, Bool, Bool), weight: UnsafePointer<Float>, channels: Int, pixelStride: Int,
                            stride: Int, padding: Int, columns: Range<Int>, target: UnsafeMutablePointer<Float>, epilogue: ChannelEpilogue?) {
        for c in Swift.stride(from: 0, to: channels, by: 8) {
            @inline(__always) func w(_ rowInside: Bool, _ tap: Int) -> V { rowInside ? weight.vector(tap * pixelStride + c) : V() }
            let (w0, w1, w2) = (w(inside.0, 0), w(inside.0, 1), w(inside.0, 2))
            let (w3, w4, w5) = (w(inside.1, 3), w(inside.1, 4), w(inside.1, 5))
            let (w6, w7, w8) = (w(inside.2, 6), w(inside.2, 7), w(inside.2, 8))
            let (scale, bias) = epilogue.map { ($0.scale.vector(c), $0.bias.vector(c)) } ?? (V(repeating: 1), V())
            for j in columns {
                let x = j * stride - padding
                var s = V()
                s = s.addingProduct(V(repeating: top[x]), w0)
                s = s.addingProduct(V(repeating: top[x + 1]), w1)
                s = s.addingProduct(V(repeating: top[x + 2]), w2)
                s = s.addingProduct(V(repeating: middle[x]), w3)
                s = s.addingProduct(V(repeating: middle[x + 1]), w4)
                s = s.addingProduct(V(repeating: middle[x + 2]), w5)
                s = s.addingProduct(V(repeating: bottom[x]), w6)
                s = s.addingProduct(V(repeating: bottom[x + 1]), w7)
                s = s.addingProduct(V(repeating: bottom[x + 2]), w8)
                target.store(epilogue.map { $0(s, scale: scale, bias: bias) } ?? s, at: j * pixelStride + c)
            }
        }
    }
}
