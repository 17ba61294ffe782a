import Basics
import Audio
import Features
import Foundation
import GenreKit
import TestSupport
import XCTest

/// `data.split.group_by`: files of one group stay in one split; per-label proportions stay close.
final class GroupSplitTests: XCTestCase {
    var root: URL!

    override func setUp() { root = makeTemporaryFolder("genre-groups") }
    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    /// Label folders of files named `artist<k> - song<j>.wav` (empty files: the split only scans).
    private func makeTree() throws -> DataSet {
        for (label, artists) in [("jazz", 12), ("rock", 8)] {
            let folder = root.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for artist in 0..<artists {
                for song in 0..<(1 + artist % 3) {
                    _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("artist\(artist) - song\(song).wav").path, contents: Data())
                }
            }
        }
        return try DataSet(root: root.path)
    }

    func testGroupKey() throws {
        let capture = try Regex(#"/(artist\d+) - "#)
        XCTAssertEqual(DataSet.groupKey("rock/artist3 - song1.wav", capture), "artist3")
        let whole = try Regex(#"artist\d+"#)
        XCTAssertEqual(DataSet.groupKey("rock/artist12 - song1.wav", whole), "artist12")
        // No match: a group of its own.
        XCTAssertNotEqual(DataSet.groupKey("rock/a.wav", whole), DataSet.groupKey("rock/b.wav", whole))
    }

    func testGroupsStayInOneSplitAndLabelsStayStratified() throws {
        let data = try makeTree()
        let expression = try Regex(#"/(artist\d+) - "#)
        let split = try data.split(train: 0.6, validation: 0.2, seed: 4, groupBy: #"/(artist\d+) - "#)
        XCTAssertEqual(split.train.count + split.validation.count + split.test.count, data.items.count)
        var home: [String: Int] = [:]
        for (index, part) in [split.train, split.validation, split.test].enumerated() {
            for item in part {
                // artistN names a group across label folders too.
                let key = DataSet.groupKey(item.relativePath, expression)
                XCTAssertEqual(home[key, default: index], index, "\(item.relativePath) is split from its group")
                home[key] = index
            }
        }
        // Each label within a group's size (≤ 3 files) of the ungrouped split's counts.
        let plain = data.split(train: 0.6, validation: 0.2, seed: 4)
        for label in 0..<2 {
            for (grouped, ungrouped) in [(split.train, plain.train), (split.validation, plain.validation), (split.test, plain.test)] {
                let a = grouped.filter { $0.label == label }.count, b = ungrouped.filter { $0.label == label }.count
                XCTAssertLessThanOrEqual(abs(a - b), 3, "label \(label): \(a) vs \(b)")
            }
            XCTAssertGreaterThan(split.validation.filter { $0.label == label }.count, 0)
            XCTAssertGreaterThan(split.test.filter { $0.label == label }.count, 0)
        }
        // Deterministic; another seed another split.
        XCTAssertEqual(try data.split(train: 0.6, validation: 0.2, seed: 4, groupBy: #"/(artist\d+) - "#).train, split.train)
        XCTAssertNotEqual(try data.split(train: 0.6, validation: 0.2, seed: 5, groupBy: #"/(artist\d+) - "#).train, split.train)
        // Without grouping, the same artists land in several splits (what group_by prevents).
        let scattered = Set(plain.train.map { DataSet.groupKey($0.relativePath, expression) })
            .intersection(plain.test.map { DataSet.groupKey($0.relativePath, expression) })
        XCTAssertFalse(scattered.isEmpty)
    }

    /// With a calibration fraction, groups stay whole across four parts; without one, no file
    /// goes to calibration.
    func testGroupsStayWholeWithACalibrationSplit() throws {
        let data = try makeTree()
        let pattern = #"/(artist\d+) - "#
        let expression = try Regex(pattern)
        XCTAssertEqual(try data.split(train: 0.6, validation: 0.2, seed: 4, groupBy: pattern).calibration, [])
        let split = try data.split(train: 0.5, validation: 0.15, calibration: 0.15, seed: 4, groupBy: pattern)
        let parts = [split.train, split.validation, split.calibration, split.test]
        XCTAssertEqual(parts.map(\.count).reduce(0, +), data.items.count)
        XCTAssertTrue(parts.allSatisfy { !$0.isEmpty }, "\(parts.map(\.count))")
        var home: [String: Int] = [:]
        for (index, part) in parts.enumerated() {
            for item in part {
                let key = DataSet.groupKey(item.relativePath, expression)
                XCTAssertEqual(home[key, default: index], index, "\(item.relativePath) is split from its group")
                home[key] = index
            }
        }
    }
}

/// Identical audio in two splits is found through the hash of the decoded samples, kept in the
/// feature cache beside the log-mel.
final class DuplicateAudioTests: XCTestCase {
    func testHashesFindCopiesAcrossSplits() throws {
        let root = makeTemporaryFolder("genre-duplicates")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        for label in ["a", "b"] {
            try FileManager.default.createDirectory(at: data.appendingPathComponent(label), withIntermediateDirectories: true)
            for i in 0..<4 {
                let samples = (0..<8000).map { sin(Float($0 * (i + 2) + (label == "a" ? 0 : 7)) * 0.01) * 0.3 }
                try AudioWriter.write(samples: samples, sampleRate: 22050, to: data.appendingPathComponent("\(label)/\(label)\(i).wav").path)
            }
        }
        // Every file of "a" also under another name: each copy's split is drawn independently.
        for i in 0..<4 {
            try FileManager.default.copyItem(atPath: data.appendingPathComponent("a/a\(i).wav").path, toPath: data.appendingPathComponent("a/copy\(i).wav").path)
        }
        let cache = FeatureCache(folder: root.appendingPathComponent("cache").path, parameters: FeatureParameters(nFFT: 512, hopLength: 256, nMels: 16))
        let first = try cache.entry(for: data.appendingPathComponent("a/a0.wav").path)
        let copy = try cache.entry(for: data.appendingPathComponent("a/copy0.wav").path)
        let other = try cache.entry(for: data.appendingPathComponent("a/a1.wav").path)
        XCTAssertEqual(first.audioHash, copy.audioHash)
        XCTAssertNotEqual(first.audioHash, other.audioHash)
        XCTAssertEqual(first.audioHash.count, 32)
        XCTAssertEqual(first.spectrogram.inMemory.values, try LogMel(cache.parameters).compute(path: data.appendingPathComponent("a/a0.wav").path).values)
        let hashFiles = try FileManager.default.contentsOfDirectory(atPath: cache.folder).filter { $0.hasSuffix(".audiohash") }
        XCTAssertEqual(hashFiles.count, 3)
        // Read back from the cache: the same hash.
        XCTAssertEqual(try cache.entry(for: data.appendingPathComponent("a/a0.wav").path).audioHash, first.audioHash)

        let config = try Config(json: [
            "data": ["root": .string(data.path(percentEncoded: false)), "split": ["train": 0.5, "validation": 0.25, "test": 0.25, "seed": 2]],
            "features": ["n_fft": 512, "hop_length": 256, "n_mels": 16, "segment_seconds": 0.2, "segment_hop_seconds": 0.1],
            "training": ["batch_size": 4],
        ])
        var logged: [String] = []
        let prepared = try TrainingData.prepare(config, cacheFolder: cache.folder, threads: 2, log: { logged.append($0) })
        let splitOf = Dictionary(uniqueKeysWithValues: [(prepared.trainItems, "train"), (prepared.validationItems, "validation"), (prepared.testItems, "test")]
            .flatMap { items, name in items.map { ($0.relativePath, name) } })
        let crossing = (0..<4).filter { splitOf["a/a\($0).wav"] != splitOf["a/copy\($0).wav"] }
        XCTAssertFalse(crossing.isEmpty, "the seed puts some copy in another split")
        let warnings = logged.filter { $0.contains("identical audio in the") }
        XCTAssertEqual(warnings.count, crossing.count, "\(logged)")
        for i in crossing { XCTAssertTrue(warnings.contains { $0.contains("a\(i).wav") && $0.contains("copy\(i).wav") }, "\(warnings)") }
    }
}
