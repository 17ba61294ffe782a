/// Engine's depthwise 3×3 sliding kernel for CPUs with AVX-512: one output row's interior
/// columns, 16 channels per register with their nine weights held in registers. (Four output
/// columns per step, sharing loaded inputs, ran slower: their 18 addresses spilled.)
public enum DepthwiseRows {
    typealias V = SIMD16<Float>

    /// target[j, c] (+)= Σ rows[kh][(j·s − p + kw), c] · weight[kh·3 + kw, c] for j in `columns` and
    /// the first `channels` (a multiple of 16) channels; pixels are `pixelStride` floats apart
    /// and so are the nine weight taps. A row with `inside` false lies in the padding: it is
    /// read (it must be a valid row) with zero weights. With `scale` set, each value becomes
    /// clamp(value·scale[c] + bias[c], lower, upper) before it is stored.
    @inline(never)
    public static func slidingRow(top: UnsafePointer<Float>, middle: UnsafePointer<Float>, bottom: UnsafePointer<Float>,
                                  inside: (Bool, Bool, Bool), weight: UnsafePointer<Float>, channels: Int, pixelStride: Int,
                                  stride: Int, padding: Int, columns: Range<Int>, target: UnsafeMutablePointer<Float>, accumulate: Bool,
                                  scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, lower: Float, upper: Float) {
        for c in Swift.stride(from: 0, to: channels, by: 16) {
            if let scale, let bias {
                let epilogue = Affine(scale: load(scale, c), bias: load(bias, c), lower: lower, upper: upper)
                block(top + c, middle + c, bottom + c, inside, weight + c, pixelStride, stride, padding, columns, target + c, accumulate, epilogue)
            } else {
                block(top + c, middle + c, bottom + c, inside, weight + c, pixelStride, stride, padding, columns, target + c, accumulate, Identity())
            }
        }
    }

    /// Sixteen channels (from the pointers' first) of the row; `finish` is applied before each store.
    @inline(__always)
    static func block<Finish: VectorFinish>(_ top: UnsafePointer<Float>, _ middle: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>,
                                            _ inside: (Bool, Bool, Bool), _ weight: UnsafePointer<Float>, _ ps: Int, _ stride: Int,
                                            _ padding: Int, _ columns: Range<Int>, _ target: UnsafeMutablePointer<Float>,
                                            _ accumulate: Bool, _ finish: Finish) {
        let (w00, w01, w02) = inside.0 ? (load(weight, 0), load(weight, ps), load(weight, 2 * ps)) : (V(), V(), V())
        let (w10, w11, w12) = inside.1 ? (load(weight, 3 * ps), load(weight, 4 * ps), load(weight, 5 * ps)) : (V(), V(), V())
        let (w20, w21, w22) = inside.2 ? (load(weight, 6 * ps), load(weight, 7 * ps), load(weight, 8 * ps)) : (V(), V(), V())
        for j in columns {
            let x = (j * stride - padding) * ps
            var sum = V()
            sum = sum.addingProduct(load(top, x), w00)
            sum = sum.addingProduct(load(top, x + ps), w01)
            sum = sum.addingProduct(load(top, x + 2 * ps), w02)
            sum = sum.addingProduct(load(middle, x), w10)
            sum = sum.addingProduct(load(middle, x + ps), w11)
            sum = sum.addingProduct(load(middle, x + 2 * ps), w12)
            sum = sum.addingProduct(load(bottom, x), w20)
            sum = sum.addingProduct(load(bottom, x + ps), w21)
            sum = sum.addingProduct(load(bottom, x + 2 * ps), w22)
            store(sum, target + j * ps, accumulate, finish)
        }
    }

    @_transparent
    static func load(_ p: UnsafePointer<Float>, _ offset: Int) -> V { load16(p + offset) }

    /// Stores one output vector: added to what is there, then finished.
    @_transparent
    static func store<Finish: VectorFinish>(_ value: V, _ target: UnsafeMutablePointer<Float>, _ accumulate: Bool, _ finish: Finish) {
        let value = accumulate ? value + load(target, 0) : value
        UnsafeMutableRawPointer(target).storeBytes(of: finish(value), as: V.self)
    }
}
