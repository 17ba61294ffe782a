import Basics
import Foundation
import GenreKit
import Models
import TestSupport
import XCTest

final class ConfigTests: XCTestCase {
    func parse(_ json: String) throws -> Config {
        try Config(json: try JSON(parsing: json.utf8))
    }

    func expectError(_ json: String, key: String, mentioning phrase: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(json), file: file, line: line) { error in
            let e = error as? ConfigError
            XCTAssertEqual(e?.key, key, "\(error)", file: file, line: line)
            XCTAssertTrue(String(describing: error).contains(phrase), "\(error)", file: file, line: line)
        }
    }

    func testEmptyObjectGivesDocumentedDefaults() throws {
        let config = try parse("{}")
        XCTAssertEqual(config.features.sampleRate, 22050)
        XCTAssertEqual(config.features.nMels, 128)
        XCTAssertEqual(config.model.arch, .mobilenetV2)
        XCTAssertEqual(config.training.batchSize, 32)
        XCTAssertEqual(config.data.trainFraction + config.data.validationFraction + config.data.testFraction, 1, accuracy: 1e-12)
    }

    func testValuesAreRead() throws {
        let config = try parse("""
        {"data": {"root": "x", "synthesize_if_missing": true, "split": {"train": 0.8, "validation": 0.1, "test": 0.1, "seed": 4}},
         "features": {"n_mels": 64, "segment_seconds": 2.5},
         "model": {"arch": "shufflenet_v1", "width": 0.5, "groups": 8},
         "training": {"epochs": 3, "optimizer": {"name": "sgd", "lr": 0.1, "nesterov": true, "betas": [0.8, 0.9]},
                      "schedule": {"name": "onecycle"}, "augment": {"time_mask": 10}},
         "output": "runs/x"}
        """)
        XCTAssertEqual(config.data.root, "x")
        XCTAssertTrue(config.data.synthesizeIfMissing)
        XCTAssertEqual(config.data.splitSeed, 4)
        XCTAssertEqual(config.features.nMels, 64)
        XCTAssertEqual(config.windowing.segmentSeconds, 2.5)
        XCTAssertEqual(config.model.groups, 8)
        XCTAssertEqual(config.training.optimizer.kind, .sgd)
        XCTAssertTrue(config.training.optimizer.nesterov)
        XCTAssertEqual(config.training.optimizer.betas.0, 0.8)
        XCTAssertEqual(config.training.schedule.kind, .onecycle)
        XCTAssertEqual(config.training.augment.timeMask, 10)
        XCTAssertEqual(config.output, "runs/x")
    }

    func testUnknownKeysAreNamed() {
        expectError(#"{"modle": {}}"#, key: "modle", mentioning: "unknown key")
        expectError(#"{"training": {"optimizer": {"learning_rate": 0.1}}}"#, key: "training.optimizer.learning_rate", mentioning: "unknown key")
    }

    func testWrongTypesAreNamed() {
        expectError(#"{"training": {"epochs": "ten"}}"#, key: "training.epochs", mentioning: "expected an integer, got a string")
        expectError(#"{"training": {"epochs": 2.5}}"#, key: "training.epochs", mentioning: "integer")
        expectError(#"{"data": {"synthesize_if_missing": 1}}"#, key: "data.synthesize_if_missing", mentioning: "true or false")
        expectError(#"{"model": {"width": true}}"#, key: "model.width", mentioning: "a number, got a boolean")
        expectError(#"{"model": []}"#, key: "model", mentioning: "expected an object")
    }

    func testBadValuesAreNamed() {
        expectError(#"{"model": {"arch": "resnet"}}"#, key: "model.arch", mentioning: "mobilenet_v1, mobilenet_v2, shufflenet_v1")
        expectError(#"{"training": {"optimizer": {"name": "rmsprop"}}}"#, key: "training.optimizer.name", mentioning: "sgd, adam, adamw")
        expectError(#"{"training": {"schedule": {"name": "linear"}}}"#, key: "training.schedule.name", mentioning: "cosine, step, onecycle, constant")
        expectError(#"{"data": {"split": {"train": 0.9, "validation": 0.2, "test": 0.1}}}"#, key: "data.split.train", mentioning: "add up to 1")
        expectError(#"{"features": {"n_fft": 1000, "n_mels": 600}}"#, key: "features", mentioning: "n_mels")
    }

    func testFileErrorsNameTheFile() throws {
        let folder = makeTemporaryFolder("genre-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.json").path
        try "{ not json".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Config.load(path: bad)) { XCTAssertEqual(String(describing: $0), "\(bad): not valid JSON (line 1, column 3: expected a key in an object)") }
        let missing = folder.appendingPathComponent("missing.json").path
        XCTAssertThrowsError(try Config.load(path: missing)) { XCTAssertEqual(String(describing: $0), "\(missing): no such file") }
        let typo = folder.appendingPathComponent("typo.json").path
        try #"{"trainig": {}}"#.write(toFile: typo, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Config.load(path: typo)) { XCTAssertEqual(String(describing: $0), "\(typo): trainig: unknown key") }
    }
}
