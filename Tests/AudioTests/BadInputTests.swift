import Audio
import Foundation
import TestSupport
import XCTest

/// Bad input gives an `AudioError` naming the file and the cause, never a crash.
final class BadInputTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-bad") }
    override func tearDown() {
        chmod(folder.appendingPathComponent("locked.wav").path, 0o644)
        try? FileManager.default.removeItem(at: folder)
    }

    func expectError(_ path: String, mentioning cause: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AudioLoader.load(path: path), file: file, line: line) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix(path), "message does not name the file: \(message)", file: file, line: line)
            XCTAssertTrue(message.contains(cause), "message \"\(message)\" does not say \(cause)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "message is not one line", file: file, line: line)
        }
    }

    func testMissingFile() { expectError(folder.appendingPathComponent("nope.wav").path, mentioning: "no such file") }

    func testDirectory() { expectError(folder.path, mentioning: "directory") }

    func testEmptyFile() throws {
        let path = folder.appendingPathComponent("empty.wav").path
        FileManager.default.createFile(atPath: path, contents: Data())
        expectError(path, mentioning: "empty")
    }

    func testTextNamedWav() throws {
        let path = folder.appendingPathComponent("notes.wav").path
        try "these are not samples\n".write(toFile: path, atomically: true, encoding: .utf8)
        expectError(path, mentioning: "not a readable audio file")
    }

    func testRandomBytesNamedMp3() throws {
        let path = folder.appendingPathComponent("noise.mp3").path
        var rng = SystemRandomNumberGenerator()
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: path))
        expectError(path, mentioning: "not a readable audio file")
    }

    func testUnreadableFile() throws {
        guard getuid() != 0 else { throw XCTSkip("root reads files without read permission") }
        let path = folder.appendingPathComponent("locked.wav").path
        try AudioWriter.write(samples: [0, 0.1], sampleRate: 8000, to: path)
        chmod(path, 0)
        expectError(path, mentioning: "permission denied")
    }

    func testHeaderOnlyWavHasNoAudio() throws {
        let path = folder.appendingPathComponent("header.wav").path
        try AudioWriter.write(samples: [], sampleRate: 8000, to: path)
        expectError(path, mentioning: "no audio")
    }

    func testTruncatedHeader() throws {
        let good = folder.appendingPathComponent("good.wav").path
        try AudioWriter.write(samples: [Float](repeating: 0.1, count: 1000), sampleRate: 8000, to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let path = folder.appendingPathComponent("cut.wav").path
        try bytes.prefix(20).write(to: URL(fileURLWithPath: path))
        expectError(path, mentioning: "not a readable audio file")
    }
}

extension BadInputTests {
    /// A WAV cut off in its audio data would otherwise decode as a shorter clip.
    func testTruncatedAudioData() throws {
        let good = folder.appendingPathComponent("whole.wav").path
        try AudioWriter.write(samples: [Float](repeating: 0.1, count: 4000), sampleRate: 8000, to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        for (name, keep) in [("half.wav", bytes.count / 2), ("short.wav", bytes.count - 2)] {
            let path = folder.appendingPathComponent(name).path
            try bytes.prefix(keep).write(to: URL(fileURLWithPath: path))
            expectError(path, mentioning: "truncated")
        }
        XCTAssertEqual(try AudioLoader.load(path: good, sampleRate: nil).count, 4000)
    }

    func testTruncatedFlac() throws {
        let good = folder.appendingPathComponent("whole.flac").path
        try AudioWriter.write(samples: (0..<40000).map { sin(Float($0) * 0.01) * 0.5 }, sampleRate: 8000, to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let path = folder.appendingPathComponent("cut.flac").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        expectError(path, mentioning: "decoding failed")
    }
}
