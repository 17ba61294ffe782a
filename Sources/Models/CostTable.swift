/// Per-layer output shapes, multiply-accumulates and parameters of a network, as in the
/// MobileNet paper's Table 2. MACs count convolutions and the classifier (normalisation,
/// activations, pooling and adds are left out, as the papers do); parameters count every
/// trainable weight, BatchNorm's scale and shift included.
public struct CostTable: Sendable {
    public struct Row: Sendable {
        public let name: String
        public let type: String
        /// [channels, height, width], or [features] after pooling.
        public let outputShape: [Int]
        public let macs: Int
        public let parameters: Int
    }

    public let rows: [Row]
    public var totalMACs: Int { rows.reduce(0) { $0 + $1.macs } }
    public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }

    /// Totals per layer type, in first-seen order.
    public var byType: [(type: String, macs: Int, parameters: Int)] {
        var order: [String] = []
        var sums: [String: (Int, Int)] = [:]
        for row in rows where row.macs > 0 || row.parameters > 0 {
            if sums[row.type] == nil { order.append(row.type) }
            sums[row.type, default: (0, 0)].0 += row.macs
            sums[row.type, default: (0, 0)].1 += row.parameters
        }
        return order.map { ($0, sums[$0]!.0, sums[$0]!.1) }
    }

    /// Traces `network` from an input of [channels, height, width].
    public init(network: LayerSpec, input: [Int]) {
        var rows: [Row] = []
        _ = Self.trace(network, input, &rows)
        self.rows = rows
    }

    public init(spec: ModelSpec, height: Int, width: Int) {
        self.init(network: spec.network, input: [spec.inChannels, height, width])
    }

    static func convType(kernel: Int, groups: Int, input: Int) -> String {
        if groups == 1 { return kernel == 1 ? "conv 1×1" : "conv \(kernel)×\(kernel)" }
        if groups == input { return "conv dw \(kernel)×\(kernel)" }
        return kernel == 1 ? "group conv 1×1" : "group conv \(kernel)×\(kernel)"
    }

    /// Output size of a sliding window along one axis.
    static func slide(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (size + 2 * padding - kernel) / stride + 1
    }

    private static func trace(_ layer: LayerSpec, _ shape: [Int], _ rows: inout [Row]) -> [Int] {
        switch layer {
        case let .conv(name, input, output, kernel, stride, padding, groups, bias):
            precondition(shape[0] == input, "\(name): expects \(input) channels, gets \(shape[0])")
            let out = [output, slide(shape[1], kernel: kernel, stride: stride, padding: padding),
                       slide(shape[2], kernel: kernel, stride: stride, padding: padding)]
            let weights = output * (input / groups) * kernel * kernel
            rows.append(Row(name: name, type: convType(kernel: kernel, groups: groups, input: input), outputShape: out,
                            macs: weights * out[1] * out[2], parameters: weights + (bias ? output : 0)))
            return out
        case let .batchNorm(name, channels):
            rows.append(Row(name: name, type: "batch norm", outputShape: shape, macs: 0, parameters: 2 * channels))
            return shape
        case .relu, .relu6, .channelShuffle, .dropout:
            return shape
        case let .sequence(layers):
            return layers.reduce(shape) { trace($1, $0, &rows) }
        case let .residual(layers):
            let out = layers.reduce(shape) { trace($1, $0, &rows) }
            precondition(out == shape, "residual branch changes the shape \(shape) → \(out)")
            return out
        case let .concat(body, shortcut):
            let a = body.reduce(shape) { trace($1, $0, &rows) }
            let b = shortcut.reduce(shape) { trace($1, $0, &rows) }
            precondition(a.dropFirst() == b.dropFirst(), "concat of \(a) and \(b)")
            return [a[0] + b[0]] + a.dropFirst()
        case let .maxPool(kernel, stride, padding), let .avgPool(kernel, stride, padding):
            return [shape[0], slide(shape[1], kernel: kernel, stride: stride, padding: padding),
                    slide(shape[2], kernel: kernel, stride: stride, padding: padding)]
        case .globalAvgPool:
            return [shape[0]]
        case let .linear(name, input, output):
            precondition(shape == [input], "\(name): expects [\(input)], gets \(shape)")
            rows.append(Row(name: name, type: "fully connected", outputShape: [output], macs: input * output,
                            parameters: input * output + output))
            return [output]
        }
    }
}
