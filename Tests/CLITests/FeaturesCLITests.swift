import Foundation
import TestSupport
import XCTest

/// `genre features` on several files, folders and playlists: each file's .npy under the -o folder
/// at its path relative to its folder argument, the same bytes as the file alone gives; failures
/// named one a line, exit status 2; options that need one file refused.
final class FeaturesCLITests: XCTestCase, PredictFixtures {
    var folder: URL!
    let labels = ["rock", "jazz", "ambient"]

    override func setUp() { folder = makeTemporaryFolder("genre-features-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func bytes(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file)) }

    func testSeveralFilesFoldersAndPlaylists() throws {
        let a = try makeClip("music/a.wav"), b = try makeClip("music/sub/b.wav", seconds: 1.5, pitch: 330)
        let c = try makeClip("other/c.wav", pitch: 440), d = try makeClip("lists/d.wav", pitch: 550)
        try "#EXTM3U\nd.wav\nmissing.wav\n".write(toFile: path("lists/mix.m3u"), atomically: true, encoding: .utf8)
        let result = try CommandRunner.run(["features", path("music"), c, path("lists/mix.m3u"), "-o", path("out"), "--n-mels", "32",
                                            "--threads", "2"])
        XCTAssertEqual(result.status, 2, result.stderr)
        let expected = [a: "out/a.npy", b: "out/sub/b.npy", c: "out/c.npy", d: "out/d.npy"]
        for (input, output) in expected {
            let alone = try CommandRunner.run(["features", input, "-o", path("alone.npy"), "--n-mels", "32"])
            XCTAssertEqual(alone.status, 0, alone.stderr)
            XCTAssertEqual(try bytes(path(output)), try bytes(path("alone.npy")), output)
            XCTAssertTrue(result.stdout.contains("\(path(output)): [32, "), result.stdout)
        }
        XCTAssertEqual(result.stderr, "genre: error: \(path("lists/missing.wav")): no such file\n5 files: 4 written, 1 failed\n")

        // Two files that would land on one name: the second is refused, the first kept.
        let twin = try makeClip("elsewhere/c.wav", pitch: 220)
        let clash = try CommandRunner.run(["features", c, twin, "-o", path("pair"), "--n-mels", "32", "--threads", "1"])
        XCTAssertEqual(clash.status, 2, clash.stderr)
        XCTAssertTrue(clash.stderr.hasPrefix("genre: error: \(twin): would overwrite \(path("pair/c.npy")), written for \(c)\n"), clash.stderr)
        XCTAssertEqual(try bytes(path("pair/c.npy")), try bytes(path("out/c.npy")))
    }

    func testOptionsForOneFile() throws {
        _ = try makeClip("music/a.wav")
        let noFolder = try CommandRunner.run(["features", path("music")])
        XCTAssertEqual(noFolder.status, 64)
        XCTAssertTrue(noFolder.stderr.contains("several files, a folder or a playlist need -o FOLDER"), noFolder.stderr)
        let image = try CommandRunner.run(["features", path("music"), path("music/a.wav"), "-o", path("out"), "--png", path("x.png")])
        XCTAssertEqual(image.status, 64)
        XCTAssertTrue(image.stderr.contains("--png is for one file"), image.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")))
        // A folder with a .npy output is taken for one file, and named as a folder.
        let asFile = try CommandRunner.run(["features", path("music"), "-o", path("x.npy")])
        XCTAssertEqual(asFile.status, 1)
        XCTAssertEqual(asFile.stderr, "genre: error: \(path("music")): is a directory, not a file\n")
    }
}
