import Audio
import Features
import Foundation
import GenreKit
import Models
import SafeTensors
import TestSupport
import XCTest

/// Answers people can trust, end to end: `genre train` fits and stores a temperature and draws
/// curves.png; `genre eval` reports ECE, NLL, coverage and draws the reliability diagram;
/// `genre predict --min-confidence` withholds unsure labels and applies the temperature.
final class TrustCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-trust-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A random MobileNetV2 α=0.35 for three labels; `temperature` adds `calibration` metadata.
    /// `bias` replaces the classifier's bias (an untrained network's logits are almost equal, so
    /// the bias then sets them).
    func makeCheckpoint(_ name: String, temperature: Double? = nil, bias: [Float]? = nil) throws -> String {
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, inChannels: 1, classes: 3)
        var info = CheckpointInfo(spec: spec, labels: ["ambient", "jazz", "rock"], features: FeatureParameters(nMels: 32),
                                  windowing: Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5), mean: -35, std: 12)
        if let temperature { info.extra["calibration"] = CalibrationInfo(temperature: temperature, eceBefore: 0.2, eceAfter: 0.1).json }
        let network = Network(spec, seed: 1)
        for tensor in network.stateTensors where tensor.entry.name == "classifier.1.bias" {
            if let bias { tensor.parameter.load(torchValues: bias) }
        }
        try Checkpoint.write(network, info: info, to: path(name))
        return path(name)
    }

    func makeClip(_ name: String, pitch: Double) throws -> String {
        try FileManager.default.createDirectory(atPath: (path(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let samples = (0..<40000).map { i in Float(0.4 * sin(2 * .pi * pitch * Double(i) / 16000)) }
        try AudioWriter.write(samples: samples, sampleRate: 16000, to: path(name))
        return path(name)
    }

    func testPredictWithholdsUnsureLabelsAndAppliesTheTemperature() throws {
        let plain = try makeCheckpoint("plain.safetensors")
        let clip = try makeClip("music/a.wav", pitch: 220)
        try makeClip("music/b.wav", pitch: 440)

        // An untrained network is unsure (about 1/3 each): below 0.9 nothing is claimed.
        let text = try CommandRunner.run(["predict", clip, "--checkpoint", plain, "--min-confidence", "0.9"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("label: unknown (best "), text.stdout)
        let sure = try CommandRunner.run(["predict", clip, "--checkpoint", plain, "--min-confidence", "0.01"])
        XCTAssertFalse(sure.stdout.contains("unknown"), sure.stdout)
        XCTAssertTrue(sure.stdout.contains("label: "), sure.stdout)

        let json = try CommandRunner.run(["predict", clip, "--checkpoint", plain, "--json", "--min-confidence", "0.9"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["label"] as? String, "")
        let confidence = try XCTUnwrap(object["confidence"] as? Double)
        XCTAssertLessThan(confidence, 0.9)

        // CSV rows: empty label, the confidence still there; --skip-done counts them as done.
        let out = path("out.csv")
        let batch = try CommandRunner.run(["predict", path("music"), "--checkpoint", plain, "--out", out, "--min-confidence", "0.9"])
        XCTAssertEqual(batch.status, 0, batch.stderr)
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows.count, 2)
        for row in rows {
            XCTAssertEqual(row[1], "")
            XCTAssertNotNil(Double(row[2]))
        }
        let again = try CommandRunner.run(["predict", path("music"), "--checkpoint", plain, "--out", out, "--skip-done", "--min-confidence", "0.9"])
        XCTAssertTrue(again.stderr.contains("2 already done"), again.stderr)

        // Logits ≈ (1, 0, −1): softmax gives 0.665 for the first label; with T = 0.5, softmax of
        // (2, 0, −2) gives 0.867.
        func predictJSON(_ checkpoint: String) throws -> [String: Any] {
            let result = try CommandRunner.run(["predict", clip, "--checkpoint", checkpoint, "--json"])
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stderr)
        }
        let loud = try predictJSON(try makeCheckpoint("loud.safetensors", bias: [1, 0, -1]))
        let sharp = try predictJSON(try makeCheckpoint("sharp.safetensors", temperature: 0.5, bias: [1, 0, -1]))
        let (loudConfidence, sharpConfidence) = (try XCTUnwrap(loud["confidence"] as? Double), try XCTUnwrap(sharp["confidence"] as? Double))
        XCTAssertEqual(sharp["label"] as? String, loud["label"] as? String)
        XCTAssertEqual(loud["label"] as? String, "ambient")
        XCTAssertEqual(loudConfidence, 0.665241, accuracy: 1e-3)
        XCTAssertEqual(sharpConfidence, 0.866813, accuracy: 1e-3)

        let bad = try CommandRunner.run(["predict", clip, "--checkpoint", plain, "--min-confidence", "1.5"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--min-confidence"), bad.stderr)
    }

    /// A tiny run: the temperature, fitted on the calibration split, lands in best.safetensors,
    /// curves.png beside metrics.jsonl; then eval reports calibration and coverage and draws its
    /// two images.
    func testTrainCalibratesAndEvalReports() throws {
        let root = path("demo")
        let synth = try CommandRunner.run(["synth", root, "--clips-per-genre", "6", "--seconds", "3", "--genres", "rock,classical,house"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let config = path("config.json")
        try """
            {"data": {"root": "\(root)", "split": {"train": 0.5, "validation": 0.17, "calibration": 0.17, "test": 0.16}},
             "features": {"n_fft": 512, "hop_length": 256, "n_mels": 32, "segment_seconds": 1.0, "segment_hop_seconds": 0.5},
             "model": {"arch": "mobilenet_v2", "width": 0.35},
             "training": {"epochs": 3, "batch_size": 4, "threads": 2, "optimizer": {"name": "adam", "lr": 0.003},
                          "class_weights": "balanced"},
             "output": "\(path("run"))"}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let train = try CommandRunner.run(["train", config])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("9/3/3/3 files (train/val/calibration/test)"), train.stderr)
        XCTAssertTrue(train.stderr.contains("calibration: temperature "), train.stderr)
        XCTAssertTrue(train.stderr.contains(" fitted on the calibration split"), train.stderr)
        XCTAssertTrue(train.stdout.contains("test split calibration (T = "), train.stdout)
        let best = try SafeTensorsFile(contentsOf: path("run/best.safetensors"))
        let calibration = try XCTUnwrap(best.metadata["calibration"].flatMap(CalibrationInfo.init(json:)))
        XCTAssertGreaterThan(calibration.temperature, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("run/curves.png")))

        let eval = try CommandRunner.run(["eval", config, "--min-confidence", "0.5"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains(String(format: "calibration (T = %.3f, 15 equal-width bins): ECE ", calibration.temperature)), eval.stdout)
        XCTAssertTrue(eval.stdout.contains("NLL "), eval.stdout)
        XCTAssertTrue(eval.stdout.contains("at --min-confidence 0.50: coverage "), eval.stdout)
        for image in ["run/confusion.png", "run/reliability.png"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path(image)))
            XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], image)
        }
    }
}
