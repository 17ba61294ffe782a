extension Tape {
    /// ShuffleNet's channel shuffle on the last axis: with C = groups·k, output channel
    /// j·groups + i is input channel i·k + j (PyTorch's view–transpose–view).
    public func channelShuffle(_ x: Tensor, groups: Int) -> Tensor {
        let channels = x.shape.last!
        precondition(channels % groups == 0, "channel shuffle: \(channels) channels, \(groups) groups")
        let perGroup = channels / groups
        let source = (0..<channels).map { output in (output % groups) * perGroup + output / groups }
        return gatherChannels([x], sources: source.map { (0, $0) })
    }

    /// Joins tensors along the last (channel) axis.
    public func concatChannels(_ tensors: [Tensor]) -> Tensor {
        precondition(!tensors.isEmpty && tensors.allSatisfy { $0.shape.dropLast() == tensors[0].shape.dropLast() },
                     "concat: shapes \(tensors.map(\.shape)) differ outside the channel axis")
        let sources = tensors.enumerated().flatMap { index, tensor in (0..<tensor.shape.last!).map { (index, $0) } }
        return gatherChannels(tensors, sources: sources)
    }

    /// Cuts the last (channel) axis into consecutive pieces of the given sizes.
    public func splitChannels(_ x: Tensor, sizes: [Int]) -> [Tensor] {
        precondition(sizes.reduce(0, +) == x.shape.last!, "split: sizes \(sizes) do not add up to \(x.shape.last!) channels")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return gatherChannels([x], sources: (start..<start + size).map { (0, $0) })
        }
    }

    /// y[..., c] = inputs[sources[c].input][..., sources[c].channel]; the backward adds each
    /// output channel's gradient to the channel it came from.
    private func gatherChannels(_ inputs: [Tensor], sources: [(input: Int, channel: Int)]) -> Tensor {
        let pixels = inputs[0].count / inputs[0].shape.last!
        let channels = sources.count
        let y = Tensor(uninitialized: Array(inputs[0].shape.dropLast()) + [channels], requiresGrad: needsGradient(inputs))
        let inputChannels = inputs.map { $0.shape.last! }
        let (pointers, output) = (UncheckedSendable(inputs.map { UnsafePointer($0.data) }), UncheckedSendable(y.data))
        Parallel.forEach(pixels, work: y.count, minimumWork: Elementwise.minimumParallelCount) { range in
            for pixel in range {
                let target = output.value + pixel * channels
                for (c, source) in sources.enumerated() {
                    target[c] = pointers.value[source.input][pixel * inputChannels[source.input] + source.channel]
                }
            }
        }
        if y.requiresGrad {
            let nodes = inputs.map { $0.requiresGrad ? $0.node : nil }
            record(y) { dy in
                let gradients = nodes.map { $0?.gradient().data }
                for pixel in 0..<pixels {
                    for (c, source) in sources.enumerated() {
                        guard let gradient = gradients[source.input] else { continue }
                        gradient[pixel * inputChannels[source.input] + source.channel] += dy.data[pixel * channels + c]
                    }
                }
            }
        }
        return y
    }

    func needsGradient(_ inputs: [Tensor]) -> Bool {
        isTraining && inputs.contains(where: \.requiresGrad)
    }
}
