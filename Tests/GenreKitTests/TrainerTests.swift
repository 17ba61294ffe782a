import Basics
import Engine
import Features
import Files
import Foundation
import GenreKit
import SafeTensors
import Synth
import TestSupport
import XCTest

/// The trainer on a tiny rendered data set (3 genres × 4 clips of 3 s, 32 mel bands, MobileNetV2
/// α=0.35): reproducible bytes, exact resume, and errors before any work.
final class TrainerTests: XCTestCase {
    private static let dataRoot: String = {
        let root = makeTemporaryFolder("genre-trainer-data").appendingPathComponent("demo").path
        _ = try! DemoDataSet.synthesize(to: root, parameters: .init(clipsPerGenre: 4, seconds: 3, seed: 2, genres: ["rock", "classical", "house"]))
        return root
    }()

    private func config(output: String, root: String = dataRoot) throws -> Config {
        try Config(json: [
            "data": ["root": .string(root), "split": ["train": 0.5, "validation": 0.25, "test": 0.25, "seed": 1]],
            "features": ["n_fft": 512, "hop_length": 256, "n_mels": 32, "segment_seconds": 1.0, "segment_hop_seconds": 0.5],
            "model": ["arch": "mobilenet_v2", "width": 0.35],
            "training": ["epochs": 2, "batch_size": 4, "seed": 5, "threads": 2,
                         "optimizer": ["name": "sgd", "lr": 0.05, "momentum": 0.9],
                         "augment": ["time_mask": 4, "freq_mask": 4, "time_shift": 0.1]],
            "output": .string(output),
        ])
    }

    private func prepare(_ config: Config, cache: String) throws -> TrainingData {
        try TrainingData.prepare(config, cacheFolder: cache, threads: 2, log: { _ in })
    }

    private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func testSameSeedGivesIdenticalCheckpointsAndMetrics() throws {
        let folder = makeTemporaryFolder("genre-trainer")
        let cache = folder.appendingPathComponent("cache").path
        var runs: [Trainer] = []
        for name in ["a", "b"] {
            let config = try config(output: folder.appendingPathComponent(name).path)
            let trainer = Trainer(config: config, data: try prepare(config, cache: cache))
            XCTAssertTrue(try trainer.run())
            runs.append(trainer)
        }
        XCTAssertEqual(try bytes(runs[0].run.best), try bytes(runs[1].run.best))
        XCTAssertEqual(try bytes(runs[0].run.last), try bytes(runs[1].run.last))
        let lines = try String(contentsOfFile: runs[0].run.metrics, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[1].hasPrefix("{\"epoch\":2,\"train_loss\":"), String(lines[1]))
        // The best checkpoint is a loadable §3 checkpoint of this network and these labels.
        let (_, info) = try Checkpoint.load(path: runs[0].run.best)
        XCTAssertEqual(info.labels, ["classical", "house", "rock"])
        XCTAssertEqual(info.mean, runs[0].data.mean)
    }

    /// The temperature is fitted on the calibration split when the config gives it files, which
    /// are cut from the test files; otherwise on the validation split.
    func testTemperatureFilesAreTheCalibrationSplitWhenThereIsOne() throws {
        let cache = makeTemporaryFolder("genre-trainer-cache").path
        let plain = try prepare(try config(output: "unused"), cache: cache)
        XCTAssertEqual(plain.temperatureFiles.split, "validation")
        XCTAssertEqual(plain.temperatureFiles.windows.clips.count, plain.validationItems.count)
        var json = try XCTUnwrap(try JSON(parsing: #"{"data": {"split": {"train": 0.5, "validation": 0.25, "calibration": 0.25, "test": 0}}, "training": {"batch_size": 4}}"#.utf8).object)
        var data = try XCTUnwrap(json["data"]?.object)
        data["root"] = .string(Self.dataRoot)
        json["data"] = .object(data)
        let calibrated = try prepare(try Config(json: .object(json)), cache: cache)
        XCTAssertEqual(calibrated.temperatureFiles.split, "calibration")
        XCTAssertEqual(calibrated.calibrationItems.count, 3)
        XCTAssertEqual(calibrated.testItems.count, 0)
        XCTAssertEqual(calibrated.temperatureFiles.windows.clips.count, 3)
        XCTAssertTrue(Set(calibrated.calibrationItems).isDisjoint(with: calibrated.validationItems + calibrated.trainItems))
    }

    /// Stopped after three batches of the first epoch, then resumed in a new trainer: the same
    /// final checkpoint, state and metrics as a run that was never stopped.
    func testResumeMidEpochMatchesAnUninterruptedRun() throws {
        let folder = makeTemporaryFolder("genre-trainer")
        let cache = folder.appendingPathComponent("cache").path
        let whole = try config(output: folder.appendingPathComponent("whole").path)
        let uninterrupted = Trainer(config: whole, data: try prepare(whole, cache: cache))
        XCTAssertTrue(try uninterrupted.run())

        let split = try config(output: folder.appendingPathComponent("split").path)
        let data = try prepare(split, cache: cache)
        var batches = 0
        let first = Trainer(config: split, data: data)
        XCTAssertFalse(try first.run(shouldStop: { batches += 1; return batches == 3 }))
        XCTAssertEqual(first.epoch, 0)
        XCTAssertEqual(first.batch, 3)
        let second = Trainer(config: split, data: data)
        try second.resume()
        XCTAssertEqual(second.batch, 3)
        XCTAssertTrue(try second.run())

        for (a, b) in [(uninterrupted.run.last, second.run.last), (uninterrupted.run.best, second.run.best), (uninterrupted.run.state, second.run.state)] {
            XCTAssertEqual(try bytes(a), try bytes(b), (a as NSString).lastPathComponent)
        }
        func metrics(_ path: String) throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                $0.replacingOccurrences(of: #","seconds":.*"#, with: "", options: .regularExpression)
            }
        }
        XCTAssertEqual(try metrics(uninterrupted.run.metrics), try metrics(second.run.metrics))
    }

    func testResumeRefusesAStateOfAnotherRun() throws {
        let folder = makeTemporaryFolder("genre-trainer")
        var config = try config(output: folder.appendingPathComponent("run").path)
        config.training.epochs = 1
        let data = try prepare(config, cache: folder.appendingPathComponent("cache").path)
        XCTAssertTrue(try Trainer(config: config, data: data).run())
        config.training.seed = 6
        XCTAssertThrowsError(try Trainer(config: config, data: data).resume()) { error in
            XCTAssertTrue("\(error)".contains("seed 5"), "\(error)")
        }
    }

    /// An optimiser moment whose size fits no parameter (a damaged or foreign state) is an error
    /// that names the state file and the entry, not a trap in the first step.
    func testResumeRefusesOptimiserMomentsOfTheWrongSize() throws {
        let folder = makeTemporaryFolder("genre-trainer")
        var config = try config(output: folder.appendingPathComponent("run").path)
        config.training.epochs = 1
        let data = try prepare(config, cache: folder.appendingPathComponent("cache").path)
        let trainer = Trainer(config: config, data: data)
        XCTAssertTrue(try trainer.run())
        var state = try SafeTensorsFile(contentsOf: trainer.run.state)
        let key = try XCTUnwrap(state.tensors.keys.sorted().first { $0.hasPrefix("optimizer.") && !$0.hasSuffix(".step") })
        let wrongSize = try XCTUnwrap(state[key]).floats().count + 1
        state[key] = StoredTensor(floats: [Float](repeating: 0, count: wrongSize), shape: [wrongSize])
        try state.write(to: trainer.run.state)
        XCTAssertThrowsError(try Trainer(config: config, data: data).resume()) { error in
            XCTAssertTrue("\(error)".contains(trainer.run.state) && "\(error)".contains("'\(key.dropFirst(10))' holds \(wrongSize) values"), "\(error)")
        }
    }

    /// `synthesize_if_missing` renders the default demo set where the config points, and says so.
    func testMissingDemoFolderIsRendered() throws {
        let folder = makeTemporaryFolder("genre-trainer")
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = try config(output: folder.appendingPathComponent("run").path, root: folder.appendingPathComponent("data/demo").path)
        config.data.synthesizeIfMissing = true
        var logged: [String] = []
        let data = try TrainingData.prepare(config, cacheFolder: folder.appendingPathComponent("cache").path, threads: 2, log: { logged.append($0) })
        XCTAssertEqual(data.labels, GenreStyle.all.map(\.name).sorted())
        XCTAssertEqual(data.trainItems.count + data.validationItems.count + data.testItems.count, DemoDataSet.Parameters().clipPaths.count)
        XCTAssertEqual(DemoDataSet.Parameters().clipPaths.count, 800)
        XCTAssertTrue(logged.first?.contains("rendering the demo data set") ?? false, "\(logged)")
        XCTAssertTrue(DemoDataSet.marker(in: config.data.root)?.complete ?? false)
    }

    func testDataProblemsAreReportedBeforeTraining() throws {
        let folder = makeTemporaryFolder("genre-trainer")
        let cache = folder.appendingPathComponent("cache").path
        let empty = folder.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try prepare(try config(output: folder.path, root: empty), cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("no label sub-folders"), "\(error)")
        }
        // A root one level too high: its only sub-folder holds the label folders.
        let nested = folder.appendingPathComponent("nested")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.dataRoot, toPath: nested.appendingPathComponent("genres").path)
        XCTAssertThrowsError(try prepare(try config(output: folder.path, root: nested.path), cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("one label sub-folder (genres)") && "\(error)".contains("point data.root there"), "\(error)")
        }
        // A label whose only files do not decode: named, with the reason the files were skipped.
        let broken = folder.appendingPathComponent("broken")
        for label in ["good", "bad"] {
            try FileManager.default.createDirectory(at: broken.appendingPathComponent(label), withIntermediateDirectories: true)
        }
        for i in 0..<2 {
            try FileManager.default.copyItem(atPath: Self.dataRoot + "/rock/" + (try FileManager.default.contentsOfDirectory(atPath: Self.dataRoot + "/rock").sorted()[i]),
                                             toPath: broken.appendingPathComponent("good/\(i).wav").path)
            try "not audio".write(to: broken.appendingPathComponent("bad/\(i).wav"), atomically: true, encoding: .utf8)
        }
        var logged: [String] = []
        XCTAssertThrowsError(try TrainingData.prepare(try config(output: folder.path, root: broken.path), cacheFolder: cache, threads: 2,
                                                      log: { logged.append($0) })) { error in
            XCTAssertTrue("\(error)".contains("bad") && "\(error)".contains("no decodable audio"), "\(error)")
        }
        XCTAssertEqual(logged.filter { $0.hasPrefix("skipping") }.count, 2, "\(logged)")
        // A batch larger than the training split: one line, before any training.
        var huge = try config(output: folder.path)
        huge.training.batchSize = 100_000
        XCTAssertThrowsError(try prepare(huge, cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("training.batch_size 100000 is more than the"), "\(error)")
        }
    }

    /// Clips whose classes differ only in their average spectral tilt are linearly separable from
    /// their mean spectra; with the labels shuffled the baseline falls to chance.
    func testLinearBaselineSeparatesSpectralTilt() {
        var random = Engine.SeededRandom(seed: 4)
        func clips(_ count: Int) -> (clips: [Spectrogram], labels: [Int]) {
            let labels = (0..<count).map { $0 % 3 }
            let clips = labels.map { label -> Spectrogram in
                var values = [Float](repeating: 0, count: 640)
                for i in values.indices { values[i] = Float(label * (i / 40)) * 0.5 + 6 * random.nextNormal() }
                return Spectrogram(nMels: 16, frames: 40, values: values)
            }
            return (clips, labels)
        }
        let parameters = FeatureParameters(nFFT: 512, hopLength: 256, nMels: 16)
        let windowing = Windowing(segmentSeconds: 0.4, segmentHopSeconds: 0.2)
        let (trainClips, trainLabels) = clips(60), (testClips, testLabels) = clips(60)
        let test = WindowSet(clips: testClips, labels: testLabels, parameters: parameters, windowing: windowing)
        let train = WindowSet(clips: trainClips, labels: trainLabels, parameters: parameters, windowing: windowing)
        XCTAssertGreaterThan(LinearBaseline.accuracy(train: train, test: test, classes: 3), 0.9)
        var shuffled = trainLabels
        shuffled.shuffle(using: &random)
        let noise = WindowSet(clips: trainClips, labels: shuffled, parameters: parameters, windowing: windowing)
        XCTAssertLessThan(LinearBaseline.accuracy(train: noise, test: test, classes: 3), 0.6)
    }
}
