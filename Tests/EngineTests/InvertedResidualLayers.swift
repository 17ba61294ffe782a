import Engine
import Randomness

/// A MobileNetV2 inverted residual's layers as the networks lay them out (1×1 expansion, BN,
/// ReLU6; 3×3 depthwise, BN, ReLU6; 1×1 projection, BN), with weights drawn from `seed`.
func invertedResidualLayers(in inChannels: Int, hidden: Int, out outChannels: Int, seed: UInt64) -> Sequential {
    var random = SeededRandom(seed: seed)
    return Sequential([
        Conv2D(inputChannels: inChannels, outputChannels: hidden, kernelSize: 1, random: &random), BatchNorm(channels: hidden), ReLU6(),
        Conv2D(inputChannels: hidden, outputChannels: hidden, kernelSize: 3, padding: 1, groups: hidden, random: &random),
        BatchNorm(channels: hidden), ReLU6(),
        Conv2D(inputChannels: hidden, outputChannels: outChannels, kernelSize: 1, random: &random), BatchNorm(channels: outChannels),
    ])
}
