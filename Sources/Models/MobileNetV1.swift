/// MobileNetV1 — Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
/// Vision Applications" (2017), Table 1: a 3×3 convolution, 13 depthwise-separable blocks, global
/// average pooling and a classifier; BN + ReLU after every convolution. The table's second
/// "dw/s2" at 7×7 is a typo: that block has stride 1, as in TF-slim's reference definition.
enum MobileNetV1 {
    /// (output channels, stride) of the 13 depthwise-separable blocks.
    static let blocks: [(channels: Int, stride: Int)] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
        (1024, 2), (1024, 1),
    ]

    static func network(_ spec: ModelSpec) -> LayerSpec {
        // Width α scales every layer: int(c · α), at least 8 channels.
        func scaled(_ c: Int) -> Int { max(8, Int(Double(c) * spec.width)) }
        var channels = scaled(32)
        var features: [LayerSpec] = [.convBN("features.0", spec.inChannels, channels, kernel: 3, stride: 2, activation: .relu)]
        for (index, block) in blocks.enumerated() {
            let output = scaled(block.channels)
            let name = "features.\(index + 1).conv"
            features.append(.sequence([
                .convBN("\(name).0", channels, channels, kernel: 3, stride: block.stride, groups: channels, activation: .relu),
                .convBN("\(name).1", channels, output, kernel: 1, activation: .relu),
            ]))
            channels = output
        }
        return .sequence(features + [
            .globalAvgPool, .dropout(spec.dropout), .linear(name: "classifier.1", input: channels, output: spec.classes),
        ])
    }
}
