import Engine
import Features
import Files
import Foundation
import GenreKit
import Models
import SafeTensors
import TestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    private func info(_ spec: ModelSpec) -> CheckpointInfo {
        CheckpointInfo(spec: spec, labels: (0..<spec.classes).map { "genre\($0)" }, features: FeatureParameters(nMels: 64),
                       windowing: Windowing(segmentSeconds: 2, segmentHopSeconds: 1), mean: -41.5, std: 17.25, extra: ["epoch": "3"])
    }

    /// Every tensor and every metadata field comes back exactly, for every architecture.
    func testRoundTripIsExact() throws {
        let folder = makeTemporaryFolder()
        for spec in [ModelSpec(arch: .mobilenetV2, width: 0.35, classes: 4), ModelSpec(arch: .mobilenetV1, width: 0.25, classes: 3),
                     ModelSpec(arch: .shufflenetV1, width: 0.5, classes: 5, groups: 8)] {
            let network = Network(spec, seed: 9)
            let tape = Tape(mode: .training)
            _ = network(Tensor(shape: [2, 16, 16, 1], values: (0..<512).map { Float($0 % 7) }), tape)  // moves running stats, counts
            let path = folder.appendingPathComponent("\(spec.arch.rawValue).safetensors").path
            try Checkpoint.write(network, info: info(spec), to: path)
            let (loaded, loadedInfo) = try Checkpoint.load(path: path)
            XCTAssertEqual(loaded.spec, spec)
            XCTAssertEqual(loaded.state(prefix: "").map(\.name), network.state(prefix: "").map(\.name))
            for (a, b) in zip(loaded.state(prefix: ""), network.state(prefix: "")) {
                XCTAssertEqual(a.parameter.value.values, b.parameter.value.values, a.name)
            }
            XCTAssertEqual(loadedInfo.labels, info(spec).labels)
            XCTAssertEqual(loadedInfo.features, info(spec).features.withFmax)
            XCTAssertEqual(loadedInfo.windowing, info(spec).windowing)
            XCTAssertEqual(loadedInfo.mean, -41.5)
            XCTAssertEqual(loadedInfo.std, 17.25)
            XCTAssertEqual(loadedInfo.extra, ["epoch": "3"])
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)),
                           Data(Checkpoint.file(loaded, info: loadedInfo).serialized()), "rewriting gives the same bytes")
        }
    }

    /// The model fixtures' `param.*` tensors were written by PyTorch's safetensors: with the
    /// prefix dropped and metadata added they load, and give PyTorch's evaluation logits.
    func testStateDictWrittenByPyTorchLoads() throws {
        for url in Fixtures.files(in: "models") {
            let fixture = try Fixtures.load(url)
            let stem = url.path
            let spec = try ModelSpec(fixture: url)
            XCTAssertEqual(spec.classes, fixture["eval_logits"]!.shape[1], stem)
            var file = SafeTensorsFile(metadata: Checkpoint.file(Network(spec), info: info(spec)).metadata)
            for (name, tensor) in fixture.tensors where name.hasPrefix("param.") { file[String(name.dropFirst(6))] = tensor }
            let path = makeTemporaryFolder().appendingPathComponent("torch.safetensors").path
            try file.write(to: path)
            let (network, _) = try Checkpoint.load(path: path)
            let x = fixture["x"]!
            let input = Tensor(shape: [x.shape[0], x.shape[2], x.shape[3], 1], values: x.floats())  // one channel: NCHW = NHWC
            let logits = network(input, Tape(mode: .evaluation))
            XCTAssertLessThanOrEqual(maxRelativeError(logits.values, fixture["eval_logits"]!.floats()), 1e-3, stem)
        }
    }

    /// What training writes has exactly the names, shapes and dtypes of PyTorch's state_dict as the
    /// model fixtures hold it (their `param.*` tensors), plus BatchNorm's int64 counters.
    func testWrittenCheckpointsHaveTorchvisionNamesShapesAndDtypes() throws {
        for url in Fixtures.files(in: "models") {
            let fixture = try Fixtures.load(url)
            let stem = url.path
            let spec = try ModelSpec(fixture: url)
            let written = try SafeTensorsFile(bytes: Checkpoint.file(Network(spec), info: info(spec)).serialized())
            let reference = fixture.tensors.filter { $0.key.hasPrefix("param.") }
            XCTAssertEqual(Set(written.names.filter { !$0.hasSuffix("num_batches_tracked") }), Set(reference.keys.map { String($0.dropFirst(6)) }), stem)
            for (name, tensor) in reference {
                XCTAssertEqual(written[String(name.dropFirst(6))]?.shape, tensor.shape, name)
                XCTAssertEqual(written[String(name.dropFirst(6))]?.dtype, tensor.dtype, name)
            }
            for name in written.names where name.hasSuffix("num_batches_tracked") {
                XCTAssertEqual(written[name]!.dtype, .i64)
                XCTAssertEqual(written[name]!.shape, [])
            }
        }
    }

    func testBrokenCheckpointsGiveOneLineErrors() throws {
        let folder = makeTemporaryFolder()
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, classes: 4)
        let good = Checkpoint.file(Network(spec), info: info(spec))
        let bytes = good.serialized()
        var missing = good; missing["features.3.conv.1.0.weight"] = nil
        var wrongShape = good; wrongShape["classifier.1.bias"] = StoredTensor(floats: [0, 0, 0], shape: [3])
        var extra = good; extra["features.99.weight"] = StoredTensor(floats: [0], shape: [1])
        var noFormat = good; noFormat.metadata["format"] = nil
        var badModel = good; badModel.metadata["model"] = "{\"arch\": \"resnet\"}"
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        var outOfRange = bytes
        if let range = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self).range(of: "\"data_offsets\":[0,") {
            let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self).replacingCharacters(in: range, with: "\"data_offsets\":[9,")
            outOfRange.replaceSubrange(8..<(8 + headerLength), with: Array(header.utf8))
        }
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "not a safetensors file"),
            ("truncated", Array(bytes.prefix(bytes.count - 100)), "outside"),
            ("header", [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0] + Array(repeating: 32, count: 64), "implausibly large"),
            ("json", [8, 0, 0, 0, 0, 0, 0, 0] + Array("{nojson}".utf8), "not a JSON object"),
            ("offsets", outOfRange, "offsets"),
            ("missing", missing.serialized(), "missing tensor 'features.3.conv.1.0.weight'"),
            ("shape", wrongShape.serialized(), "tensor 'classifier.1.bias' has shape [3]"),
            ("extra", extra.serialized(), "unexpected tensor 'features.99.weight'"),
            ("format", noFormat.serialized(), "not a genre checkpoint"),
            ("model", badModel.serialized(), "arch"),
        ]
        for (name, content, expected) in cases {
            let path = folder.appendingPathComponent("\(name).safetensors").path
            try Data(content).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try Checkpoint.load(path: path), name) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path) && message.contains(expected) && !message.contains("\n"), "\(name): \(message)")
            }
        }
        XCTAssertThrowsError(try Checkpoint.load(path: folder.appendingPathComponent("absent.safetensors").path))
    }
}

private extension FeatureParameters {
    /// A checkpoint records fmax explicitly (sr / 2 when the config left it out).
    var withFmax: FeatureParameters {
        var copy = self
        copy.fmax = fmax ?? Double(sampleRate) / 2
        return copy
    }
}
