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

    /// Float files may hold NaN or infinity, which would make every window's spectrum NaN:
    /// refused with the time of the first one, through libsndfile (WAV) and FFmpeg (WavPack);
    /// finite samples around them, and values above 1, are fine.
    func testSamplesThatAreNotFinite() throws {
        for (value, word) in [(Float.nan, "NaN"), (-Float.infinity, "infinite")] {
            var samples = (0..<2 * 44100).map { Float(sin(Double($0) * 0.03)) * 3 }  // 2 s of stereo
            samples[2 * 22050 + 10] = value  // frame 22050 + 5 of the stereo file
            let wav = folder.appendingPathComponent("\(word).wav").path
            try AudioWriter.write(samples: samples, sampleRate: 22050, channels: 2, to: wav, encoding: .float32)
            let wavpack = folder.appendingPathComponent("\(word).wv").path
            try FFmpegCLI.encode(wav, to: wavpack, ["-c:a", "wavpack"])
            for path in [wav, wavpack] { expectError(path, mentioning: "damaged: the sample at 1.000 s is \(word)") }
        }
        let loud = folder.appendingPathComponent("loud.wav").path
        try AudioWriter.write(samples: (0..<22050).map { Float(sin(Double($0) * 0.03)) * 40 }, sampleRate: 22050, to: loud, encoding: .float32)
        XCTAssertEqual(try AudioLoader.load(path: loud).count, 22050)
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

    /// A FLAC or MP3 file with a download client's unfilled space (a torrent stopped halfway: zeros
    /// in place of pieces) read short and was called "truncated"; it is named as what it is.
    func testZeroFilledDownloadIsNamed() throws {
        let wav = folder.appendingPathComponent("long.wav").path, flac = folder.appendingPathComponent("long.flac").path
        let mp3 = folder.appendingPathComponent("long.mp3").path
        var state: UInt64 = 5  // noise, so that the files are large enough for a torrent's pieces
        let noise = testRecording(seconds: 40, sampleRate: 44100, channels: 2).map { sample -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let uniform = Float(state >> 40) / Float(1 << 24)
            return sample / 2 + (uniform - 0.5) * 0.4
        }
        try AudioWriter.write(samples: noise, sampleRate: 44100, channels: 2, to: wav)
        try AudioWriter.write(samples: noise, sampleRate: 44100, channels: 2, to: flac)
        try FFmpegCLI.encode(wav, to: mp3, ["-c:a", "libmp3lame", "-b:a", "320k"])
        for (source, holeToo) in [(flac, true), (mp3, false)] {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
            let (half, third, piece) = (bytes.count / 2, bytes.count / 3, 512 << 10)
            var tail = bytes, hole = bytes
            tail.replaceSubrange(half..<bytes.count, with: [UInt8](repeating: 0, count: bytes.count - half))
            hole.replaceSubrange(third..<third + piece, with: [UInt8](repeating: 0, count: piece))
            var cases: [(name: String, bytes: [UInt8])] = [("tail", tail)]
            if holeToo { cases.append(("hole", hole)) }
            for (name, file) in cases {
                let path = "\(source).\(name).\((source as NSString).pathExtension)"
                try Data(file).write(to: URL(fileURLWithPath: path))
                expectError(path, mentioning: "bytes of zeros from byte")
            }
        }
    }

    /// Damage inside MP3 frames whose headers are whole stays with libsndfile, where mpg123 printed
    /// "[src/libmpg123/layer3.c:…] error: dequantization failed!" on stderr, without a file name;
    /// the genre executable has libsndfile's mpg123 handles made quiet (Mpg123Quiet.c).
    func testDamagedMP3FramesLeaveStderrClean() throws {
        let wav = folder.appendingPathComponent("source.wav").path, mp3 = folder.appendingPathComponent("clean.mp3").path
        try AudioWriter.write(samples: testRecording(seconds: 12, sampleRate: 44100, channels: 2), sampleRate: 44100, channels: 2, to: wav)
        try FFmpegCLI.encode(wav, to: mp3, ["-c:a", "libmp3lame", "-b:a", "192k"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp3)))
        var frames: [(start: Int, length: Int)] = []
        var position = (0..<bytes.count - 4).first { MPEGFrameHeader(bytes[$0..<$0 + 4]) != nil } ?? 0
        while position + 4 <= bytes.count, let header = MPEGFrameHeader(bytes[position..<position + 4]) {
            frames.append((position, header.length))
            position += header.length
        }
        var state: UInt64 = 11
        for frame in frames[frames.count / 2..<frames.count / 2 + 10] {
            for i in frame.start + 40..<frame.start + frame.length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 56)
            }
        }
        let damaged = folder.appendingPathComponent("damaged.mp3").path
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        XCTAssertEqual(try AudioInfo(path: damaged).format, "MPEG-1/2 Audio, MPEG Layer III", "whole frame headers stay with libsndfile")
        for arguments in [["info", damaged], ["features", damaged, "-o", folder.appendingPathComponent("mel.npy").path]] {
            let result = try CommandRunner.run(arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stderr, "", arguments[0])
        }
    }

    /// libsndfile loses sync where a FLAC file is cut off; FFmpeg, taking over, compares the
    /// length its header announces with what the file holds.
    func testTruncatedFlac() throws {
        let good = folder.appendingPathComponent("whole.flac").path
        try AudioWriter.write(samples: (0..<240_000).map { sin(Float($0) * 0.01) * 0.5 }, sampleRate: 8000, to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let path = folder.appendingPathComponent("cut.flac").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        expectError(path, mentioning: "truncated: the header announces 30.00 s of audio, the file holds")
    }

    /// Bit rot in the middle of a FLAC file: libsndfile stops ("flac decoder lost sync"), and
    /// FFmpeg goes on from the frame where it stopped, skipping the damaged frames as players do.
    /// The result is exactly FFmpeg's decoding of the file, starting with the whole file's samples
    /// (16- and 24-bit, stereo: both libraries scale the integers alike), from disk and from memory.
    func testBitRotInFlacIsSkipped() throws {
        let recording = testRecording(seconds: 12, sampleRate: 44100, channels: 2)
        for encoding in [AudioEncoding.pcm16, .pcm24] {
            let whole = folder.appendingPathComponent("whole-\(encoding).flac").path
            try AudioWriter.write(samples: recording, sampleRate: 44100, channels: 2, to: whole, encoding: encoding)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole)))
            var state: UInt64 = 3
            for i in bytes.count * 2 / 3..<bytes.count * 2 / 3 + 1000 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 56)
            }
            let rotten = folder.appendingPathComponent("rotten-\(encoding).flac").path
            try Data(bytes).write(to: URL(fileURLWithPath: rotten))

            let intact = try AudioStream(path: whole, sampleRate: nil).readAll()
            let resumed = try AudioStream(path: rotten, sampleRate: nil).readAll()
            let ffmpeg = try AudioStream(bytes: bytes, name: rotten, sampleRate: nil, library: .ffmpeg).readAll()
            XCTAssertThrowsError(try AudioStream(bytes: bytes, name: rotten, sampleRate: nil, library: .libsndfile).readAll()) {
                XCTAssertTrue("\($0)".contains("decoding failed"), "\($0)")
            }
            XCTAssertEqual(resumed, ffmpeg, "\(encoding)")
            XCTAssertEqual(try AudioStream(bytes: bytes, name: rotten, sampleRate: nil).readAll(), resumed, "from memory, \(encoding)")
            XCTAssertEqual(Double(resumed.count), Double(intact.count), accuracy: Double(intact.count) / 50, "\(encoding)")
            XCTAssertEqual(Array(resumed.prefix(intact.count / 2)), Array(intact.prefix(intact.count / 2)), "\(encoding)")
        }
    }

    /// libsndfile 1.2 never finishes reading a WAV whose LIST chunk holds a sub-chunk of 2 GiB or
    /// more (its 32-bit step wraps into a step back onto the same sub-chunk; found by FuzzSndFile).
    /// Such a file goes to FFmpeg, from disk and from memory, and reads as the same samples; a
    /// whole LIST chunk stays with libsndfile.
    func testWaveWithAnEndlessListChunkIsReadByFFmpeg() throws {
        let plain = folder.appendingPathComponent("plain.wav").path
        try AudioWriter.write(samples: (0..<4000).map { sin(Float($0) * 0.05) * 0.5 }, sampleRate: 8000, to: plain)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: plain)))
        let dataChunk = try XCTUnwrap((12..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual("data".utf8) })
        func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        /// The plain WAV with a LIST/INFO chunk of `subChunks` before its data.
        func withList(_ name: String, _ subChunks: [UInt8]) throws -> (path: String, bytes: [UInt8]) {
            let list = Array("LIST".utf8) + le32(UInt32(4 + subChunks.count)) + Array("INFO".utf8) + subChunks
            var file = Array(bytes[..<dataChunk]) + list + Array(bytes[dataChunk...])
            file.replaceSubrange(4..<8, with: le32(UInt32(file.count - 8)))
            let path = folder.appendingPathComponent(name).path
            try Data(file).write(to: URL(fileURLWithPath: path))
            return (path, file)
        }
        let endless = try withList("endless.wav", Array("XXXX".utf8) + le32(0xFFFF_FFF7) + Array("abcd".utf8))
        let whole = try withList("whole.wav", Array("IART".utf8) + le32(4) + Array("band".utf8))
        let expected = try AudioLoader.load(path: plain, sampleRate: nil)
        XCTAssertEqual(try AudioLoader.load(path: endless.path, sampleRate: nil), expected)
        XCTAssertEqual(try AudioLoader.load(bytes: endless.bytes, name: "endless.wav", sampleRate: nil), expected)
        XCTAssertEqual(try AudioLoader.load(path: whole.path, sampleRate: nil), expected)
        // libsndfile names the container "WAV (Microsoft)", FFmpeg "WAV".
        XCTAssertTrue(try AudioInfo(path: whole.path).format.hasPrefix("WAV (Microsoft)"))
        XCTAssertFalse(try AudioInfo(path: endless.path).format.hasPrefix("WAV (Microsoft)"))
        XCTAssertThrowsError(try AudioStream(bytes: endless.bytes, name: "endless.wav", library: .libsndfile)) { error in
            XCTAssertTrue("\(error)".contains("endless.wav: not a readable audio file (damaged LIST chunk: its 'XXXX' sub-chunk claims 4294967287 bytes)"),
                          "\(error)")
        }
        // A sub-chunk running past the LIST chunk's end: libsndfile would read on into the audio.
        let overrun = try withList("overrun.wav", Array("IART".utf8) + le32(64) + Array("band".utf8))
        XCTAssertEqual(try AudioLoader.load(path: overrun.path, sampleRate: nil), expected)
        // RF64: the walk takes the data chunk's size from ds64, here the largest there is.
        let ds64 = Array("ds64".utf8) + le32(28) + [UInt8](repeating: 0xFF, count: 16) + [UInt8](repeating: 0, count: 12)
        var rf64 = Array("RF64".utf8) + le32(0xFFFF_FFFF) + Array("WAVE".utf8) + ds64 + Array(bytes[12..<dataChunk])
        rf64 += Array("data".utf8) + le32(0xFFFF_FFFF) + Array(bytes[(dataChunk + 8)...])
        let rf64Path = folder.appendingPathComponent("huge.wav").path
        try Data(rf64).write(to: URL(fileURLWithPath: rf64Path))
        expectError(rf64Path, mentioning: "not a readable audio file")
    }
}
