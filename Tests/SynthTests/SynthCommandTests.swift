import Foundation
import TestSupport
import XCTest

/// `genre synth` end to end: progress on stderr, a summary on stdout, one-line refusals.
final class SynthCommandTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-synth-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testWritesTheRequestedGenresWithProgress() throws {
        let output = folder.appendingPathComponent("demo").path
        let result = try CommandRunner.run(["synth", output, "--clips-per-genre", "2", "--seconds", "1",
                                            "--seed", "9", "--genres", "jazz,metal"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("4/4 clips"), result.stderr)
        XCTAssertTrue(result.stdout.contains("4 clips (2 genres × 2, 1 s, seed 9)"), result.stdout)
        let written = try FileManager.default.subpathsOfDirectory(atPath: output).filter { $0.hasSuffix(".wav") }.sorted()
        XCTAssertEqual(written, ["jazz/jazz.00000.wav", "jazz/jazz.00001.wav", "metal/metal.00000.wav", "metal/metal.00001.wav"])
    }

    func testRefusesAForeignFolderInOneLine() throws {
        try Data("mine".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let result = try CommandRunner.run(["synth", folder.path, "--clips-per-genre", "1", "--seconds", "1"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("genre: error: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("--force"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["notes.txt"])
    }

    func testRejectsAnUnknownGenre() throws {
        let result = try CommandRunner.run(["synth", folder.appendingPathComponent("x").path, "--genres", "rock,polka"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("unknown genre 'polka'"), result.stderr)
    }
}
