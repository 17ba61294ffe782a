import Foundation
import TestSupport
import XCTest

/// Bad input through the command line: one line on stderr naming the file and the cause,
/// exit status 1, no crash, and no output file (an existing one is left untouched).
final class BadInputCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-cli") }
    override func tearDown() {
        chmod(folder.appendingPathComponent("locked.wav").path, 0o644)
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Writes a short valid WAV through the tool's own audio stack.
    func makeWAV(_ name: String) throws -> String {
        let target = path(name)
        let samples = (0..<8000).map { i -> Int16 in Int16(10000 * sin(Double(i) * 0.1)) }
        var data = Data()
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + 2 * samples.count))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(UInt16(1)); append(UInt16(1))
        append(UInt32(8000)); append(UInt32(16000)); append(UInt16(2)); append(UInt16(16))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(2 * samples.count))
        samples.forEach { append($0) }
        try data.write(to: URL(fileURLWithPath: target))
        return target
    }

    func expectFailure(_ input: String, cause: String, wrapper: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let output = path("out.npy"), image = path("out.png")
        let result = try CommandRunner.run(["features", input, "-o", output, "--png", image], wrapper: wrapper)
        XCTAssertEqual(result.status, 1, "exit status; stderr: \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "stderr is not one line: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(input), "error does not name \(input): \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(cause), "error does not say '\(cause)': \(result.stderr)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "partial .npy written", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: image), "partial .png written", file: file, line: line)
        let info = try CommandRunner.run(["info", input], wrapper: wrapper)
        XCTAssertEqual(info.status, 1, "info exit status", file: file, line: line)
        XCTAssertEqual(info.stderr.split(separator: "\n").count, 1, "info: \(info.stderr)", file: file, line: line)
    }

    func testMissingPath() throws { try expectFailure(path("missing.wav"), cause: "no such file") }

    func testDirectory() throws {
        try FileManager.default.createDirectory(atPath: path("album.wav"), withIntermediateDirectories: false)
        try expectFailure(path("album.wav"), cause: "directory")
    }

    /// A named pipe nobody writes to is refused at once, not waited on: as audio, as a
    /// checkpoint and as a config (`timeout` stops a run that would hang).
    func testNamedPipeIsRefusedAtOnce() throws {
        let pipe = path("live.wav")
        XCTAssertEqual(mkfifo(pipe, 0o644), 0)
        try expectFailure(pipe, cause: "not a regular file", wrapper: ["/usr/bin/timeout", "20"])
        for arguments in [["predict", try makeWAV("tone.wav"), "--checkpoint", pipe], ["train", pipe], ["eval", pipe]] {
            let result = try CommandRunner.run(arguments, wrapper: ["/usr/bin/timeout", "20"])
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr, "genre: error: \(pipe): not a regular file\n", "\(arguments)")
        }
    }

    func testEmptyFile() throws {
        FileManager.default.createFile(atPath: path("empty.wav"), contents: Data())
        try expectFailure(path("empty.wav"), cause: "empty")
    }

    func testTextNamedWav() throws {
        try "title,artist\nsong,someone\n".write(toFile: path("list.wav"), atomically: true, encoding: .utf8)
        try expectFailure(path("list.wav"), cause: "not a readable audio file")
    }

    func testRandomBytesNamedMp3() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: path("noise.mp3")))
        try expectFailure(path("noise.mp3"), cause: "not a readable audio file")
    }

    func testTruncatedWav() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: try makeWAV("whole.wav")))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path("cut.wav")))
        try expectFailure(path("cut.wav"), cause: "truncated")
    }

    /// Root reads anything, so as root the tool runs as `nobody` through setpriv.
    func testFileWithoutReadPermission() throws {
        let locked = try makeWAV("locked.wav")
        chmod(locked, 0)
        guard let wrapper = CommandRunner.unprivileged else { throw XCTSkip("root cannot run \(CommandRunner.genre.path) as nobody here") }
        if !wrapper.isEmpty { chmod(folder.path, 0o777) }
        try expectFailure(locked, cause: "permission denied", wrapper: wrapper)
    }

    func testFailureLeavesExistingOutputUntouched() throws {
        let output = path("keep.npy")
        try "precious".write(toFile: output, atomically: true, encoding: .utf8)
        let result = try CommandRunner.run(["features", path("missing.wav"), "-o", output])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "precious")
    }

    func testGoodFileWritesNpyAndPng() throws {
        let input = try makeWAV("tone.wav")
        let result = try CommandRunner.run(["features", input, "-o", path("tone.npy"), "--png", path("tone.png"), "--n-mels", "64"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let npy = try Data(contentsOf: URL(fileURLWithPath: path("tone.npy")))
        // 1 s at 8 kHz resampled to 22050 Hz: 1 + 22050 / 512 frames.
        XCTAssertTrue(String(decoding: npy.prefix(128), as: UTF8.self).contains("'shape': (64, 44)"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("tone.png")))
        let info = try CommandRunner.run(["info", input])
        XCTAssertEqual(info.status, 0)
        XCTAssertTrue(info.stdout.contains("8000 Hz, 1 channel, 1.000 s"), info.stdout)
    }

    /// The .npy and the image appear together or not at all: a --png in a missing folder fails
    /// with one line and leaves no .npy (nor a temporary) behind, and an earlier .npy as it was.
    func testBadImagePathLeavesNoNpy() throws {
        let input = try makeWAV("tone.wav")
        let image = path("missing-folder/tone.png")
        let result = try CommandRunner.run(["features", input, "-o", path("tone.npy"), "--png", image])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "genre: error: \(image): cannot create file (No such file or directory)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("tone.npy")))
        try "precious".write(toFile: path("keep.npy"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try CommandRunner.run(["features", input, "-o", path("keep.npy"), "--png", image]).status, 1)
        XCTAssertEqual(try String(contentsOfFile: path("keep.npy"), encoding: .utf8), "precious")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["keep.npy", "tone.wav"])
    }

    func testBadParameterIsAUsageError() throws {
        let input = try makeWAV("tone.wav")
        let result = try CommandRunner.run(["features", input, "--n-fft", "1001"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("n_fft"), result.stderr)
    }
    /// `genre summary` refuses a network no config could describe, as the config would.
    func testSummaryRefusesImpossibleNetworks() throws {
        let cases = [(["--width", "0"], "width 0.0 must be in (0, 4]"), (["--width", "nan"], "width nan must be in (0, 4]"),
                     (["--classes", "0"], "classes 0 must be between 1 and 10000"),
                     (["--arch", "shufflenet_v1", "--groups", "5"], "groups 5 must be 1, 2, 3, 4 or 8"),
                     (["--arch", "shufflenet_v1", "--width", "0.1"], "width 0.1 gives")]
        for (arguments, message) in cases {
            let result = try CommandRunner.run(["summary"] + arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("genre: error: " + message) && result.stderr.split(separator: "\n").count == 1,
                          "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
        }
    }
}
