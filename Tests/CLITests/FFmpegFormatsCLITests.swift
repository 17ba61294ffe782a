import Audio
import Features
import Foundation
import GenreKit
import Models
import TestSupport
import XCTest

/// Formats FFmpeg decodes, through the command line: `info` names container and codec,
/// `features` and `predict` read them (folders included), a broken one is one line and exit 1.
final class FFmpegFormatsCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-ffmpeg-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Encodes a 2.5 s stereo 44.1 kHz recording with the ffmpeg CLI (which `make deps` installs;
    /// without it this fails rather than skips).
    @discardableResult
    func encode(_ name: String, _ options: [String]) throws -> String {
        let wav = path("source.wav")
        if !FileManager.default.fileExists(atPath: wav) {
            let samples = (0..<110250).flatMap { i -> [Float] in
                let t = Double(i) / 44100
                return [Float(0.4 * sin(2 * .pi * 220 * t)), Float(0.3 * sin(2 * .pi * 330 * t) * sin(3 * t))]
            }
            try AudioWriter.write(samples: samples, sampleRate: 44100, channels: 2, to: wav)
        }
        let target = path(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let ffmpeg = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let ffmpeg else {
            XCTFail("the ffmpeg command-line tool is not installed (make deps installs it)")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-nostdin", "-v", "error", "-y", "-i", wav] + options + [target]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "ffmpeg \(options) \(name)")
        return target
    }

    func testInfoNamesContainerAndCodec() throws {
        let cases = [("song.m4a", ["-c:a", "aac"], "MPEG-4, AAC LC"), ("lossless.m4a", ["-c:a", "alac"], "MPEG-4, ALAC 16-bit"),
                     ("clip.webm", ["-c:a", "libopus"], "Matroska/WebM, Opus"), ("radio.aac", ["-c:a", "aac"], "ADTS, AAC LC"),
                     ("old.wma", ["-c:a", "wmav2"], "ASF, WMA v2"), ("pack.wv", ["-c:a", "wavpack"], "WavPack 16-bit")]
        for (name, options, format) in cases {
            let file = try encode(name, options)
            let result = try CommandRunner.run(["info", file])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stderr, "", name)
            XCTAssertTrue(result.stdout.hasPrefix("\(file): \(format), "), result.stdout)
            XCTAssertTrue(result.stdout.contains(name.hasSuffix(".webm") ? "48000 Hz, 2 channels" : "44100 Hz, 2 channels"), result.stdout)
        }
    }

    /// Names FFmpeg would read as a URL (`Intro:` a protocol it lacks, `pipe:0` standard input)
    /// open as the files they are, given relative to the working folder.
    func testNamesThatLookLikeURLs() throws {
        let song = try encode("song.m4a", ["-c:a", "aac"])
        for name in ["Intro:Live.m4a", "pipe:0.m4a", "file:x.m4a"] {
            try FileManager.default.copyItem(atPath: song, toPath: path(name))
            let result = try CommandRunner.run(["info", name], in: folder, stdin: Data())
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stdout.hasPrefix("\(name): MPEG-4, AAC LC, 44100 Hz, 2 channels"), result.stdout)
        }
    }

    func testFeaturesOfAnM4a() throws {
        let file = try encode("song.m4a", ["-c:a", "aac"])
        let out = path("song.npy")
        let result = try CommandRunner.run(["features", file, "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let written = try NpyReader.read(path: out)
        let expected = try LogMel().compute(path: file)
        XCTAssertEqual(written.shape, [128, expected.frames])
        // 2.5 s at 22050 Hz is 108 frames; the encoder delay is trimmed, and like the ffmpeg CLI the
        // decoder keeps what is left of the last AAC frame (< 1024 samples at 44.1 kHz).
        XCTAssertEqual(Double(expected.frames), 108.5, accuracy: 0.5)
        XCTAssertEqual(written.values, expected.values)
    }

    func testFeaturesOfABrokenM4a() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: try encode("whole.m4a", ["-c:a", "aac"])))
        let broken = path("broken.m4a"), out = path("out.npy")
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: broken))
        let result = try CommandRunner.run(["features", broken, "-o", out])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(broken), result.stderr)
        XCTAssertTrue(result.stderr.contains("truncated"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "partial .npy written")
        let info = try CommandRunner.run(["info", broken])
        XCTAssertEqual(info.status, 1)
        XCTAssertEqual(info.stderr.split(separator: "\n").count, 1, info.stderr)
    }

    static let labels = ["rock", "jazz"]

    /// A small untrained MobileNetV2 checkpoint for `labels` (1 s windows, 32 mels).
    func makeCheckpoint() throws -> String {
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, inChannels: 1, classes: Self.labels.count)
        let info = CheckpointInfo(spec: spec, labels: Self.labels, features: FeatureParameters(nMels: 32),
                                  windowing: Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5), mean: -35, std: 12)
        let checkpoint = path("model.safetensors")
        try Checkpoint.write(Network(spec, seed: 1), info: info, to: checkpoint)
        return checkpoint
    }

    /// An MP3 with damage in the middle is classified like any other file, with nothing on
    /// stderr: libsndfile's mpg123 gave up on it with four lines of notes and an internal error.
    func testDamagedMP3IsClassifiedQuietly() throws {
        let mp3 = try encode("damaged.mp3", ["-c:a", "libmp3lame"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp3)))
        for i in bytes.count / 3..<bytes.count / 3 + 1000 { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: mp3))
        let checkpoint = try makeCheckpoint()
        let result = try CommandRunner.run(["predict", mp3, "--checkpoint", checkpoint])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertTrue(result.stdout.hasPrefix(mp3 + ": 0:02.4, 3 windows"), result.stdout)
    }

    /// A folder of .m4a, .webm, .wv, .dts and other files libsndfile does not read is searched and
    /// classified like one of WAVs; an iTunes Store .m4p is found too, and its row says why it
    /// cannot be classified.
    func testPredictFindsTheNewExtensionsInFolders() throws {
        let checkpoint = try makeCheckpoint()
        let files = [try encode("music/a.m4a", ["-c:a", "aac"]), try encode("music/sub/b.webm", ["-c:a", "libopus"]),
                     try encode("music/c.wv", ["-c:a", "wavpack"]), try encode("music/d.mka", ["-c:a", "libvorbis"]),
                     try encode("music/e.mp2", ["-c:a", "mp2"]), try encode("music/f.tta", ["-c:a", "tta"]),
                     try encode("music/g.spx", ["-c:a", "libspeex", "-ar", "16000"]), try encode("music/h.3gp", ["-c:a", "aac"]),
                     try encode("music/i.eac3", ["-c:a", "eac3"]), try encode("music/j.dts", ["-strict", "-2", "-c:a", "dca"]),
                     try encode("music/k.thd", ["-strict", "-2", "-c:a", "truehd", "-f", "truehd"]),
                     try encode("music/l.m4r", ["-c:a", "aac", "-f", "mp4"]), try encode("music/m.weba", ["-c:a", "libopus", "-f", "webm"])]
        // A FairPlay purchase is marked by its sample entry: 'drms' where a plain file has 'mp4a'.
        var purchase = try Data(contentsOf: URL(fileURLWithPath: try encode("bought.m4a", ["-c:a", "aac"])))
        purchase.replaceSubrange(try XCTUnwrap(purchase.range(of: Data("mp4a".utf8))), with: Data("drms".utf8))
        try purchase.write(to: URL(fileURLWithPath: path("music/n.m4p")))
        let out = path("results.csv")
        let result = try CommandRunner.run(["predict", path("music"), "--checkpoint", checkpoint, "--out", out])
        XCTAssertEqual(result.status, 2, result.stderr)
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 2 + files.count, rows.joined(separator: "\n"))
        XCTAssertTrue(rows.contains { $0.hasPrefix(path("music/n.m4p") + ",") && $0.contains("protected by DRM (FairPlay") }, rows.joined(separator: "\n"))
        for file in files { XCTAssertTrue(rows.contains { $0.hasPrefix(file + ",") && Self.labels.contains(String($0.split(separator: ",")[1])) }, file) }
    }
}
