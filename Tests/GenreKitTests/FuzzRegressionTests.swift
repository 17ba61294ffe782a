import Basics
import Audio
import Features
import Foundation
import GenreKit
import Models
import SafeTensors
import TestSupport
import XCTest

/// The fuzz targets' seeds (Fuzz/Corpus/TARGET) and every input that once crashed or hung one
/// (Fuzz/Regressions/TARGET-…), through the same calls as the targets: each is read, or refused
/// with one error line.
final class FuzzRegressionTests: XCTestCase {
    static let fuzz = Fixtures.packageRoot.appendingPathComponent("Fuzz")

    func inputs(_ target: String, seeds: Bool = true, regressions: Bool = true) throws -> [(name: String, bytes: [UInt8])] {
        var urls: [URL] = []
        let manager = FileManager.default
        if seeds {
            let folder = Self.fuzz.appendingPathComponent("Corpus/\(target)")
            urls += try manager.contentsOfDirectory(atPath: folder.path).map { folder.appendingPathComponent($0) }
        }
        if regressions {
            let folder = Self.fuzz.appendingPathComponent("Regressions")
            urls += try manager.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(target + "-") }.map { folder.appendingPathComponent($0) }
        }
        return try urls.sorted { $0.path < $1.path }.map { ($0.lastPathComponent, [UInt8](try Data(contentsOf: $0))) }
    }

    func regression(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Self.fuzz.appendingPathComponent("Regressions/\(name)")))
    }

    func assertOneLine(_ error: Error, mentions text: String, file: StaticString = #filePath, line: UInt = #line) {
        let message = String(describing: error)
        XCTAssertTrue(message.contains(text), "\"\(message)\" does not say \(text)", file: file, line: line)
        XCTAssertFalse(message.contains("\n"), file: file, line: line)
    }

    func testCheckpoints() throws {
        var loaded = 0
        for (name, bytes) in try inputs("FuzzCheckpoint") {
            guard let file = try? SafeTensorsFile(bytes: bytes, path: name), let info = try? Checkpoint.info(file, path: name) else { continue }
            let network = Network(info.spec)
            if (try? Checkpoint.load(file, into: network, path: name)) != nil { loaded += 1 }
        }
        XCTAssertEqual(loaded, 3, "the three seed checkpoints load")
        // A ShuffleNet so narrow its first unit would have -10 channels hung building the network.
        let narrow = try SafeTensorsFile(bytes: regression("FuzzCheckpoint-shufflenet-negative-channels.safetensors"))
        XCTAssertThrowsError(try Checkpoint.info(narrow, path: "narrow.safetensors")) {
            assertOneLine($0, mentions: "narrow.safetensors: metadata 'model' describes no working network: stage2.0.gconv2: 3 → -10 channels")
        }
        let wide = try SafeTensorsFile(bytes: regression("FuzzCheckpoint-huge-in-channels.safetensors"))
        XCTAssertThrowsError(try Checkpoint.info(wide, path: "wide.safetensors")) { assertOneLine($0, mentions: "wide.safetensors: metadata 'model.in_channels' 100000000 is outside") }
    }

    func testConfigs() throws {
        for (name, bytes) in try inputs("FuzzConfig", regressions: false) {
            let json = try JSON(parsing: bytes)
            XCTAssertNoThrow(try Config(json: json), name)
        }
        let narrow = try JSON(parsing: regression("FuzzConfig-shufflenet-negative-channels.json"))
        XCTAssertThrowsError(try Config(json: narrow)) { assertOneLine($0, mentions: "model.width") }
        for width in [0.25, 0.5, 1, 2] {
            XCTAssertNil(ModelSpec(arch: .shufflenetV1, width: width, groups: 3).problem)
            XCTAssertNil(ModelSpec(arch: .mobilenetV1, width: width).problem)
            XCTAssertNil(ModelSpec(arch: .mobilenetV2, width: width).problem)
        }
        XCTAssertNotNil(ModelSpec(arch: .mobilenetV1, width: 5).problem, "wider than configs allow")
        XCTAssertNotNil(ModelSpec(arch: .mobilenetV2, width: .nan).problem)
        XCTAssertNotNil(ModelSpec(arch: .shufflenetV1, width: 1, groups: 5).problem)
        XCTAssertNotNil(ModelSpec(arch: .shufflenetV1, width: 0.33, groups: 3).problem, "channels the groups do not divide")
    }

    func testNpy() throws {
        for (name, bytes) in try inputs("FuzzNpy") {
            if name.hasPrefix("FuzzNpy-") {
                XCTAssertThrowsError(try NpyReader.read(bytes: bytes, path: name), name) { assertOneLine($0, mentions: name) }
            } else if let (values, shape) = try? NpyReader.read(bytes: bytes) {
                XCTAssertEqual(shape.reduce(1, *), values.count, name)
            }
        }
        let (values, shape) = try NpyReader.read(bytes: inputs("FuzzNpy", regressions: false).first { $0.name == "mel-4x6.npy" }!.bytes)
        XCTAssertEqual(shape, [4, 6])
        XCTAssertEqual(values.first, -3.5)
    }

    func testPredictionRowsAndSplitLists() throws {
        for (_, bytes) in try inputs("FuzzDonePaths") {
            _ = PredictionFormat.csv.donePaths(String(decoding: bytes, as: UTF8.self))
        }
        let csv = try inputs("FuzzDonePaths").first { $0.name == "out.csv" }!.bytes
        XCTAssertEqual(PredictionFormat.csv.donePaths(String(decoding: csv, as: UTF8.self)), ["a/b.wav", "c,d.wav"])
        let jsonl = try inputs("FuzzDonePaths").first { $0.name == "out.jsonl" }!.bytes
        XCTAssertEqual(PredictionFormat.jsonLines.donePaths(String(decoding: jsonl, as: UTF8.self)), ["a/b.wav", "yé.wav"])

        let root = makeTemporaryFolder("genre-splitlist")
        defer { try? FileManager.default.removeItem(at: root) }
        for path in ["blues/blues.00000.wav", "blues/blues.00001.wav", "jazz/jazz.00000.flac", "jazz/more/jazz.00001.mp3"] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: Data()))
        }
        let dataSet = try DataSet(root: root.path)
        let lists = Dictionary(uniqueKeysWithValues: try inputs("FuzzSplitList").map { ($0.name, String(decoding: $0.bytes, as: UTF8.self)) })
        XCTAssertEqual(try dataSet.items(inSplitList: lists["valid.txt"]!, path: "valid.txt").map(\.relativePath),
                       ["jazz/more/jazz.00001.mp3", "blues/blues.00001.wav"])
        XCTAssertThrowsError(try dataSet.items(inSplitList: lists["missing.txt"]!, path: "missing.txt")) {
            assertOneLine($0, mentions: "missing.txt: line 1: 'blues/missing.wav' is not an audio file")
        }
    }

    /// Every audio seed decodes from memory to the same samples as from its file.
    func testAudioFromMemory() throws {
        for (target, library) in [("FuzzSndFile", AudioLibrary.libsndfile), ("FuzzFFmpeg", .ffmpeg), ("FuzzAudioFile", .automatic)] {
            let folder = Self.fuzz.appendingPathComponent("Corpus/\(target)")
            for (name, bytes) in try inputs(target, regressions: false) {
                // Copy-protected seeds, there for the DRM checks' branches: refused, from memory as from a file.
                if ["cenc.m4a", "fairplay.m4p", "wmdrm.wma"].contains(name) {
                    XCTAssertThrowsError(try AudioLoader.load(bytes: bytes, name: name)) { assertOneLine($0, mentions: "\(name): protected by DRM (") }
                    XCTAssertThrowsError(try AudioLoader.load(path: folder.appendingPathComponent(name).path)) {
                        assertOneLine($0, mentions: ": protected by DRM (")
                    }
                    continue
                }
                let fromMemory = try AudioLoader.load(bytes: bytes, name: name)
                let fromFile = try AudioLoader.load(path: folder.appendingPathComponent(name).path)
                XCTAssertEqual(fromMemory, fromFile, "\(target) \(name)")
                XCTAssertFalse(try AudioStream(bytes: bytes, name: name, library: library).readAll().isEmpty, "\(target) \(name)")
            }
        }
        // An MPEG-4 atom whose 64-bit size wrapped the atom walk back to the start of the file.
        XCTAssertThrowsError(try AudioStream(bytes: regression("FuzzFFmpeg-atom-size-wraps.m4a"), name: "wrap.m4a", library: .ffmpeg)) {
            assertOneLine($0, mentions: "wrap.m4a: ")
        }
        // A WAV whose LIST/INFO chunk claims 1.7 GB: libavformat allocated and zeroed it whole
        // (2 KB in, 1.7 GB resident). Now refused or read without it.
        func peakResidentMB() -> Int {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return usage.ru_maxrss / 1024  // kilobytes on Linux
        }
        let peakBefore = peakResidentMB()
        _ = try? AudioStream(bytes: regression("FuzzFFmpeg-huge-info-chunk.wav"), name: "info.wav", library: .ffmpeg).readAll()
        XCTAssertLessThan(peakResidentMB() - peakBefore, 512, "MB of peak resident memory for a 2 KB file")
        // A WAV header claiming 1 Hz: resampling to 22050 Hz made gigabytes from a few kB.
        XCTAssertThrowsError(try AudioStream(bytes: regression("FuzzSndFile-1-hz.wav"), name: "1hz.wav")) {
            assertOneLine($0, mentions: "1hz.wav: implausible sample rate 1 Hz")
        }
        XCTAssertFalse(try AudioStream(bytes: regression("FuzzSndFile-1-hz.wav"), name: "1hz.wav", sampleRate: nil).readAll().isEmpty)
        // A LIST chunk whose sub-chunk sizes wrap libsndfile's walk into an endless loop (the file
        // has no 'fmt ' chunk, so FFmpeg refuses it too, and libsndfile's reason is the one given).
        // The same behind an ID3v2 tag, which libsndfile skips, and behind an empty one, after
        // which libsndfile read the WAV header from 2 bytes past the tag.
        for (input, library) in [("FuzzSndFile-list-subchunk-loops.wav", AudioLibrary.libsndfile), ("FuzzSndFile-list-subchunk-loops.wav", .automatic),
                                 ("FuzzSndFile-list-loops-after-id3.wav", .libsndfile), ("FuzzSndFile-list-loops-after-empty-id3.wav", .libsndfile)] {
            XCTAssertThrowsError(try AudioStream(bytes: regression(input), name: "loop.wav", library: library)) {
                assertOneLine($0, mentions: "loop.wav: not a readable audio file (damaged LIST chunk: its '????' sub-chunk claims 4294967295 bytes)")
            }
        }
        XCTAssertThrowsError(try AudioStream(bytes: Array("not audio".utf8), name: "notes.wav")) {
            assertOneLine($0, mentions: "notes.wav: not a readable audio file")
        }
    }
}
