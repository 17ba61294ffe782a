import Basics
import Engine
import Features
import Foundation
import GenreKit
import SafeTensors
import Synth
import TestSupport
import XCTest

/// Fine-tuning to new labels (`--init` from a network with other labels, `training.freeze`), the
/// class-balancing options and curves.png, on a tiny rendered demo set: a MobileNetV2 α=0.35 is
/// trained on eight genres, then continued on the other two.
final class FineTuningTests: XCTestCase {
    private static let folder = makeTemporaryFolder("genre-finetune")
    private static let roots: (eight: String, two: String) = {
        let all = GenreStyle.all.map(\.name)
        let eight = folder.appendingPathComponent("eight").path, two = folder.appendingPathComponent("two").path
        _ = try! DemoDataSet.synthesize(to: eight, parameters: .init(clipsPerGenre: 3, seconds: 2, seed: 3, genres: Array(all.prefix(8))))
        _ = try! DemoDataSet.synthesize(to: two, parameters: .init(clipsPerGenre: 3, seconds: 2, seed: 4, genres: Array(all.suffix(2))))
        return (eight, two)
    }()
    private static var cache: String { folder.appendingPathComponent("cache").path }

    private func config(root: String, output: String, training extra: [String: JSON] = [:]) throws -> Config {
        var training: [String: JSON] = ["epochs": 1, "batch_size": 4, "seed": 1, "threads": 2, "optimizer": ["name": "adam", "lr": 0.01]]
        for (key, value) in extra { training[key] = value }
        return try Config(json: [
            "data": ["root": .string(root), "split": ["train": 0.67, "validation": 0.33, "test": 0.0]],
            "features": ["n_fft": 512, "hop_length": 256, "n_mels": 32, "segment_seconds": 1.0, "segment_hop_seconds": 0.5],
            "model": ["arch": "mobilenet_v2", "width": 0.35],
            "training": .object(training),
            "output": .string(Self.folder.appendingPathComponent(output).path),
        ])
    }

    private func train(_ config: Config, initialise: String? = nil) throws -> (Trainer, FineTuning.Outcome?) {
        let data = try TrainingData.prepare(config, cacheFolder: Self.cache, threads: 2, log: { _ in })
        let trainer = Trainer(config: config, data: data)
        let outcome = try initialise.map { try trainer.initialise(from: $0) }
        XCTAssertTrue(try trainer.run())
        return (trainer, outcome)
    }

    /// The eight-genre checkpoint every test starts from.
    nonisolated(unsafe) private static var base: String?
    private func baseCheckpoint() throws -> String {
        if let base = Self.base { return base }
        let (trainer, _) = try train(try config(root: Self.roots.eight, output: "eight"))
        Self.base = trainer.run.best
        return trainer.run.best
    }

    func testNewLabelsKeepEveryLayerButTheClassifierAndFrozenLayersStayFixed() throws {
        let base = try baseCheckpoint()
        let start = try SafeTensorsFile(contentsOf: base)
        let (trainer, outcome) = try train(try config(root: Self.roots.two, output: "two-frozen", training: ["freeze": ["features"]]), initialise: base)
        guard case let .allButClassifier(previous)? = outcome else { return XCTFail("\(String(describing: outcome))") }
        XCTAssertEqual(previous.count, 8)
        let tuned = try SafeTensorsFile(contentsOf: trainer.run.last)
        let (_, info) = try Checkpoint.load(path: trainer.run.last)
        XCTAssertEqual(info.labels, Array(GenreStyle.all.map(\.name).suffix(2)).sorted())
        XCTAssertEqual(tuned["classifier.1.weight"]?.shape.first, 2)
        var runningStatsMoved = false
        for name in tuned.names where name.hasPrefix("features.") {
            if name.hasSuffix("running_mean") || name.hasSuffix("running_var") || name.hasSuffix("num_batches_tracked") {
                // Frozen batch norms still update their running statistics in training mode.
                if tuned[name] != start[name] { runningStatsMoved = true }
            } else {
                XCTAssertEqual(tuned[name], start[name], "\(name) is frozen")
            }
        }
        XCTAssertTrue(runningStatsMoved)

        // Unfrozen, the same start changes the features too.
        let (free, _) = try train(try config(root: Self.roots.two, output: "two-free"), initialise: base)
        let freed = try SafeTensorsFile(contentsOf: free.run.last)
        XCTAssertNotEqual(freed["features.0.0.weight"], start["features.0.0.weight"])
        // Partial freezing: features.0 fixed, features.1 trained (and `features.1` does not freeze `features.10`).
        let (partial, _) = try train(try config(root: Self.roots.two, output: "two-partial", training: ["freeze": ["features.0", "features.1"]]),
                                     initialise: base)
        let part = try SafeTensorsFile(contentsOf: partial.run.last)
        XCTAssertEqual(part["features.0.0.weight"], start["features.0.0.weight"])
        XCTAssertEqual(part["features.1.conv.0.0.weight"], start["features.1.conv.0.0.weight"])
        XCTAssertNotEqual(part["features.10.conv.0.0.weight"], start["features.10.conv.0.0.weight"])
        XCTAssertNotEqual(part["features.2.conv.0.0.weight"], start["features.2.conv.0.0.weight"])
    }

    func testSameLabelsLoadEverythingAndBadFreezePrefixesAreErrors() throws {
        let base = try baseCheckpoint()
        let config = try config(root: Self.roots.eight, output: "eight-again")
        let data = try TrainingData.prepare(config, cacheFolder: Self.cache, threads: 2, log: { _ in })
        XCTAssertEqual(try Trainer(config: config, data: data).initialise(from: base), .everything)

        let bad = try self.config(root: Self.roots.two, output: "bad-freeze", training: ["freeze": ["feature.0"]])
        let trainer = Trainer(config: bad, data: try TrainingData.prepare(bad, cacheFolder: Self.cache, threads: 2, log: { _ in }))
        XCTAssertThrowsError(try trainer.run()) { error in
            XCTAssertTrue("\(error)".contains("training.freeze") && "\(error)".contains("'feature.0'"), "\(error)")
        }
        // Another width cannot be a starting point.
        var wider = try self.config(root: Self.roots.two, output: "wider")
        wider.model.width = 0.5
        let other = Trainer(config: wider, data: try TrainingData.prepare(wider, cacheFolder: Self.cache, threads: 2, log: { _ in }))
        XCTAssertThrowsError(try other.initialise(from: base)) { error in XCTAssertTrue("\(error)".contains("same architecture"), "\(error)") }
    }

    /// Class weights and the balanced sampler train reproducibly, and each run draws its curves.
    func testBalancedTrainingIsReproducibleAndDrawsCurves() throws {
        var checkpoints: [Data] = []
        for name in ["balanced-a", "balanced-b"] {
            let (trainer, _) = try train(try config(root: Self.roots.eight, output: name,
                                                    training: ["class_weights": "balanced", "sampler": "balanced", "epochs": 2]))
            checkpoints.append(try Data(contentsOf: URL(fileURLWithPath: trainer.run.last)))
            let png = try Data(contentsOf: URL(fileURLWithPath: trainer.run.curves))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
            let points = TrainingCurves.points(metrics: try String(contentsOfFile: trainer.run.metrics, encoding: .utf8))
            XCTAssertEqual(points.map(\.epoch), [1, 2])
            XCTAssertTrue(points.allSatisfy { $0.trainLoss.isFinite && $0.learningRate > 0 })
        }
        XCTAssertEqual(checkpoints[0], checkpoints[1])
        let (plain, _) = try train(try config(root: Self.roots.eight, output: "plain", training: ["epochs": 2]))
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: plain.run.last)), checkpoints[0])
    }

    func testCurvesImageShowsEverySeries() {
        let points = (1...5).map { TrainingCurves.Point(epoch: $0, trainLoss: 2 / Double($0), validationAccuracy: 0.2 * Double($0),
                                                         validationMacroF1: 0.15 * Double($0), learningRate: 0.001 * Double(6 - $0)) }
        let image = TrainingCurves.image(points)
        var seen = Set<[UInt8]>()
        for y in 0..<image.height { for x in 0..<image.width { let c = image[x, y]; seen.insert([c.r, c.g, c.b]) } }
        for colour in [Canvas.Colour.blue, .green, .orange, .red] {
            XCTAssertTrue(seen.contains([colour.r, colour.g, colour.b]), "\(colour) drawn")
        }
        // The loss panel (top third): its line falls from left to right.
        func rows(of colour: Canvas.Colour, in band: Range<Int>, columns: Range<Int>) -> [Int] {
            band.filter { y in columns.contains { image[$0, y] == colour } }
        }
        let leftRows = rows(of: .blue, in: 0..<200, columns: 55..<80), rightRows = rows(of: .blue, in: 0..<200, columns: 600..<630)
        XCTAssertLessThan(leftRows.min() ?? .max, rightRows.min() ?? .min)
    }
}
