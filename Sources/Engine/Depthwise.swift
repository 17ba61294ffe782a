/// Direct depthwise 3×3 kernels over NHWC data, vectorised across channels (8 per ymm
/// register, scalar tail). Work is split across threads by rows of the tensor each kernel writes.
enum Depthwise {
    typealias V = SIMD8<Float>

    /// y[n, oh, ow, c] = Σ x[n, oh·s − p + kh, ow·s − p + kw, c] · w[kh, kw, c]
    static func forward(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        gather(g, source: x, sourceSize: (g.height, g.width), weight: weight, target: y, targetSize: (g.outHeight, g.outWidth),
               accumulate: false) { output, tap in
            let input = output * g.stride - g.padding + tap
            return input >= 0 ? input : nil
        }
    }

    /// dx[n, ih, iw, c] += Σ dy[n, oh, ow, c] · w[kh, kw, c] over the (oh, ow, kh, kw) that read
    /// (ih, iw): a gather, so each thread owns whole rows of dx and nothing races.
    static func inputGradient(_ g: ConvolutionGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        gather(g, source: dy, sourceSize: (g.outHeight, g.outWidth), weight: weight, target: dx, targetSize: (g.height, g.width),
               accumulate: true) { input, tap in
            let (output, remainder) = (input + g.padding - tap).quotientAndRemainder(dividingBy: g.stride)
            return input + g.padding - tap >= 0 && remainder == 0 ? output : nil
        }
    }

    /// target[n, i, j, c] (+)= Σ source[n, map(i, kh), map(j, kw), c] · w[kh, kw, c] over the taps
    /// whose mapped coordinate exists and lies inside the source. Threads split the target rows.
    @inline(__always)
    private static func gather(_ g: ConvolutionGeometry, source: UnsafePointer<Float>, sourceSize: (height: Int, width: Int),
                               weight: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>, targetSize: (height: Int, width: Int),
                               accumulate: Bool, map: (_ coordinate: Int, _ tap: Int) -> Int?) {
        let (from, to) = (UncheckedSendable(source), UncheckedSendable(target))
        let channels = g.inChannels
        withoutActuallyEscaping(map) { map in
            let sourceCoordinate = UncheckedSendable(map)
            Parallel.forEach(g.batch * targetSize.height, work: g.macs, minimumWork: 1 << 16) { range in
                withTaps { sources, weights in
                    for row in range {
                        let (n, i) = row.quotientAndRemainder(dividingBy: targetSize.height)
                        for j in 0..<targetSize.width {
                            var taps = 0
                            for kh in 0..<3 {
                                guard let si = sourceCoordinate.value(i, kh), si < sourceSize.height else { continue }
                                for kw in 0..<3 {
                                    guard let sj = sourceCoordinate.value(j, kw), sj < sourceSize.width else { continue }
                                    sources[taps] = from.value + ((n * sourceSize.height + si) * sourceSize.width + sj) * channels
                                    weights[taps] = weight + (kh * 3 + kw) * channels
                                    taps += 1
                                }
                            }
                            let pixel = to.value + (row * targetSize.width + j) * channels
                            sumOfProducts(taps, sources, weights, channels: channels, into: pixel, accumulate: accumulate)
                        }
                    }
                }
            }
        }
    }

    /// dw[kh, kw, c] += Σ dy[n, oh, ow, c] · x[n, oh·s − p + kh, ow·s − p + kw, c], with one
    /// partial sum per thread, added up at the end.
    static func weightGradient(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>) {
        let (input, upstream) = (UncheckedSendable(x), UncheckedSendable(dy))
        let channels = g.inChannels
        let chunks = Parallel.ranges(g.batch * g.outHeight, work: g.macs, minimumWork: 1 << 16)
        withScratch(chunks.count * 9 * channels) { partials in
            partials.update(repeating: 0, count: chunks.count * 9 * channels)
            let shared = UncheckedSendable(partials)
            Parallel.forEach(chunks) { chunk, range in
                let partial = shared.value + chunk * 9 * channels
                for row in range {
                    let (n, oh) = row.quotientAndRemainder(dividingBy: g.outHeight)
                    for ow in 0..<g.outWidth {
                        let gradient = upstream.value + ((n * g.outHeight + oh) * g.outWidth + ow) * channels
                        for kh in 0..<3 {
                            let ih = oh * g.stride - g.padding + kh
                            guard ih >= 0 && ih < g.height else { continue }
                            for kw in 0..<3 {
                                let iw = ow * g.stride - g.padding + kw
                                guard iw >= 0 && iw < g.width else { continue }
                                let source = input.value + ((n * g.height + ih) * g.width + iw) * channels
                                multiplyAdd(gradient, source, into: partial + (kh * 3 + kw) * channels, channels: channels)
                            }
                        }
                    }
                }
            }
            for chunk in 0..<chunks.count {
                multiplyAdd(nil, partials + chunk * 9 * channels, into: dw, channels: 9 * channels)
            }
        }
    }

    /// Stack space for up to nine (source, weight) tap pointers.
    @inline(__always)
    private static func withTaps(_ body: (UnsafeMutablePointer<UnsafePointer<Float>>, UnsafeMutablePointer<UnsafePointer<Float>>) -> Void) {
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 9) { sources in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 9) { weights in
                body(sources.baseAddress!, weights.baseAddress!)
            }
        }
    }

    /// target[c] (+)= Σ_t sources[t][c] · weights[t][c] for every channel.
    @inline(__always)
    private static func sumOfProducts(_ taps: Int, _ sources: UnsafeMutablePointer<UnsafePointer<Float>>,
                                      _ weights: UnsafeMutablePointer<UnsafePointer<Float>>, channels: Int,
                                      into target: UnsafeMutablePointer<Float>, accumulate: Bool) {
        var c = 0
        while c + 8 <= channels {
            var sum = accumulate ? target.vector(c) : V()
            for t in 0..<taps { sum = sum.addingProduct(sources[t].vector(c), weights[t].vector(c)) }
            target.store(sum, at: c)
            c += 8
        }
        while c < channels {
            var sum: Float = accumulate ? target[c] : 0
            for t in 0..<taps { sum += sources[t][c] * weights[t][c] }
            target[c] = sum
            c += 1
        }
    }

    /// target[c] += a[c] · b[c] (or += b[c] when a is nil).
    @inline(__always)
    private static func multiplyAdd(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, channels: Int) {
        var c = 0
        if let a {
            while c + 8 <= channels { target.store(target.vector(c).addingProduct(a.vector(c), b.vector(c)), at: c); c += 8 }
            while c < channels { target[c] += a[c] * b[c]; c += 1 }
        } else {
            while c + 8 <= channels { target.store(target.vector(c) + b.vector(c), at: c); c += 8 }
            while c < channels { target[c] += b[c]; c += 1 }
        }
    }
}
