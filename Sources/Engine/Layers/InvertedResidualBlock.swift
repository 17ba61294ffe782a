/// The layers of one MobileNetV2 inverted residual — [1×1 conv, BN, ReLU6] (absent when the
/// expansion is 1), 3×3 depthwise conv, BN, ReLU6, 1×1 conv, BN — recognised by `Sequential`,
/// whose evaluation then runs them as one `FusedInvertedResidual` when the expanded activation
/// is too large to stay in cache, or when fewer samples than threads would make the threads meet
/// after each op. Training keeps the separate ops (they have backwards).
final class InvertedResidualBlock {
    let expand: (conv: Conv2D, norm: BatchNorm)?
    let depthwise: (conv: Conv2D, norm: BatchNorm)
    let project: (conv: Conv2D, norm: BatchNorm)

    /// Per-sample expanded values from which the fused block is faster than the separate ops
    /// (smaller activations stay in cache anyway): at 128×128, every MobileNetV2 block, down to
    /// the 4×4 ones with 960 hidden channels (15 K values). With the 1×1 weights packed at load,
    /// the separate ops save no packing, and the 8×8 blocks' expanded values (1.5 MB for 16
    /// windows at 8×8×384) went through memory: fused, batch 32 on one thread 0.978–0.998 of the
    /// time (2^13 against 2^15).
    static let fusedFromValues = 1 << 13

    init?(_ nested: [any Layer]) {
        // The networks nest each conv + BN + activation in a Sequential of its own.
        func flattened(_ layers: [any Layer]) -> [any Layer] { layers.flatMap { ($0 as? Sequential).map { flattened($0.layers) } ?? [$0] } }
        let layers = flattened(nested)
        func pointwise(_ layer: any Layer) -> Conv2D? {
            guard let conv = layer as? Conv2D, conv.weight.value.shape[0] == 1, conv.stride == 1, conv.padding == 0, conv.groups == 1 else { return nil }
            return conv
        }
        if layers.count == 8, let conv = pointwise(layers[0]), let norm = layers[1] as? BatchNorm, layers[2] is ReLU6 {
            expand = (conv, norm)
        } else if layers.count == 5 {
            expand = nil
        } else {
            return nil
        }
        let parts = Array(layers.suffix(5))
        guard let filter = parts[0] as? Conv2D, let filterNorm = parts[1] as? BatchNorm, parts[2] is ReLU6,
              let projection = pointwise(parts[3]), let projectionNorm = parts[4] as? BatchNorm else { return nil }
        let hidden = filter.weight.value.shape[3]
        guard filter.weight.value.shape == [3, 3, 1, hidden], filter.groups == hidden, filter.padding == 1, filter.stride <= 2,
              projection.weight.value.shape[2] == hidden, expand.map({ $0.conv.weight.value.shape[3] == hidden }) ?? true else { return nil }
        depthwise = (filter, filterNorm)
        project = (projection, projectionNorm)
    }

    var hidden: Int { depthwise.conv.weight.value.shape[3] }

    /// Input rows from which a batch smaller than the thread count runs fused with each sample's
    /// rows split among the threads. Below it the halo rows each share expands again and the
    /// weights every thread reads outweigh the cache it saves: one MobileNetV2 window's time,
    /// separate ops → fused blocks split from 16 rows, 0.965 (median of seven runs, 0.96–1.04);
    /// from 8 rows, 0.99–1.04. Below it the threads split the hidden channels instead.
    static let splitFromRows = 16

    /// Whether a batch smaller than the thread count, of fewer rows than `splitFromRows`, runs
    /// with the hidden channels split among the threads: two meetings of the threads instead of
    /// three. One MobileNetV2 window (its 8×8 and 4×4 blocks), separate ops → split channels:
    /// 0.92, 0.94, 0.93, 0.91, 0.95 of the time (alternating processes, medians of 300 windows);
    /// for the 16×16 blocks too, instead of their rows, 1.01.
    func splitsChannels(_ shape: [Int]) -> Bool {
        expand != nil && shape[0] < Parallel.threadCount && shape[1] < Self.splitFromRows
    }

    /// Whether evaluating an NHWC input of `shape` fused pays.
    func fuses(_ shape: [Int]) -> Bool {
        guard shape.count == 4 && shape[3] == (expand?.conv.weight.value.shape[2] ?? hidden) && shape[0] > 0 else { return false }
        return splitsChannels(shape) || (shape[1] * shape[2] * hidden >= Self.fusedFromValues
            && (shape[0] >= Parallel.threadCount || shape[1] >= Self.splitFromRows))
    }

    /// The geometry of `stem` on `x` when its output feeds this block fused (see
    /// `FusedInvertedResidual.Stem`): a 3×3 convolution of a one-channel input into a block
    /// without expansion, whose evaluation fuses.
    func fusedStemGeometry(_ stem: Conv2D, on x: Tensor) -> ConvolutionGeometry? {
        let weight = stem.weight.value.shape
        guard expand == nil, x.shape.count == 4, x.shape[3] == 1, weight == [3, 3, 1, hidden], stem.groups == 1 else { return nil }
        let g = ConvolutionGeometry(input: x.shape, weight: weight, stride: stem.stride, padding: stem.padding, groups: 1)
        return fuses(g.outputShape) ? g : nil
    }

    /// The block's evaluation-mode output (plus `x` when `addingInput`), fused, reading the 1×1
    /// weights from `packedWeights` when given. With a `stem` (its geometry from
    /// `fusedStemGeometry`), `x` is the stem's input, and the stem's output rows are computed
    /// tile by tile.
    func evaluate(_ x: Tensor, addingInput: Bool, packedWeights: PackedWeights?,
                  stem: (conv: Conv2D, norm: BatchNorm, geometry: ConvolutionGeometry)? = nil) -> Tensor {
        let input = stem?.geometry.outputShape ?? x.shape
        let (inChannels, outChannels, stride) = (input[3], project.conv.weight.value.shape[3], depthwise.conv.stride)
        precondition(!addingInput || (stride == 1 && inChannels == outChannels), "a residual block keeps its shape")
        let norms = [expand?.norm, depthwise.norm, project.norm, stem?.norm]
        return withScratch(norms.reduce(0) { $0 + 2 * ($1?.weight.value.count ?? 0) }) { coefficients in
            // Each norm's scale, then its bias, folded as conv2dBatchNorm folds them.
            var stages: [ChannelEpilogue?] = []
            var offset = 0
            let uppers: [Float?] = [6, 6, nil, 6]
            for (norm, upper) in zip(norms, uppers) {
                guard let norm else { stages.append(nil); continue }
                let (scale, shift) = foldedBatchNorm(weight: norm.weight.value, bias: norm.bias.value, runningMean: norm.runningMean.value,
                                                     runningVariance: norm.runningVariance.value, epsilon: norm.epsilon, keptIn: packedWeights,
                                                     scratch: coefficients + offset)
                stages.append(ChannelEpilogue(scale: scale, bias: shift, upper: upper))
                offset += 2 * norm.weight.value.count
            }
            var block = FusedInvertedResidual(
                expand: expand.map { .init(weight: $0.conv.weight.value.data, epilogue: stages[0]!, packed: packedWeights?.packed($0.conv.weight.value)) },
                depthwise: .init(weight: depthwise.conv.weight.value.data, epilogue: stages[1]!),
                project: .init(weight: project.conv.weight.value.data, epilogue: stages[2]!, packed: packedWeights?.packed(project.conv.weight.value)),
                inChannels: inChannels, hidden: hidden, outChannels: outChannels, stride: stride, addsInput: addingInput)
            if let stem {
                block.stem = .init(geometry: stem.geometry, weight: stem.conv.weight.value.data, epilogue: stages[3]!)
            }
            let (height, width) = block.outputSize(height: input[1], width: input[2])
            let y = Tensor(uninitialized: [input[0], height, width, outChannels])
            if splitsChannels(input) {
                block.forwardSplittingChannels(x: x.data, batch: input[0], height: input[1], width: input[2], y: y.data)
            } else {
                block.forward(x: x.data, batch: input[0], height: input[1], width: input[2], y: y.data)
            }
            return y
        }
    }
}
