extension Tape {
    /// Average pooling over square windows of NHWC input; padding counts as zeros in the
    /// average (PyTorch's count_include_pad=True), so every window divides by kernel².
    public func averagePool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        let g = ConvolutionGeometry(pooling: x.shape, kernel: kernel, stride: stride, padding: padding)
        let scale = 1 / Float(kernel * kernel)
        let y = Tensor(uninitialized: g.outputShape, requiresGrad: needsGradient(x))
        let (input, output) = (UncheckedSendable(x.data), UncheckedSendable(y.data))
        Pooling.forEachOutputPixel(g) { pixel in
            let target = output.value + pixel * g.inChannels
            target.update(repeating: 0, count: g.inChannels)
            g.forEachTap(pixel: pixel) { _, inputPixel in
                guard let inputPixel else { return }
                let source = input.value + inputPixel * g.inChannels
                for c in 0..<g.inChannels { target[c] += source[c] }
            }
            for c in 0..<g.inChannels { target[c] *= scale }
        }
        if y.requiresGrad {
            let node = x.node
            record(y) { dy in
                let (upstream, dx) = (UncheckedSendable(dy.data), UncheckedSendable(node.gradient().data))
                Pooling.forEachImage(g) { pixel in
                    let gradient = upstream.value + pixel * g.inChannels
                    g.forEachTap(pixel: pixel) { _, inputPixel in
                        guard let inputPixel else { return }
                        let target = dx.value + inputPixel * g.inChannels
                        for c in 0..<g.inChannels { target[c] += gradient[c] * scale }
                    }
                }
            }
        }
        return y
    }

    /// Max pooling over square windows of NHWC input (padding never wins). The gradient goes to
    /// the first maximal element of each window, in PyTorch's scan order.
    public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        let g = ConvolutionGeometry(pooling: x.shape, kernel: kernel, stride: stride, padding: padding)
        let y = Tensor(uninitialized: g.outputShape, requiresGrad: needsGradient(x))
        // Flat input index of each output's maximum, for the backward.
        var winners = [Int32](repeating: 0, count: y.requiresGrad ? y.count : 0)
        let (input, output) = (UncheckedSendable(x.data), UncheckedSendable(y.data))
        winners.withUnsafeMutableBufferPointer { buffer in
            // An empty array's base address is the shared empty-array storage, not nil: record
            // winners only when there is a backward to read them.
            let chosen = UncheckedSendable(y.requiresGrad ? buffer.baseAddress : nil)
            Pooling.forEachOutputPixel(g) { pixel in
                let target = output.value + pixel * g.inChannels
                target.update(repeating: -.infinity, count: g.inChannels)
                g.forEachTap(pixel: pixel) { _, inputPixel in
                    guard let inputPixel else { return }
                    for c in 0..<g.inChannels {
                        let value = input.value[inputPixel * g.inChannels + c]
                        if value > target[c] {
                            target[c] = value
                            chosen.value?[pixel * g.inChannels + c] = Int32(inputPixel * g.inChannels + c)
                        }
                    }
                }
            }
        }
        if y.requiresGrad {
            let node = x.node
            record(y) { dy in
                let (dx, gradient) = (node.gradient().data, dy.data)
                for (index, source) in winners.enumerated() { dx[Int(source)] += gradient[index] }
            }
        }
        return y
    }

    /// Mean over height and width: [N, H, W, C] → [N, C].
    public func globalAveragePool(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4, "global average pool wants NHWC input, got \(x.shape)")
        let (batch, pixels, channels) = (x.shape[0], x.shape[1] * x.shape[2], x.shape[3])
        let scale = 1 / Float(pixels)
        let y = Tensor(zeros: [batch, channels], requiresGrad: needsGradient(x))
        // Images split across threads; each channel's pixels summed in order, as one thread would.
        let (input, output) = (UncheckedSendable(UnsafePointer(x.data)), UncheckedSendable(y.data))
        Parallel.forEach(batch, work: x.count, minimumWork: Elementwise.minimumParallelCount) { images in
            for n in images {
                let target = output.value + n * channels
                for p in 0..<pixels {
                    let source = input.value + (n * pixels + p) * channels
                    for c in 0..<channels { target[c] += source[c] }
                }
                for c in 0..<channels { target[c] *= scale }
            }
        }
        if y.requiresGrad {
            let node = x.node
            record(y) { dy in
                let (dx, fresh) = node.gradientToWrite()
                let (upstream, target) = (UncheckedSendable(UnsafePointer(dy.data)), UncheckedSendable(dx.data))
                Parallel.forEach(batch, work: dx.count, minimumWork: Elementwise.minimumParallelCount) { images in
                    for n in images {
                        let gradient = upstream.value + n * channels
                        for p in 0..<pixels {
                            let row = target.value + (n * pixels + p) * channels
                            // A fresh gradient gets 0 + the share, the bits a zeroed one added to would have.
                            if fresh {
                                for c in 0..<channels { row[c] = 0 + gradient[c] * scale }
                            } else {
                                for c in 0..<channels { row[c] += gradient[c] * scale }
                            }
                        }
                    }
                }
            }
        }
        return y
    }
}
