import Engine
import Features
import Foundation
import GenreKit
import Models
import SafeTensors
import TestSupport
import XCTest

/// Temperature scaling of file-level probabilities, the ECE and NLL that judge it, and the
/// `calibration` metadata of checkpoints.
final class CalibrationTests: XCTestCase {
    /// Four files of label 0, 15 bins: confidences 0.95 (bin 14: (0.9333, 1]), 0.9 (bin 13:
    /// (0.8667, 0.9333]) and 0.6 twice (bin 8: (0.5333, 0.6]). Bin 14: one file, right, → gap 0.05.
    /// Bin 13: one file, wrong (class 1 predicted) → gap 0.9. Bin 8: two files, one right (the
    /// other predicts class 1) → gap |0.5 − 0.6| = 0.1. ECE = (0.05 + 0.9 + 2·0.1) / 4 = 0.2875.
    func testExpectedCalibrationErrorByHand() {
        let p: [[Double]] = [[0.95, 0.05], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]]
        let labels = [0, 0, 0, 0]
        XCTAssertEqual(Calibration.expectedCalibrationError(p, labels: labels), 0.2875, accuracy: 1e-12)
        let bins = Calibration.reliability(p, labels: labels)
        XCTAssertEqual(bins.count, 15)
        XCTAssertEqual(bins.map(\.count), [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 1])
        XCTAssertEqual(bins[8].accuracy, 0.5)
        XCTAssertEqual(bins[8].confidence, 0.6, accuracy: 1e-12)
        XCTAssertEqual(Calibration.negativeLogLikelihood(p, labels: labels), -(log(0.95) + log(0.1) + log(0.6) + log(0.4)) / 4, accuracy: 1e-12)
        // Withholding answers below 0.7 keeps the two confident files, one of them right.
        let s = Calibration.selective(p, labels: labels, minimumConfidence: 0.7)
        XCTAssertEqual(s.coverage, 0.5)
        XCTAssertEqual(s.accuracy, 0.5)
        XCTAssertEqual(s.answered, 2)
    }

    /// Labels drawn from softmax(z), logits given as 3·z: the model is over-confident by a factor
    /// 3, and the fitted temperature finds it.
    func testFittedTemperatureRecoversOverconfidence() {
        var random = SeededRandom(seed: 11)
        let classes = 5, files = 3000
        var logits: [[Float]] = [], labels: [Int] = []
        for _ in 0..<files {
            let z = (0..<classes).map { _ in Double(random.nextNormal()) * 1.5 }
            let e = z.map { exp($0) }, sum = e.reduce(0, +)
            var u = Double(random.next() % 1_000_000) / 1_000_000, label = classes - 1
            for k in 0..<classes { u -= e[k] / sum; if u < 0 { label = k; break } }
            logits.append(z.map { Float(3 * $0) })
            labels.append(label)
        }
        let set = WindowLogits(classes: classes, logits: logits, clips: Array(0..<files), clipCount: files, labels: labels)
        let t = Calibration.fitTemperature(set)
        XCTAssertEqual(t, 3, accuracy: 0.3)
        let report = Calibration.Report(set, temperature: t)
        XCTAssertLessThan(report.eceAfter, report.eceBefore / 2, report.text)
        XCTAssertLessThan(report.nllAfter, report.nllBefore)
    }

    /// A fit pushed to an end of the range is reported: logits that ignore the labels push T to
    /// the top (a uniform guess beats them), logits that rank every file right to the bottom;
    /// an over-confident but informative network (T ≈ 3) gets no note.
    func testTemperatureAtAnEndOfItsRangeIsReported() {
        var random = SeededRandom(seed: 3)
        let classes = 3, files = 300
        let labels = (0..<files).map { $0 % classes }
        let noise = (0..<files).map { _ in (0..<classes).map { _ in 4 * random.nextNormal() } }
        let blind = WindowLogits(classes: classes, logits: noise, clips: Array(0..<files), clipCount: files, labels: labels)
        let top = Calibration.fitTemperature(blind)
        XCTAssertEqual(top, Calibration.temperatureRange.upperBound, accuracy: 0.01)
        let topNote = Calibration.boundNote(temperature: top, split: "validation")
        XCTAssertTrue(topNote?.contains("top of its range (20)") == true, topNote ?? "no note")

        let right = labels.map { label in (0..<classes).map { $0 == label ? Float(2) : 0 } }
        let sure = WindowLogits(classes: classes, logits: right, clips: Array(0..<files), clipCount: files, labels: labels)
        let bottom = Calibration.fitTemperature(sure)
        XCTAssertEqual(bottom, Calibration.temperatureRange.lowerBound, accuracy: 0.001)
        let bottomNote = Calibration.boundNote(temperature: bottom, split: "validation")
        XCTAssertTrue(bottomNote?.contains("bottom of its range (0.05)") == true, bottomNote ?? "no note")
        XCTAssertTrue(bottomNote?.contains("data.split.calibration") == true, bottomNote ?? "no note")

        XCTAssertNil(Calibration.boundNote(temperature: 3, split: "validation"))
        XCTAssertNil(Calibration.boundNote(temperature: 19.9, split: "calibration"))
        XCTAssertNil(Calibration.boundNote(temperature: 0.051, split: "calibration"))
    }

    /// With several windows per file (probabilities averaged after the softmax), the search
    /// lands on the minimum of a fine grid.
    func testTemperatureMinimisesFileLevelNLL() {
        var random = SeededRandom(seed: 5)
        let classes = 4, files = 200
        var logits: [[Float]] = [], clips: [Int] = [], labels: [Int] = []
        for file in 0..<files {
            let label = Int(random.next() % UInt64(classes))
            labels.append(label)
            for _ in 0..<(1 + file % 4) {
                logits.append((0..<classes).map { k in random.nextNormal() * 2.5 + (k == label ? 2 : 0) })
                clips.append(file)
            }
        }
        let set = WindowLogits(classes: classes, logits: logits, clips: clips, clipCount: files, labels: labels)
        let t = Calibration.fitTemperature(set)
        func nll(_ t: Double) -> Double { Calibration.negativeLogLikelihood(set.clipProbabilities(temperature: t), labels: labels) }
        let grid = (0...400).map { exp(log(0.05) + Double($0) / 400 * (log(20) - log(0.05))) }
        let best = grid.min { nll($0) < nll($1) }!
        XCTAssertLessThanOrEqual(nll(t), nll(best) + 1e-6, "fitted \(t), grid best \(best)")
        XCTAssertNotEqual(t, 1, accuracy: 0.05)
        // File probabilities are the mean of the windows' tempered softmaxes.
        let p = set.clipProbabilities(temperature: t)
        let windows = logits.indices.filter { clips[$0] == 3 }
        for k in 0..<classes {
            let mean = windows.reduce(0.0) { sum, w in
                let row = logits[w].map { Double($0) / t }, m = row.max()!, e = row.map { exp($0 - m) }
                return sum + e[k] / e.reduce(0, +)
            } / Double(windows.count)
            XCTAssertEqual(p[3][k], mean, accuracy: 1e-12)
        }
    }

    func testMetadataRoundTripAndOldCheckpoints() throws {
        let info = CalibrationInfo(temperature: 1.7, eceBefore: 0.12, eceAfter: 0.03)
        // JSON keeps about 15 significant digits.
        let read = try XCTUnwrap(CalibrationInfo(json: info.json))
        XCTAssertEqual(read.temperature, 1.7, accuracy: 1e-12)
        XCTAssertEqual(read.eceBefore, 0.12, accuracy: 1e-12)
        XCTAssertEqual(read.eceAfter, 0.03, accuracy: 1e-12)
        XCTAssertNil(CalibrationInfo(json: #"{"temperature": -1}"#))
        XCTAssertNil(CalibrationInfo(json: "1.5"))

        // A checkpoint without `calibration` loads with temperature 1; calibrate() adds it and
        // changes nothing else.
        let folder = makeTemporaryFolder("genre-calibration")
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, inChannels: 1, classes: 3)
        let features = FeatureParameters(nFFT: 512, hopLength: 256, nMels: 32)
        let windowing = Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5)
        let path = folder.appendingPathComponent("model.safetensors").path
        try Checkpoint.write(Network(spec, seed: 3), info: CheckpointInfo(spec: spec, labels: ["a", "b", "c"], features: features,
                                                                       windowing: windowing, mean: 0, std: 1), to: path)
        let (_, old) = try Checkpoint.load(path: path)
        XCTAssertNil(old.calibration)
        XCTAssertEqual(old.temperature, 1)
        XCTAssertEqual(try Predictor(checkpoint: path).temperature, 1)

        var random = SeededRandom(seed: 9)
        let clips = (0..<6).map { _ in Spectrogram(nMels: 32, frames: 120, values: (0..<(32 * 120)).map { _ in random.nextNormal() * 3 }) }
        let validation = WindowSet(clips: clips, labels: [0, 1, 2, 0, 1, 2], parameters: features, windowing: windowing)
        let before = try SafeTensorsFile(contentsOf: path)
        let fitted = try XCTUnwrap(try Calibration.calibrate(checkpoint: path, files: validation))
        let after = try SafeTensorsFile(contentsOf: path)
        XCTAssertEqual(after.tensors, before.tensors)
        XCTAssertEqual(after.metadata.filter { $0.key != "calibration" }, before.metadata)
        let (_, info2) = try Checkpoint.load(path: path)
        XCTAssertEqual(try XCTUnwrap(info2.calibration).temperature, fitted.temperature, accuracy: 1e-9)
        XCTAssertEqual(try Predictor(checkpoint: path).temperature, Float(fitted.temperature), accuracy: 1e-6)
        // No validation file: nothing fitted, nothing written.
        let empty = WindowSet(clips: [Spectrogram](), labels: [], parameters: features, windowing: windowing)
        XCTAssertNil(try Calibration.calibrate(checkpoint: path, files: empty))
    }

    /// The predictor divides logits by its temperature before the softmax.
    func testPredictorAppliesTheTemperature() throws {
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, inChannels: 1, classes: 3)
        let network = Network(spec, seed: 4)
        let features = FeatureParameters(nFFT: 512, hopLength: 256, nMels: 32)
        var info = CheckpointInfo(spec: spec, labels: ["a", "b", "c"], features: features,
                                  windowing: Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5), mean: 0, std: 1)
        info.extra["calibration"] = CalibrationInfo(temperature: 0.25, eceBefore: 0, eceAfter: 0).json
        var random = SeededRandom(seed: 1)
        let input = Tensor(shape: [2, 32, 86, 1], values: (0..<(2 * 32 * 86)).map { _ in random.nextNormal() })
        let logits = network.infer(input)
        let predictor = Predictor(network: network, info: info)
        XCTAssertEqual(predictor.temperature, 0.25)
        let p = predictor.probabilities(normalised: input)
        for n in 0..<2 {
            let row = (0..<3).map { Double(logits.data[n * 3 + $0]) / 0.25 }
            let m = row.max()!, e = row.map { exp($0 - m) }, sum = e.reduce(0, +)
            for k in 0..<3 { XCTAssertEqual(Double(p[n][k]), e[k] / sum, accuracy: 1e-5) }
        }
    }

    func testReliabilityDiagramAndCanvas() throws {
        let set = WindowLogits(classes: 2, logits: [[3, 0], [0, 2], [1, 0.5], [0.2, 0]], clips: [0, 1, 2, 3], clipCount: 4, labels: [0, 1, 1, 0])
        let report = Calibration.Report(set, temperature: 2)
        let image = ReliabilityDiagram.image(report)
        let png = image.png()
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var colours = Set<[UInt8]>()
        for y in 0..<image.height { for x in 0..<image.width { let c = image[x, y]; colours.insert([c.r, c.g, c.b]) } }
        XCTAssertTrue(colours.contains([Canvas.Colour.blue.r, Canvas.Colour.blue.g, Canvas.Colour.blue.b]), "accuracy bars drawn")
        XCTAssertTrue(colours.contains([Canvas.Colour.red.r, Canvas.Colour.red.g, Canvas.Colour.red.b]), "confidence marks drawn")
        // Text: the font draws a glyph's pixels.
        var canvas = Canvas(width: 20, height: 10)
        canvas.text("1", x: 0, y: 0, .black)
        XCTAssertEqual(canvas[2, 0], .black)  // the top of the stem of "1" (column 2 = 0x7F)
        XCTAssertEqual(canvas[0, 0], .white)
    }
}
