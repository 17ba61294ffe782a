/// Engine's depthwise 3×3 sliding kernels for CPUs with AVX-512: 16 channels per register, with
/// their nine weights (or nine sums, for the weight gradient) held in registers along a row.
public enum DepthwiseRows {
    typealias V = SIMD16<Float>

    /// target[i][j, c] (+)= Σ sources[3i + kh][j·s − p + kw, c] · weight[kh·3 + kw, c] for `count`
    /// target rows of `targetWidth` columns (`targetRowStride` floats apart), stride 1 or 2, and
    /// the first `channels` (a multiple of 16) channels; source columns outside `sourceWidth`
    /// read zero. `sources` holds each target row's three source rows, nil in the padding.
    /// Pixels are `pixelStride` floats apart and so are the nine weight taps. With `scale` set,
    /// each value becomes clamp(value·scale[c] + bias[c], lower, upper) before it is stored.
    ///
    /// The loop runs each block of 16 channels through all `count` rows before the next: a
    /// block's lines of a source row (one per pixel) are then still in the first-level cache when
    /// the next target row reads them, so each comes from the second-level cache once, not three
    /// times. Along a row the window slides in registers: a target column loads one new source
    /// column (two at stride 2) instead of three.
    @inline(never)
    public static func slidingRows(_ sources: UnsafePointer<UnsafePointer<Float>?>, count: Int, weight: UnsafePointer<Float>, channels: Int,
                                   pixelStride: Int, stride: Int, padding: Int, sourceWidth: Int, targetWidth: Int,
                                   target: UnsafeMutablePointer<Float>, targetRowStride: Int, accumulate: Bool,
                                   scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, lower: Float, upper: Float) {
        precondition(stride == 1 || stride == 2, "the sliding window steps one or two columns")
        for c in Swift.stride(from: 0, to: channels, by: 16) {
            for i in 0..<count {
                let rows = (sources[3 * i], sources[3 * i + 1], sources[3 * i + 2])
                let present = (rows.0 ?? rows.1 ?? rows.2)! + c
                let (top, middle, bottom) = (rows.0.map { $0 + c } ?? present, rows.1.map { $0 + c } ?? present, rows.2.map { $0 + c } ?? present)
                let window = Window(top: top, middle: middle, bottom: bottom, inside: (rows.0 != nil, rows.1 != nil, rows.2 != nil),
                                    weight: weight + c, ps: pixelStride, padding: padding, sourceWidth: sourceWidth)
                let row = target + i * targetRowStride + c
                if let scale, let bias {
                    let epilogue = Affine(scale: load(scale, c), bias: load(bias, c), lower: lower, upper: upper)
                    stride == 1 ? window.slide(targetWidth, row, accumulate, epilogue) : window.slide2(targetWidth, row, accumulate, epilogue)
                } else {
                    stride == 1 ? window.slide(targetWidth, row, accumulate, Identity()) : window.slide2(targetWidth, row, accumulate, Identity())
                }
            }
        }
    }

    /// Sixteen channels of three source rows under a 3×3 window, and its nine weights.
    struct Window {
        let top, middle, bottom: UnsafePointer<Float>
        let ps, padding, sourceWidth: Int
        let w00, w01, w02, w10, w11, w12, w20, w21, w22: V

        /// A row with `inside` false lies in the padding: it is read (it must be a valid row)
        /// with zero weights.
        @inline(__always)
        init(top: UnsafePointer<Float>, middle: UnsafePointer<Float>, bottom: UnsafePointer<Float>, inside: (Bool, Bool, Bool),
             weight: UnsafePointer<Float>, ps: Int, padding: Int, sourceWidth: Int) {
            (self.top, self.middle, self.bottom, self.ps, self.padding, self.sourceWidth) = (top, middle, bottom, ps, padding, sourceWidth)
            (w00, w01, w02) = inside.0 ? (load(weight, 0), load(weight, ps), load(weight, 2 * ps)) : (V(), V(), V())
            (w10, w11, w12) = inside.1 ? (load(weight, 3 * ps), load(weight, 4 * ps), load(weight, 5 * ps)) : (V(), V(), V())
            (w20, w21, w22) = inside.2 ? (load(weight, 6 * ps), load(weight, 7 * ps), load(weight, 8 * ps)) : (V(), V(), V())
        }

        /// Source column `column` of the three rows; zero outside the row.
        @inline(__always)
        func column(_ column: Int) -> (V, V, V) {
            guard column >= 0 && column < sourceWidth else { return (V(), V(), V()) }
            let x = column * ps
            return (load(top, x), load(middle, x), load(bottom, x))
        }

        /// The nine products of three consecutive source columns, added in (kh, kw) order from zero.
        @inline(__always)
        func sum(_ a: (V, V, V), _ b: (V, V, V), _ c: (V, V, V)) -> V {
            var sum = V()
            sum = sum.addingProduct(a.0, w00)
            sum = sum.addingProduct(b.0, w01)
            sum = sum.addingProduct(c.0, w02)
            sum = sum.addingProduct(a.1, w10)
            sum = sum.addingProduct(b.1, w11)
            sum = sum.addingProduct(c.1, w12)
            sum = sum.addingProduct(a.2, w20)
            sum = sum.addingProduct(b.2, w21)
            sum = sum.addingProduct(c.2, w22)
            return sum
        }

        /// Stride 1: target column j reads source columns j − p + 0...2.
        @inline(__always)
        func slide<Finish: VectorFinish>(_ width: Int, _ target: UnsafeMutablePointer<Float>, _ accumulate: Bool, _ finish: Finish) {
            var (a, b) = (column(-padding), column(1 - padding))
            for j in 0..<width {
                let c = column(j - padding + 2)
                store(sum(a, b, c), target + j * ps, accumulate, finish)
                (a, b) = (b, c)
            }
        }

        /// Stride 2: target column j reads source columns 2j − p + 0...2.
        @inline(__always)
        func slide2<Finish: VectorFinish>(_ width: Int, _ target: UnsafeMutablePointer<Float>, _ accumulate: Bool, _ finish: Finish) {
            var a = column(-padding)
            for j in 0..<width {
                let (b, c) = (column(2 * j - padding + 1), column(2 * j - padding + 2))
                store(sum(a, b, c), target + j * ps, accumulate, finish)
                a = c
            }
        }
    }

    /// One row of a stride-2, padding-1 depthwise convolution's input gradient, the first
    /// `channels` (a multiple of 16) channels: target[j, c] (+)= the products of the taps that
    /// read column j, in (kh, kw) order, as Engine's pixel-by-pixel loop adds them (the same
    /// bits). A target row is read by one row of dy (`first` nil, `second` the kh = 1 row with
    /// the kernel's middle row of weights) or two (kh = 0, which is nil past dy's last row, then
    /// kh = 2, with the top and bottom rows of weights). Column j = 2q reads dy's column q
    /// (kw = 1); column 2q + 1 reads q + 1 (kw = 0, inside dy) and q (kw = 2). Dy's columns slide
    /// in registers: one load a row for two target columns.
    @inline(never)
    public static func transposedRow2(first: UnsafePointer<Float>?, second: UnsafePointer<Float>, weights: (first: UnsafePointer<Float>, second: UnsafePointer<Float>),
                                      channels: Int, pixelStride ps: Int, sourceWidth: Int, targetWidth: Int,
                                      target: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for c in Swift.stride(from: 0, to: channels, by: 16) {
            let (b0, b1, b2) = (load(weights.second, c), load(weights.second, ps + c), load(weights.second, 2 * ps + c))
            if let first {
                let (a0, a1, a2) = (load(weights.first, c), load(weights.first, ps + c), load(weights.first, 2 * ps + c))
                var (x, y) = (load(first, c), load(second, c))
                for q in 0..<(targetWidth + 1) / 2 {
                    let even = target + 2 * q * ps + c
                    var sum = accumulate ? load(even, 0) : V()
                    sum = sum.addingProduct(x, a1)
                    store(sum.addingProduct(y, b1), even, false, Identity())
                    guard 2 * q + 1 < targetWidth else { break }
                    let odd = even + ps
                    sum = accumulate ? load(odd, 0) : V()
                    if q + 1 < sourceWidth {
                        let (nextX, nextY) = (load(first, (q + 1) * ps + c), load(second, (q + 1) * ps + c))
                        sum = sum.addingProduct(nextX, a0).addingProduct(x, a2)
                        sum = sum.addingProduct(nextY, b0).addingProduct(y, b2)
                        (x, y) = (nextX, nextY)
                    } else {
                        sum = sum.addingProduct(x, a2).addingProduct(y, b2)
                    }
                    store(sum, odd, false, Identity())
                }
            } else {
                var y = load(second, c)
                for q in 0..<(targetWidth + 1) / 2 {
                    let even = target + 2 * q * ps + c
                    store((accumulate ? load(even, 0) : V()).addingProduct(y, b1), even, false, Identity())
                    guard 2 * q + 1 < targetWidth else { break }
                    let odd = even + ps
                    var sum = accumulate ? load(odd, 0) : V()
                    if q + 1 < sourceWidth {
                        let nextY = load(second, (q + 1) * ps + c)
                        sum = sum.addingProduct(nextY, b0).addingProduct(y, b2)
                        y = nextY
                    } else {
                        sum = sum.addingProduct(y, b2)
                    }
                    store(sum, odd, false, Identity())
                }
            }
        }
    }

    /// sums[(kh·3 + kw)·pixelStride + c] += Σ_i Σ_j gradient[i·gradientRowStride + j·pixelStride + c] ·
    /// sources[3i + kh][(j·s − p + kw)·pixelStride + c] for `count` target rows of `targetWidth`
    /// columns, stride 1 or 2, the first `channels` (a multiple of 16) channels: a depthwise
    /// weight gradient's share of a group of output rows. `sources` holds each target row's three
    /// source rows, nil in the padding; source columns outside `sourceWidth` and rows in the
    /// padding add nothing.
    ///
    /// Each block of 16 channels runs through all the rows with its nine sums in registers, so
    /// they are added to `sums` once a group instead of once a row, and the edge columns take
    /// the same loop (zeros outside the row). Along a row the source columns slide in registers
    /// as in the forward: a target column loads one new source column (two at stride 2).
    @inline(never)
    public static func weightGradientRows(_ sources: UnsafePointer<UnsafePointer<Float>?>, count: Int, gradient: UnsafePointer<Float>,
                                          gradientRowStride: Int, channels: Int, pixelStride: Int, stride: Int, padding: Int,
                                          sourceWidth: Int, targetWidth: Int, sums: UnsafeMutablePointer<Float>) {
        precondition(stride == 1 || stride == 2, "the sliding window steps one or two columns")
        for c in Swift.stride(from: 0, to: channels, by: 16) {
            var products = Products()
            for i in 0..<count {
                let rows = (sources[3 * i], sources[3 * i + 1], sources[3 * i + 2])
                let present = (rows.0 ?? rows.1 ?? rows.2)! + c
                let row = ProductRow(top: rows.0.map { $0 + c } ?? present, middle: rows.1.map { $0 + c } ?? present,
                                     bottom: rows.2.map { $0 + c } ?? present, gradient: gradient + i * gradientRowStride + c,
                                     ps: pixelStride, padding: padding, sourceWidth: sourceWidth)
                // Every row inside (all but an image's first and last): the tests folded away.
                let inside = (rows.0 != nil, rows.1 != nil, rows.2 != nil)
                if inside == (true, true, true) {
                    products = row.adding(to: products, targetWidth, stride, (true, true, true))
                } else {
                    products = row.adding(to: products, targetWidth, stride, inside)
                }
            }
            products.add(to: sums + c, ps: pixelStride)
        }
    }

    /// The nine sums of a block of 16 channels, tap (kh, kw) in s[kh][kw].
    struct Products {
        var s00 = V(), s01 = V(), s02 = V(), s10 = V(), s11 = V(), s12 = V(), s20 = V(), s21 = V(), s22 = V()

        /// Adds g times three consecutive source columns (kw = 0, 1, 2), each (top, middle, bottom).
        @inline(__always)
        mutating func add(_ g: V, _ a: (V, V, V), _ b: (V, V, V), _ c: (V, V, V)) {
            s00 = s00.addingProduct(a.0, g); s01 = s01.addingProduct(b.0, g); s02 = s02.addingProduct(c.0, g)
            s10 = s10.addingProduct(a.1, g); s11 = s11.addingProduct(b.1, g); s12 = s12.addingProduct(c.1, g)
            s20 = s20.addingProduct(a.2, g); s21 = s21.addingProduct(b.2, g); s22 = s22.addingProduct(c.2, g)
        }

        @inline(__always)
        func add(to sums: UnsafeMutablePointer<Float>, ps: Int) {
            @inline(__always) func add(_ tap: Int, _ value: V) { store(value, sums + tap * ps, true, Identity()) }
            add(0, s00); add(1, s01); add(2, s02)
            add(3, s10); add(4, s11); add(5, s12)
            add(6, s20); add(7, s21); add(8, s22)
        }
    }

    /// Sixteen channels of one target row of dy and its three source rows.
    struct ProductRow {
        let top, middle, bottom, gradient: UnsafePointer<Float>
        let ps, padding, sourceWidth: Int

        /// Source column `column` of the three rows; zero outside the row and in rows not `inside`.
        @inline(__always)
        func column(_ column: Int, _ inside: (Bool, Bool, Bool)) -> (V, V, V) {
            guard column >= 0 && column < sourceWidth else { return (V(), V(), V()) }
            let x = column * ps
            return (inside.0 ? load(top, x) : V(), inside.1 ? load(middle, x) : V(), inside.2 ? load(bottom, x) : V())
        }

        /// `products` plus the row's, at stride 1 (target column j reads source columns
        /// j − p + 0...2) or 2. Transparent: with `@inline(__always)` it stayed a call, and its
        /// nine sums went through memory on every column.
        @_transparent
        func adding(to products: Products, _ width: Int, _ stride: Int, _ inside: (Bool, Bool, Bool)) -> Products {
            var products = products
            if stride == 1 {
                var (a, b) = (column(-padding, inside), column(1 - padding, inside))
                for j in 0..<width {
                    let c = column(j - padding + 2, inside)
                    products.add(load(gradient, j * ps), a, b, c)
                    (a, b) = (b, c)
                }
            } else {
                var a = column(-padding, inside)
                for j in 0..<width {
                    let (b, c) = (column(2 * j - padding + 1, inside), column(2 * j - padding + 2, inside))
                    products.add(load(gradient, j * ps), a, b, c)
                    a = c
                }
            }
            return products
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
