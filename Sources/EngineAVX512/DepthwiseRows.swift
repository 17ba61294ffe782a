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

    /// sums[(kh·3 + kw)·pixelStride + c] += Σ_j gradientRow[j·pixelStride + c] ·
    /// rows[kh][(j·s − p + kw)·pixelStride + c] over j in `columns` (whose taps lie inside the
    /// rows), for the first `channels` (a multiple of 16) channels: a depthwise weight gradient's
    /// share of one output row, each of the nine sums in a register along the row. A row with
    /// `inside` false lies in the padding: it is read (it must be a valid row) and its sums dropped.
    @inline(never)
    public static func slidingProducts(top: UnsafePointer<Float>, middle: UnsafePointer<Float>, bottom: UnsafePointer<Float>,
                                       inside: (Bool, Bool, Bool), gradientRow: UnsafePointer<Float>, channels: Int, pixelStride ps: Int,
                                       stride: Int, padding: Int, columns: Range<Int>, sums: UnsafeMutablePointer<Float>) {
        for c in Swift.stride(from: 0, to: channels, by: 16) {
            var (s00, s01, s02, s10, s11, s12) = (V(), V(), V(), V(), V(), V())
            var (s20, s21, s22) = (V(), V(), V())
            for j in columns {
                let x = (j * stride - padding) * ps + c
                let gradient = load(gradientRow, j * ps + c)
                s00 = s00.addingProduct(load(top, x), gradient)
                s01 = s01.addingProduct(load(top, x + ps), gradient)
                s02 = s02.addingProduct(load(top, x + 2 * ps), gradient)
                s10 = s10.addingProduct(load(middle, x), gradient)
                s11 = s11.addingProduct(load(middle, x + ps), gradient)
                s12 = s12.addingProduct(load(middle, x + 2 * ps), gradient)
                s20 = s20.addingProduct(load(bottom, x), gradient)
                s21 = s21.addingProduct(load(bottom, x + ps), gradient)
                s22 = s22.addingProduct(load(bottom, x + 2 * ps), gradient)
            }
            @inline(__always) func add(_ rowInside: Bool, _ tap: Int, _ value: V) {
                if rowInside { store(value, sums + tap * ps + c, true, Identity()) }
            }
            add(inside.0, 0, s00); add(inside.0, 1, s01); add(inside.0, 2, s02)
            add(inside.1, 3, s10); add(inside.1, 4, s11); add(inside.1, 5, s12)
            add(inside.2, 6, s20); add(inside.2, 7, s21); add(inside.2, 8, s22)
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
