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
    /// output channel's gradient to the channel it came from. Consecutive channels are copied
    /// as runs, and pixels are split across threads.
    private func gatherChannels(_ inputs: [Tensor], sources: [(input: Int, channel: Int)]) -> Tensor {
        let pixels = inputs[0].count / inputs[0].shape.last!
        let channels = sources.count
        let y = Tensor(uninitialized: Array(inputs[0].shape.dropLast()) + [channels], requiresGrad: needsGradient(inputs))
        let runs = ChannelRun.runs(sources)
        let widths = inputs.map { $0.shape.last! }
        ChannelRun.copy(runs, pixels: pixels, inputs: inputs.map(\.data), widths: widths, output: y.data, width: channels)
        if y.requiresGrad {
            let nodes = inputs.map { $0.requiresGrad ? $0.node : nil }
            record(y) { dy in
                let gradients = nodes.map { $0?.gradient().data }
                ChannelRun.accumulate(runs, pixels: pixels, from: dy.data, width: channels, into: gradients, widths: widths)
            }
        }
        return y
    }
}

/// `length` consecutive channels of one input that land consecutively in the output.
struct ChannelRun {
    let input: Int
    let source: Int
    let target: Int
    var length: Int

    static func runs(_ sources: [(input: Int, channel: Int)]) -> [ChannelRun] {
        var runs: [ChannelRun] = []
        for (target, source) in sources.enumerated() {
            if let last = runs.last, last.input == source.input, last.source + last.length == source.channel {
                runs[runs.count - 1].length += 1
            } else {
                runs.append(ChannelRun(input: source.input, source: source.channel, target: target, length: 1))
            }
        }
        return runs
    }

    static func copy(_ runs: [ChannelRun], pixels: Int, inputs: [UnsafeMutablePointer<Float>], widths: [Int],
                     output: UnsafeMutablePointer<Float>, width: Int) {
        let shared = UncheckedSendable((inputs, output))
        Parallel.forEach(pixels, work: pixels * width, minimumWork: Elementwise.minimumParallelCount) { range in
            let (inputs, output) = shared.value
            for pixel in range {
                for run in runs {
                    let (from, to) = (inputs[run.input] + pixel * widths[run.input] + run.source, output + pixel * width + run.target)
                    for c in 0..<run.length { to[c] = from[c] }
                }
            }
        }
    }

    /// The adjoint of `copy`: gradients of inputs that need none are nil.
    static func accumulate(_ runs: [ChannelRun], pixels: Int, from output: UnsafeMutablePointer<Float>, width: Int,
                           into inputs: [UnsafeMutablePointer<Float>?], widths: [Int]) {
        let shared = UncheckedSendable((inputs, output))
        Parallel.forEach(pixels, work: pixels * width, minimumWork: Elementwise.minimumParallelCount) { range in
            let (inputs, output) = shared.value
            for pixel in range {
                for run in runs {
                    guard let input = inputs[run.input] else { continue }
                    let (to, from) = (input + pixel * widths[run.input] + run.source, output + pixel * width + run.target)
                    for c in 0..<run.length { to[c] += from[c] }
                }
            }
        }
    }
}
