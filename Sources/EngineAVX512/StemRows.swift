/// Engine's 3×3 convolution of a one-channel input (the stems) for CPUs with AVX-512: one output
/// row's interior columns, 16 or 32 output channels at a time with their nine weight rows held
/// in registers, each input value broadcast once into every channel's multiply-add. (The AVX2
/// kernel, with sixteen registers, reloads its weights for every pixel.)
public enum StemRows {
    typealias V = SIMD16<Float>

    /// target[j·pixelStride + c] = Σ rows[kh][j·s − p + kw] · weight[(kh·3 + kw)·pixelStride + c]
    /// for j in `columns` (whose three taps lie inside the row) and the first `channels` (a
    /// multiple of 16) of the convolution's `pixelStride` channels, taps added in (kh, kw) order.
    /// A row with `inside` false lies in the padding: it is read (it must be a valid row) with
    /// zero weights. With `scale` set, each value becomes clamp(value·scale[c] + bias[c], lower, upper).
    @inline(never)
    public static func interiorRow(top: UnsafePointer<Float>, middle: UnsafePointer<Float>, bottom: UnsafePointer<Float>,
                                   inside: (Bool, Bool, Bool), weight: UnsafePointer<Float>, channels: Int, pixelStride: Int,
                                   stride: Int, padding: Int, columns: Range<Int>, target: UnsafeMutablePointer<Float>,
                                   scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, lower: Float, upper: Float) {
        let rows = (top, middle, bottom)
        var c = 0
        while c + 32 <= channels {
            if let scale, let bias {
                let finish = (Affine(scale: load16(scale + c), bias: load16(bias + c), lower: lower, upper: upper),
                              Affine(scale: load16(scale + c + 16), bias: load16(bias + c + 16), lower: lower, upper: upper))
                pair(rows, inside, weight + c, pixelStride, stride, padding, columns, target + c, finish)
            } else {
                pair(rows, inside, weight + c, pixelStride, stride, padding, columns, target + c, (Identity(), Identity()))
            }
            c += 32
        }
        if c + 16 <= channels {
            if let scale, let bias {
                let finish = Affine(scale: load16(scale + c), bias: load16(bias + c), lower: lower, upper: upper)
                single(rows, inside, weight + c, pixelStride, stride, padding, columns, target + c, finish)
            } else {
                single(rows, inside, weight + c, pixelStride, stride, padding, columns, target + c, Identity())
            }
        }
    }

    /// The nine weight vectors of sixteen channels from `weight`'s first, zero in padding rows.
    @inline(__always)
    static func weights(_ weight: UnsafePointer<Float>, _ pixelStride: Int, _ inside: (Bool, Bool, Bool))
        -> (V, V, V, V, V, V, V, V, V) {
        @inline(__always) func w(_ rowInside: Bool, _ tap: Int) -> V { rowInside ? load16(weight + tap * pixelStride) : V() }
        return (w(inside.0, 0), w(inside.0, 1), w(inside.0, 2), w(inside.1, 3), w(inside.1, 4), w(inside.1, 5),
                w(inside.2, 6), w(inside.2, 7), w(inside.2, 8))
    }

    /// Thirty-two channels: two accumulators, eighteen weight registers.
    @inline(__always)
    static func pair<Finish: VectorFinish>(_ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                                           _ inside: (Bool, Bool, Bool), _ weight: UnsafePointer<Float>, _ pixelStride: Int,
                                           _ stride: Int, _ padding: Int, _ columns: Range<Int>,
                                           _ target: UnsafeMutablePointer<Float>, _ finish: (Finish, Finish)) {
        let a = weights(weight, pixelStride, inside)
        let b = weights(weight + 16, pixelStride, inside)
        for j in columns {
            let x = j * stride - padding
            var (s, t) = (V(), V())
            @inline(__always) func tap(_ value: Float, _ u: V, _ v: V) {
                let broadcast = V(repeating: value)
                s = s.addingProduct(broadcast, u)
                t = t.addingProduct(broadcast, v)
            }
            tap(rows.0[x], a.0, b.0); tap(rows.0[x + 1], a.1, b.1); tap(rows.0[x + 2], a.2, b.2)
            tap(rows.1[x], a.3, b.3); tap(rows.1[x + 1], a.4, b.4); tap(rows.1[x + 2], a.5, b.5)
            tap(rows.2[x], a.6, b.6); tap(rows.2[x + 1], a.7, b.7); tap(rows.2[x + 2], a.8, b.8)
            let output = target + j * pixelStride
            UnsafeMutableRawPointer(output).storeBytes(of: finish.0(s), as: V.self)
            UnsafeMutableRawPointer(output + 16).storeBytes(of: finish.1(t), as: V.self)
        }
    }

    /// Sixteen channels.
    @inline(__always)
    static func single<Finish: VectorFinish>(_ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                                             _ inside: (Bool, Bool, Bool), _ weight: UnsafePointer<Float>, _ pixelStride: Int,
                                             _ stride: Int, _ padding: Int, _ columns: Range<Int>,
                                             _ target: UnsafeMutablePointer<Float>, _ finish: Finish) {
        let a = weights(weight, pixelStride, inside)
        for j in columns {
            let x = j * stride - padding
            var s = V()
            s = s.addingProduct(V(repeating: rows.0[x]), a.0)
            s = s.addingProduct(V(repeating: rows.0[x + 1]), a.1)
            s = s.addingProduct(V(repeating: rows.0[x + 2]), a.2)
            s = s.addingProduct(V(repeating: rows.1[x]), a.3)
            s = s.addingProduct(V(repeating: rows.1[x + 1]), a.4)
            s = s.addingProduct(V(repeating: rows.1[x + 2]), a.5)
            s = s.addingProduct(V(repeating: rows.2[x]), a.6)
            s = s.addingProduct(V(repeating: rows.2[x + 1]), a.7)
            s = s.addingProduct(V(repeating: rows.2[x + 2]), a.8)
            UnsafeMutableRawPointer(target + j * pixelStride).storeBytes(of: finish(s), as: V.self)
        }
    }
}
