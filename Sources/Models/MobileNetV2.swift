/// MobileNetV2 — Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (2018),
/// Table 2, with torchvision's module names and width rounding: inverted residual blocks
/// (1×1 expansion ×t, ReLU6, 3×3 depthwise, ReLU6, linear 1×1 projection), a residual add when
/// the stride is 1 and the shapes match, and a last 1×1 layer of 1280·max(1, α) channels.
enum MobileNetV2 {
    /// (expansion t, channels c, repeats n, first stride s) per row of Table 2.
    static let table: [(t: Int, c: Int, n: Int, s: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]

    /// torchvision's `_make_divisible`: nearest multiple of 8, never more than 10 % below `value`.
    static func makeDivisible(_ value: Double, divisor: Int = 8) -> Int {
        var rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
        if Double(rounded) < 0.9 * value { rounded += divisor }
        return rounded
    }

    static func network(_ spec: ModelSpec) -> LayerSpec {
        var channels = makeDivisible(32 * spec.width)
        let last = makeDivisible(1280 * max(1, spec.width))
        var features: [LayerSpec] = [.convBN("features.0", spec.inChannels, channels, kernel: 3, stride: 2, activation: .relu6)]
        for row in table {
            let output = makeDivisible(Double(row.c) * spec.width)
            for i in 0..<row.n {
                let stride = i == 0 ? row.s : 1
                features.append(block(index: features.count, input: channels, output: output, stride: stride, expansion: row.t))
                channels = output
            }
        }
        features.append(.convBN("features.\(features.count)", channels, last, kernel: 1, activation: .relu6))
        return .sequence(features + [
            .globalAvgPool, .dropout(spec.dropout), .linear(name: "classifier.1", input: last, output: spec.classes),
        ])
    }

    static func block(index: Int, input: Int, output: Int, stride: Int, expansion: Int) -> LayerSpec {
        let name = "features.\(index).conv"
        let hidden = input * expansion
        var layers: [LayerSpec] = []
        if expansion != 1 {
            layers.append(.convBN("\(name).\(layers.count)", input, hidden, kernel: 1, activation: .relu6))
        }
        layers.append(.convBN("\(name).\(layers.count)", hidden, hidden, kernel: 3, stride: stride, groups: hidden, activation: .relu6))
        let projection = layers.count
        layers.append(.conv(name: "\(name).\(projection)", input: hidden, output: output, kernel: 1, stride: 1, padding: 0, groups: 1, bias: false))
        layers.append(.batchNorm(name: "\(name).\(projection + 1)", channels: output))
        return stride == 1 && input == output ? .residual(layers) : .sequence(layers)
    }
}
