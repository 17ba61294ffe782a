import Foundation
import TagTestSupport
import TestSupport
import XCTest

/// `-` reads one file from standard input: `predict`, `info` and `features` give what they give
/// for the file itself (a WAV through libsndfile, an M4A through FFmpeg, both from memory);
/// empty input and `-` among other paths are refused in one line.
final class StandardInputCLITests: XCTestCase, PredictFixtures {
    var folder: URL!
    let labels = ["rock", "jazz", "ambient"]

    override func setUp() { folder = makeTemporaryFolder("genre-stdin") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func bytes(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file)) }

    func testReadsOneFileFromStandardInput() throws {
        let checkpoint = try makeCheckpoint(classifierScale: 40)
        let wav = try makeClip("song.wav", seconds: 4, pitch: 330)
        try Media.encode(Media.m4a, from: wav, to: path("song.m4a"), metadata: [:], cover: nil)
        for file in [wav, path("song.m4a")] {
            let named = try CommandRunner.run(["predict", file, "--checkpoint", checkpoint, "--json", "--segments"])
            let piped = try CommandRunner.run(["predict", "-", "--checkpoint", checkpoint, "--json", "--segments"], stdin: try bytes(file))
            XCTAssertEqual(named.status, 0, named.stderr)
            XCTAssertEqual(piped.status, 0, piped.stderr)
            XCTAssertEqual(piped.stdout, named.stdout.replacingOccurrences(of: "\"path\":\"\(file)\"", with: "\"path\":\"-\""), file)

            let info = try CommandRunner.run(["info", "-"], stdin: try bytes(file))
            XCTAssertEqual(info.status, 0, info.stderr)
            XCTAssertEqual(info.stdout, try CommandRunner.run(["info", file]).stdout.replacingOccurrences(of: file + ":", with: "-:"))

            let features = try CommandRunner.run(["features", "-", "-o", path("piped.npy")], stdin: try bytes(file))
            XCTAssertEqual(features.status, 0, features.stderr)
            XCTAssertEqual(try CommandRunner.run(["features", file, "-o", path("named.npy")]).status, 0)
            XCTAssertEqual(try bytes(path("piped.npy")), try bytes(path("named.npy")), file)
        }
    }

    func testRefusals() throws {
        let checkpoint = try makeCheckpoint()
        let empty = try CommandRunner.run(["predict", "-", "--checkpoint", checkpoint], stdin: Data())
        XCTAssertEqual(empty.status, 2)
        XCTAssertEqual(empty.stderr, "genre: error: -: standard input is empty\n")
        let noise = try CommandRunner.run(["info", "-"], stdin: Data("title,artist\n".utf8))
        XCTAssertEqual(noise.status, 1)
        XCTAssertEqual(noise.stderr, "genre: error: -: not a readable audio file (format not recognised)\n")
        for arguments in [["predict", "-", path("other.wav"), "--checkpoint", checkpoint], ["predict", "-", "--out", path("x.csv")],
                          ["features", "-"]] {
            let usage = try CommandRunner.run(arguments, stdin: Data())
            XCTAssertEqual(usage.status, 64, "\(arguments): \(usage.stderr)")
            XCTAssertTrue(usage.stderr.contains("'-'"), usage.stderr)
        }
    }
}
