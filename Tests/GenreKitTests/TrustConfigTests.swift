import Basics
import Foundation
import GenreKit
import XCTest

/// The keys of calibration, class balance, grouped splits and fine-tuning: read, and strict.
final class TrustConfigTests: XCTestCase {
    private func parse(_ json: String) throws -> Config {
        try Config(json: try JSON(parsing: json.utf8))
    }

    private func expectError(_ json: String, key: String, mentioning phrase: String, line: UInt = #line) {
        XCTAssertThrowsError(try parse(json), line: line) { error in
            XCTAssertEqual((error as? ConfigError)?.key, key, "\(error)", line: line)
            XCTAssertTrue("\(error)".contains(phrase), "\(error)", line: line)
        }
    }

    func testDefaultsAndValues() throws {
        let defaults = try parse("{}")
        XCTAssertEqual(defaults.training.classWeights, .none)
        XCTAssertEqual(defaults.training.sampler, .shuffle)
        XCTAssertEqual(defaults.training.freeze, [])
        XCTAssertNil(defaults.data.groupBy)
        XCTAssertEqual(defaults.data.calibrationFraction, 0)
        let calibrated = try parse(#"{"data": {"split": {"train": 0.5, "validation": 0.2, "calibration": 0.1, "test": 0.2}}}"#)
        XCTAssertEqual(calibrated.data.calibrationFraction, 0.1)
        let lists = try parse(#"{"data": {"split_files": {"train": "t.txt", "validation": "v.txt", "calibration": "c.txt", "test": "e.txt"}}}"#)
        XCTAssertEqual(lists.data.splitFiles?.calibration, "c.txt")
        XCTAssertNil(try parse(#"{"data": {"split_files": {"train": "t.txt", "validation": "v.txt", "test": "e.txt"}}}"#).data.splitFiles?.calibration)
        let config = try parse("""
            {"data": {"split": {"group_by": "^[^/]+/([^/]+)/"}},
             "training": {"class_weights": "balanced", "sampler": "balanced", "freeze": ["features.0", "features.1"]}}
            """)
        XCTAssertEqual(config.data.groupBy, "^[^/]+/([^/]+)/")
        XCTAssertEqual(config.training.classWeights, .balanced)
        XCTAssertEqual(config.training.sampler, .balanced)
        XCTAssertEqual(config.training.freeze, ["features.0", "features.1"])
    }

    func testBadValuesListTheChoices() {
        expectError(#"{"training": {"class_weights": "inverse"}}"#, key: "training.class_weights", mentioning: "'inverse' is not one of none, balanced")
        expectError(#"{"training": {"sampler": "weighted"}}"#, key: "training.sampler", mentioning: "is not one of shuffle, balanced")
        expectError(#"{"training": {"freeze": "features"}}"#, key: "training.freeze", mentioning: "an array of strings")
        expectError(#"{"training": {"freeze": [""]}}"#, key: "training.freeze", mentioning: "must not be empty")
        expectError(#"{"data": {"split": {"group_by": "(unclosed"}}}"#, key: "data.split.group_by", mentioning: "not a valid regular expression")
        expectError(#"{"data": {"split": {"group": "x"}}}"#, key: "data.split.group", mentioning: "unknown key")
        // The four fractions must add up to 1.
        expectError(#"{"data": {"split": {"train": 0.7, "validation": 0.15, "calibration": 0.15, "test": 0.15}}}"#,
                    key: "data.split.train", mentioning: "add up to 1")
    }
}
