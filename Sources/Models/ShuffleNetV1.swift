/// ShuffleNet v1 — Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural Network
/// for Mobile Devices" (2017), Table 1: 3×3 conv s2 to 24 channels, 3×3 max-pool s2, three stages
/// of units, global pooling and a classifier. A unit: group 1×1 conv to out/4 + BN + ReLU, channel
/// shuffle, 3×3 depthwise + BN (no ReLU), group 1×1 conv + BN, then add (stride 1) or concat with
/// a 3×3 s2 average-pooled shortcut (stride 2), and ReLU. Stage 2's first 1×1 is not grouped.
enum ShuffleNetV1 {
    /// Stage 2–4 output channels at scale 1× for each group count.
    static let stageChannels: [Int: [Int]] = [1: [144, 288, 576], 2: [200, 400, 800], 3: [240, 480, 960],
                                              4: [272, 544, 1088], 8: [384, 768, 1536]]
    static let repeats = [4, 8, 4]

    static func network(_ spec: ModelSpec) -> LayerSpec {
        let g = spec.groups
        let widths = (stageChannels[g] ?? stageChannels[3]!).map { Int((Double($0) * spec.width).rounded()) }
        var channels = 24
        var layers: [LayerSpec] = [
            .convBN("stem", spec.inChannels, channels, kernel: 3, stride: 2, activation: .relu),
            .maxPool(kernel: 3, stride: 2, padding: 1),
        ]
        for (stage, output) in widths.enumerated() {
            for i in 0..<repeats[stage] {
                let name = "stage\(stage + 2).\(i)"
                let firstGroups = stage == 0 && i == 0 ? 1 : g
                layers.append(unit(name, input: channels, output: output, stride: i == 0 ? 2 : 1, groups: g, firstGroups: firstGroups))
                channels = output
            }
        }
        return .sequence(layers + [
            .globalAvgPool, .dropout(spec.dropout), .linear(name: "classifier.1", input: channels, output: spec.classes),
        ])
    }

    static func unit(_ name: String, input: Int, output: Int, stride: Int, groups: Int, firstGroups: Int) -> LayerSpec {
        // The stride-2 unit's branch makes only the channels the shortcut does not bring.
        let branchOutput = stride == 2 ? output - input : output
        let bottleneck = output / 4
        let branch: [LayerSpec] = [
            .conv(name: "\(name).gconv1", input: input, output: bottleneck, kernel: 1, stride: 1, padding: 0, groups: firstGroups, bias: false),
            .batchNorm(name: "\(name).bn1", channels: bottleneck),
            .relu,
            .channelShuffle(groups: firstGroups == 1 ? 1 : groups),
            .conv(name: "\(name).dwconv", input: bottleneck, output: bottleneck, kernel: 3, stride: stride, padding: 1, groups: bottleneck, bias: false),
            .batchNorm(name: "\(name).bn2", channels: bottleneck),
            .conv(name: "\(name).gconv2", input: bottleneck, output: branchOutput, kernel: 1, stride: 1, padding: 0, groups: groups, bias: false),
            .batchNorm(name: "\(name).bn3", channels: branchOutput),
        ]
        let joined: LayerSpec = stride == 2
            ? .concat(body: branch, shortcut: [.avgPool(kernel: 3, stride: 2, padding: 1)])
            : .residual(branch)
        return .sequence([joined, .relu])
    }
}
