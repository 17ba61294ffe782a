import Audio
import Basics
import Features
import Foundation
import GenreKit
import TestSupport
import XCTest

final class DataSetTests: XCTestCase {
    var root: URL!

    override func setUp() {
        root = makeTemporaryFolder("genre-data")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    /// `counts[label]` short WAVs per label, a nested one, and non-audio files that must be ignored.
    func makeTree(_ counts: [String: Int]) throws {
        for (label, n) in counts {
            let folder = root.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("live"), withIntermediateDirectories: true)
            for i in 0..<n {
                let sub = i == 0 ? "live/" : ""
                let samples = (0..<2000).map { sin(Float($0 * (i + 1)) * 0.01) * 0.3 }
                try AudioWriter.write(samples: samples, sampleRate: 22050, to: folder.appendingPathComponent("\(sub)\(label).\(i).wav").path)
            }
            try "notes".write(to: folder.appendingPathComponent("readme.txt"), atomically: true, encoding: .utf8)
        }
    }

    func testScanFindsLabelsInOrderAndAudioRecursively() throws {
        try makeTree(["rock": 3, "jazz": 2])
        let data = try DataSet(root: root.path)
        XCTAssertEqual(data.labels, ["jazz", "rock"])
        XCTAssertEqual(data.items.count, 5)
        XCTAssertTrue(data.items.contains { $0.relativePath == "rock/live/rock.0.wav" && $0.label == 1 })
        // A folder that links back to one it is inside is not searched again.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("rock/live/again").path, withDestinationPath: "..")
        XCTAssertEqual(try DataSet(root: root.path).items.map(\.relativePath), data.items.map(\.relativePath))
        // Hidden files and folders are skipped, as `genre predict` skips them: a Mac's AppleDouble
        // copies (`._x.wav`, `.AppleDouble/`) hold no audio, a `.trash` holds what was thrown away.
        for hidden in ["rock/._rock.1.wav", "rock/.AppleDouble/rock.1.wav", "jazz/live/.trash/old.wav"] {
            let file = root.appendingPathComponent(hidden)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AudioWriter.write(samples: [0.1, 0.2], sampleRate: 22050, to: file.path)
        }
        XCTAssertEqual(try DataSet(root: root.path).items.map(\.relativePath), data.items.map(\.relativePath))
    }

    /// A file whose name is not UTF-8 (Latin-1 "café") is found and decodes under the path the
    /// data set gives; a label folder so named is refused, since labels are written as text.
    func testNamesThatAreNotUTF8() throws {
        try makeTree(["rock": 2, "jazz": 2])
        let raw = Array((root.path + "/rock/caf").utf8) + [0xE9] + Array(".wav".utf8)
        XCTAssertEqual(rename(root.appendingPathComponent("rock/rock.1.wav").path, raw.map(CChar.init(bitPattern:)) + [0]), 0)
        let data = try DataSet(root: root.path)
        XCTAssertEqual(data.items.count, 4)
        let item = try XCTUnwrap(data.items.first { $0.relativePath.hasPrefix("rock/caf") }, "\(data.items.map(\.relativePath))")
        XCTAssertEqual(FileSystemBytes.bytes(item.path), raw)
        XCTAssertEqual(try AudioLoader.load(path: item.path).count, 2000)

        let label = Array((root.path + "/b").utf8) + [0xE4, 0x64]
        XCTAssertEqual(mkdir(label.map(CChar.init(bitPattern:)) + [0], 0o755), 0)
        XCTAssertThrowsError(try DataSet(root: root.path)) { error in
            XCTAssertTrue("\(error)".hasSuffix("label folder's name is not UTF-8 text; rename it"), "\(error)")
        }
    }

    func testSplitIsStratifiedDeterministicAndDisjoint() throws {
        try makeTree(["a": 20, "b": 10])
        let data = try DataSet(root: root.path)
        let one = data.split(train: 0.7, validation: 0.15, seed: 1)
        let again = data.split(train: 0.7, validation: 0.15, seed: 1)
        let other = data.split(train: 0.7, validation: 0.15, seed: 2)
        XCTAssertEqual(one.train, again.train)
        XCTAssertNotEqual(one.train, other.train)
        XCTAssertEqual(one.train.filter { $0.label == 0 }.count, 14)
        XCTAssertEqual(one.train.filter { $0.label == 1 }.count, 7)
        XCTAssertEqual(one.validation.filter { $0.label == 0 }.count, 3)
        let all = Set(one.train + one.validation + one.test)
        XCTAssertEqual(all.count, 30, "every file in exactly one split")
    }

    /// `data.split.calibration` cuts its files from those that went to test: with 0 the other
    /// parts are as before, with 0.15 the four parts are disjoint and stratified.
    func testCalibrationSplitIsCutBeforeTest() throws {
        try makeTree(["a": 20, "b": 10])
        let data = try DataSet(root: root.path)
        let three = data.split(train: 0.7, validation: 0.15, seed: 1)
        XCTAssertEqual(three.calibration, [])
        let four = data.split(train: 0.4, validation: 0.15, calibration: 0.15, seed: 1)
        XCTAssertEqual(four.train.filter { $0.label == 0 }.count, 8)
        XCTAssertEqual(four.validation.filter { $0.label == 0 }.count, 3)
        XCTAssertEqual(four.calibration.filter { $0.label == 0 }.count, 3)
        XCTAssertEqual(four.test.filter { $0.label == 0 }.count, 6)
        XCTAssertEqual(four.calibration.filter { $0.label == 1 }.count, 2)
        let all = four.train + four.validation + four.calibration + four.test
        XCTAssertEqual(Set(all).count, 30, "every file in exactly one split")
        XCTAssertEqual(all.count, 30)
        // The same shuffle: training and validation files do not move when calibration is added.
        XCTAssertEqual(data.split(train: 0.4, validation: 0.15, seed: 1).train, four.train)
        XCTAssertEqual(data.split(train: 0.4, validation: 0.15, seed: 1).validation, four.validation)
    }

    func testSplitListsInGTZANLayout() throws {
        try makeTree(["a": 3, "b": 3])
        let data = try DataSet(root: root.path)
        // The training list as Windows' Notepad saves it: a byte-order mark first, CRLF.
        let lists = ["train": "\u{FEFF}a/a.1.wav\r\nb/b.1.wav\r\n", "valid": "a/a.2.wav\n", "test": "b/b.2.wav\n# comment\n"]
        for (name, text) in lists {
            try text.write(to: root.appendingPathComponent("\(name)_filtered.txt"), atomically: true, encoding: .utf8)
        }
        let split = try data.split(trainList: root.appendingPathComponent("train_filtered.txt").path,
                                   validationList: root.appendingPathComponent("valid_filtered.txt").path,
                                   testList: root.appendingPathComponent("test_filtered.txt").path)
        XCTAssertEqual(split.train.map(\.relativePath), ["a/a.1.wav", "b/b.1.wav"])
        XCTAssertEqual(split.validation.map(\.relativePath), ["a/a.2.wav"])
        XCTAssertEqual(split.test.map(\.label), [1])
        // Lines are counted as an editor counts them: blank ones too, CRLF as one break.
        try "\r\n# note\r\na/missing.wav\r\n".write(to: root.appendingPathComponent("test_filtered.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try data.split(trainList: root.appendingPathComponent("train_filtered.txt").path,
                                            validationList: root.appendingPathComponent("valid_filtered.txt").path,
                                            testList: root.appendingPathComponent("test_filtered.txt").path)) {
            XCTAssertTrue(String(describing: $0).contains("line 3: 'a/missing.wav'"), "\($0)")
        }
    }

    func testEmptyDataFoldersAreExplained() throws {
        XCTAssertThrowsError(try DataSet(root: root.appendingPathComponent("nope").path)) {
            XCTAssertTrue(String(describing: $0).contains("does not exist"))
        }
        XCTAssertThrowsError(try DataSet(root: root.path)) { XCTAssertTrue(String(describing: $0).contains("no label sub-folders")) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("pop"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try DataSet(root: root.path)) { XCTAssertTrue(String(describing: $0).contains("pop: label folder holds no audio")) }
    }

    func testFeatureCacheComputesOnceAndNoticesChanges() throws {
        try makeTree(["a": 2])
        let cacheFolder = root.appendingPathComponent(".cache").path
        let cache = FeatureCache(folder: cacheFolder, parameters: FeatureParameters(nMels: 32))
        let file = root.appendingPathComponent("a/a.1.wav").path
        let first = try cache.spectrogram(for: file).inMemory
        XCTAssertEqual(first, try LogMel(FeatureParameters(nMels: 32)).compute(path: file))
        // One log-mel (and the hash of its decoded audio beside it).
        let entries = try FileManager.default.contentsOfDirectory(atPath: cacheFolder).filter { $0.hasSuffix(".npy") }
        XCTAssertEqual(entries.count, 1)
        // Poison the entry: a cache hit must return the poisoned values, proving it was read.
        var poisoned = first
        poisoned.values[0] = 12345
        try NpyWriter.write(poisoned, to: cacheFolder + "/" + entries[0])
        XCTAssertEqual(try cache.spectrogram(for: file).inMemory.values[0], 12345)
        // Other parameters use another entry.
        _ = try FeatureCache(folder: cacheFolder, parameters: FeatureParameters(nMels: 16)).spectrogram(for: file)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cacheFolder).filter { $0.hasSuffix(".npy") }.count, 2)
        // A rewritten file (new size) is computed again.
        try AudioWriter.write(samples: [Float](repeating: 0.1, count: 3000), sampleRate: 22050, to: file)
        XCTAssertNotEqual(try cache.spectrogram(for: file).inMemory.values[0], 12345)
    }

    /// Cached log-mels are mapped from their files, so a data set need not fit in memory; with a
    /// cache that cannot be written they are held in memory instead, with the same values.
    func testFeatureCacheEntriesAreMappedOrHeld() throws {
        try makeTree(["a": 1])
        let file = root.appendingPathComponent("a/live/a.0.wav").path
        let expected = try LogMel(FeatureParameters(nMels: 16)).compute(path: file)
        let cache = FeatureCache(folder: root.appendingPathComponent(".cache").path, parameters: FeatureParameters(nMels: 16))
        for _ in 0..<2 {  // computed, then read back
            let entry = try cache.spectrogram(for: file)
            XCTAssertTrue(entry.isMapped)
            XCTAssertEqual(entry.inMemory, expected)
        }
        // A cache folder under a regular file cannot be made, even by root.
        let blocker = root.appendingPathComponent("not-a-folder").path
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let unwritable = FeatureCache(folder: blocker + "/cache", parameters: FeatureParameters(nMels: 16))
        let held = try unwritable.spectrogram(for: file)
        XCTAssertFalse(held.isMapped)
        XCTAssertEqual(held.inMemory, expected)
        XCTAssertNotNil(unwritable.writeFailure)
    }

    /// A cache file cut short while training reads it mapped (another program, a disk error: the
    /// kernel's SIGBUS) ends the process with one line naming the cache and exit status 1, not a
    /// crash. The reading is done by a child: this test binary, running this test alone.
    func testCacheFileCutShortWhileInUseEndsWithAMessage() throws {
        let environment = ProcessInfo.processInfo.environment
        if let file = environment["GENRE_TEST_CUT_CACHE_AUDIO"], let cacheFolder = environment["GENRE_TEST_CUT_CACHE_FOLDER"] {
            let entry = try FeatureCache(folder: cacheFolder, parameters: FeatureParameters(nMels: 16)).spectrogram(for: file)
            let npy = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: cacheFolder).first { $0.hasSuffix(".npy") })
            XCTAssertEqual(truncate(cacheFolder + "/" + npy, 64), 0)
            let sum = entry.withValues { $0.reduce(0, +) }
            XCTFail("read \(sum) from a cache file cut short")
            return
        }
        let audio = root.appendingPathComponent("long.wav").path
        try AudioWriter.write(samples: (0..<66150).map { sin(Float($0) * 0.03) * 0.3 }, sampleRate: 22050, to: audio)
        let cacheFolder = root.appendingPathComponent(".cache").path
        try ChildTest.assertFails("GenreKitTests.DataSetTests/testCacheFileCutShortWhileInUseEndsWithAMessage",
                                  environment: ["GENRE_TEST_CUT_CACHE_AUDIO": audio, "GENRE_TEST_CUT_CACHE_FOLDER": cacheFolder],
                                  lastLine: "genre: error: \(cacheFolder): a feature-cache file could not be read while in use (changed by "
                                      + "another program, or a disk error); run again to compute it anew")
    }

    /// A data set with more files than the system lets a process map is warned of before its
    /// log-mels are read; this machine's limit is read from /proc.
    func testMappingLimitWarning() throws {
        XCTAssertNil(FeatureCache.mappingWarning(files: 64_000, limit: 65_530))
        XCTAssertNil(FeatureCache.mappingWarning(files: 106_574, limit: nil))
        XCTAssertEqual(FeatureCache.mappingWarning(files: 106_574, limit: 65_530),
                       "warning: 106574 files, and the system maps at most 65530 regions a process (vm.max_map_count): the log-mels past "
                       + "about 64530 are held in memory; for a data set this large raise it (sysctl -w vm.max_map_count=213148)")
        let limit = try XCTUnwrap(FeatureCache.systemMappingLimit)
        XCTAssertEqual(limit, Int(try String(contentsOfFile: "/proc/sys/vm/max_map_count", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func testParallelFeaturesKeepOrderAndPerFileErrors() throws {
        try makeTree(["a": 3])
        let cache = FeatureCache(folder: root.appendingPathComponent(".cache").path, parameters: FeatureParameters(nMels: 16))
        let paths = (0..<3).map { root.appendingPathComponent("a/\($0 == 0 ? "live/" : "")a.\($0).wav").path } + [root.appendingPathComponent("a/bad.wav").path]
        let results = cache.spectrograms(for: paths, threads: 2)
        XCTAssertEqual(results.count, 4)
        for i in 0..<3 { XCTAssertEqual(try results[i].get().inMemory, try LogMel(FeatureParameters(nMels: 16)).compute(path: paths[i])) }
        XCTAssertThrowsError(try results[3].get())
    }
}
