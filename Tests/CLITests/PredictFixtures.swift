import Audio
import Engine
import Features
import Foundation
import GenreKit
import Models

/// What the predict, shard and tag CLI tests make: a small checkpoint and tone clips in a
/// temporary folder.
protocol PredictFixtures {
    var folder: URL! { get }
    var labels: [String] { get }
}

extension PredictFixtures {
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A random MobileNetV2 α=0.35 on 32 mel bands with 1 s windows every 0.5 s. Its
    /// probabilities are all but uniform; `classifierScale` multiplies the classifier's weights so
    /// that different clips get different labels and probabilities.
    @discardableResult
    func makeCheckpoint(_ name: String = "model.safetensors", classifierScale: Float = 1) throws -> String {
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, inChannels: 1, classes: labels.count)
        let info = CheckpointInfo(spec: spec, labels: labels, features: FeatureParameters(nMels: 32),
                                  windowing: Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5), mean: -35, std: 12)
        let target = path(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let network = Network(spec, seed: 1)
        if classifierScale != 1 {
            for tensor in network.state(prefix: "") where tensor.name == "classifier.1.weight" {
                for i in tensor.parameter.value.buffer.indices { tensor.parameter.value.buffer[i] *= classifierScale }
            }
        }
        try Checkpoint.write(network, info: info, to: target)
        return target
    }

    /// A 16 kHz mono tone of `pitch` Hz with a slow swell, as WAV or FLAC by the name's extension.
    @discardableResult
    func makeClip(_ name: String, seconds: Double = 2.5, pitch: Double = 220) throws -> String {
        let target = path(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let samples = (0..<Int(seconds * 16000)).map { i -> Float in
            let t = Double(i) / 16000
            return Float(0.4 * sin(2 * .pi * pitch * t) * (0.5 + 0.5 * sin(3 * t)))
        }
        try AudioWriter.write(samples: samples, sampleRate: 16000, to: target)
        return target
    }
}
