import Audio
import Foundation
import Synth
import TestSupport
import XCTest

/// The data set on disk: layout, marker, byte-identical repeats, decoding, overwrite rules.
final class DemoDataSetTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-synth") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private let small = DemoDataSet.Parameters(clipsPerGenre: 2, seconds: 1.5, seed: 3)

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func bytes(of files: [String]) throws -> [Data] {
        try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    }

    func testNamesListTheStylesInOrder() {
        XCTAssertEqual(GenreStyle.names, GenreStyle.all.map(\.name))
    }

    func testWritesGTZANLayoutThatDecodesThroughAudio() throws {
        let written = try DemoDataSet.synthesize(to: path("set"), parameters: small)
        XCTAssertEqual(written.count, 2 * GenreStyle.all.count)
        XCTAssertTrue(written.contains(path("set") + "/rock/rock.00001.wav"))
        for file in written {
            let info = try AudioInfo(path: file)
            XCTAssertEqual(info.sampleRate, 22050, file)
            XCTAssertEqual(info.channels, 1, file)
            XCTAssertEqual(info.frames, Int(1.5 * 22050), file)
            let samples = try AudioLoader.load(path: file)
            XCTAssertEqual(samples.count, info.frames, file)
            XCTAssertGreaterThan(samples.map(abs).max()!, 0.05, "\(file) is silent")
        }
        let marker = try XCTUnwrap(DemoDataSet.marker(in: path("set")))
        XCTAssertTrue(marker.complete)
        XCTAssertEqual(marker.seed, 3)
        XCTAssertEqual(marker.clipsPerGenre, 2)
    }

    func testSameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot() throws {
        let first = try DemoDataSet.synthesize(to: path("a"), parameters: small)
        let again = try DemoDataSet.synthesize(to: path("b"), parameters: small)
        var otherSeed = small
        otherSeed.seed = 4
        let other = try DemoDataSet.synthesize(to: path("c"), parameters: otherSeed)
        let firstBytes = try bytes(of: first)
        XCTAssertEqual(firstBytes, try bytes(of: again))
        for (a, c) in zip(firstBytes, try bytes(of: other)) { XCTAssertNotEqual(a, c) }
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("a/" + DemoDataSet.markerName)),
                       try Data(contentsOf: folder.appendingPathComponent("b/" + DemoDataSet.markerName)))
    }

    func testClipsOfAGenreDoNotDependOnWhichOtherGenresAreRendered() throws {
        var rockOnly = small
        rockOnly.genres = ["rock"]
        let alone = try DemoDataSet.synthesize(to: path("rock"), parameters: rockOnly)
        let all = try DemoDataSet.synthesize(to: path("all"), parameters: small).filter { $0.contains("/rock/") }
        XCTAssertEqual(try bytes(of: alone), try bytes(of: all))
    }

    func testRefusesAForeignFolderUnlessForced() throws {
        try FileManager.default.createDirectory(atPath: path("mine"), withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: folder.appendingPathComponent("mine/notes.txt"))
        XCTAssertThrowsError(try DemoDataSet.synthesize(to: path("mine"), parameters: small)) { error in
            XCTAssertTrue(String(describing: error).contains("--force"), String(describing: error))
        }
        XCTAssertNil(DemoDataSet.marker(in: path("mine")))
        try DemoDataSet.synthesize(to: path("mine"), parameters: small, force: true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("mine/notes.txt")))
        XCTAssertNotNil(DemoDataSet.marker(in: path("mine")))
    }

    /// A folder that cannot be made is one line naming it: under a file, or where writing is denied.
    func testFolderThatCannotBeMade() throws {
        try Data("x".utf8).write(to: folder.appendingPathComponent("file"))
        XCTAssertThrowsError(try DemoDataSet.synthesize(to: path("file/set"), parameters: small)) { error in
            XCTAssertEqual(String(describing: error), path("file") + ": exists and is not a folder")
        }
        XCTAssertThrowsError(try DemoDataSet.synthesize(to: path("file"), parameters: small)) { error in
            XCTAssertEqual(String(describing: error), path("file") + ": exists and is not a folder")
        }
        try FileManager.default.createDirectory(atPath: path("deep"), withIntermediateDirectories: true)
        try DemoDataSet.synthesize(to: path("deep/a/b"), parameters: small)
        XCTAssertNotNil(DemoDataSet.marker(in: path("deep/a/b")))
    }

    func testRerunIntoItsOwnFolderReplacesThePreviousClips() throws {
        try DemoDataSet.synthesize(to: path("set"), parameters: small)
        var fewer = small
        fewer.clipsPerGenre = 1
        fewer.genres = ["jazz", "metal"]
        try DemoDataSet.synthesize(to: path("set"), parameters: fewer)
        let files = FileManager.default
        XCTAssertTrue(files.fileExists(atPath: path("set/jazz/jazz.00000.wav")))
        XCTAssertFalse(files.fileExists(atPath: path("set/jazz/jazz.00001.wav")))
        XCTAssertFalse(files.fileExists(atPath: path("set/rock/rock.00000.wav")))
        XCTAssertEqual(DemoDataSet.marker(in: path("set"))?.genres, ["jazz", "metal"])
    }

    func testRejectsBadParameters() {
        var unknown = small
        unknown.genres = ["rock", "polka"]
        XCTAssertThrowsError(try DemoDataSet.synthesize(to: path("x"), parameters: unknown)) { error in
            XCTAssertTrue(String(describing: error).contains("polka"))
        }
        var none = small
        none.clipsPerGenre = 0
        XCTAssertThrowsError(try DemoDataSet.synthesize(to: path("x"), parameters: none))
        var twice = small
        twice.genres = ["rock", "rock"]
        XCTAssertThrowsError(try DemoDataSet.synthesize(to: path("x"), parameters: twice))
    }

    func testReportsProgressForEveryClip() throws {
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var calls: [Int] = []
        }
        let counter = Counter()
        try DemoDataSet.synthesize(to: path("set"), parameters: small) { done, total in
            XCTAssertEqual(total, 2 * GenreStyle.all.count)
            counter.lock.withLock { counter.calls.append(done) }
        }
        XCTAssertEqual(counter.calls, Array(1...(2 * GenreStyle.all.count)))
    }
}
