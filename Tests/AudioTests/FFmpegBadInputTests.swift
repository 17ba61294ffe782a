import Audio
import Foundation
import Randomness
import TagTestSupport
import TestSupport
import XCTest

/// Damaged files in the formats FFmpeg decodes give one `AudioError` line naming the file and the
/// cause — never a crash, a hang, or libav's own log on stderr.
final class FFmpegBadInputTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-ffmpeg-bad") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func expectError(_ path: String, mentioning cause: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AudioLoader.load(path: path), file: file, line: line) { error in
            let message = String(describing: error)
            XCTAssertTrue(error is AudioError, "not an AudioError: \(message)", file: file, line: line)
            XCTAssertTrue(message.hasPrefix(path), "message does not name the file: \(message)", file: file, line: line)
            XCTAssertTrue(message.contains(cause), "message \"\(message)\" does not say \(cause)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "message is not one line", file: file, line: line)
        }
    }

    /// A 3 s stereo AAC file written by the CLI (index at the end unless `faststart`).
    func encoded(_ name: String, _ options: [String] = ["-c:a", "aac"]) throws -> (path: String, bytes: Data) {
        let wav = path("source.wav")
        if !FileManager.default.fileExists(atPath: wav) {
            try AudioWriter.write(samples: testRecording(seconds: 3, sampleRate: 44100, channels: 2), sampleRate: 44100, channels: 2, to: wav)
        }
        let target = path(name)
        try FFmpegCLI.encode(wav, to: target, options)
        return (target, try Data(contentsOf: URL(fileURLWithPath: target)))
    }

    func write(_ bytes: Data, _ name: String) throws -> String {
        try bytes.write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func testEmptyM4a() throws {
        FileManager.default.createFile(atPath: path("empty.m4a"), contents: Data())
        expectError(path("empty.m4a"), mentioning: "empty")
    }

    func testTextNamedM4a() throws {
        try "tracklist\n1. intro\n2. outro\n".write(toFile: path("notes.m4a"), atomically: true, encoding: .utf8)
        expectError(path("notes.m4a"), mentioning: "not a readable audio file")
    }

    func testRandomBytesNamedWma() throws {
        var generator = SystemRandomNumberGenerator()
        expectError(try write(Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }), "noise.wma"),
                    mentioning: "not a readable audio file")
    }

    /// Store copy protection is named, not taken for damage: an iTunes Store FairPlay file (its
    /// sample entry 'drms' where a plain file has 'mp4a'), MPEG Common Encryption (written by the
    /// CLI with a key), WMA with a Windows Media DRM header object. The same files unprotected decode.
    func testCopyProtectedFiles() throws {
        let (plain, m4a) = try encoded("plain.m4a")
        let entry = try XCTUnwrap(m4a.range(of: Data("mp4a".utf8)))
        var fairPlay = m4a
        fairPlay.replaceSubrange(entry, with: Data("drms".utf8))
        _ = try encoded("cenc.m4a", ["-c:a", "aac", "-encryption_scheme", "cenc-aes-ctr",
                                              "-encryption_key", "76a6c65c5ea762046bd749a2e632ccbb", "-encryption_kid", "a7e61c373e219033c21091fa607bf3b8"])
        let (plainWMA, wma) = try encoded("plain.wma", ["-c:a", "wmav2"])
        // An Extended Content Encryption object (GUID, size 28, no data) first in the header, whose
        // size and object count grow to match.
        var protectedWMA = Data(wma.prefix(16))
        let headerSize = wma[16..<24].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        let objects = wma[24..<28].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        withUnsafeBytes(of: (headerSize + 28).littleEndian) { protectedWMA.append(contentsOf: $0) }
        withUnsafeBytes(of: (objects + 1).littleEndian) { protectedWMA.append(contentsOf: $0) }
        protectedWMA.append(wma[28..<30])
        protectedWMA.append(contentsOf: [0x14, 0xE6, 0x8A, 0x29, 0x22, 0x26, 0x17, 0x4C, 0xB9, 0x35, 0xDA, 0xE0, 0x7E, 0xE9, 0x28, 0x9C,
                                         28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        protectedWMA.append(wma[30...])
        for (path, protection) in [(try write(fairPlay, "bought.m4p"), "FairPlay, as the iTunes Store sold music until 2009"),
                                   (path("cenc.m4a"), "MPEG Common Encryption"),
                                   (try write(protectedWMA, "subscribed.wma"), "Windows Media DRM, as subscription stores sold WMA")] {
            let message = "protected by DRM (\(protection)): its audio is encrypted and cannot be decoded"
            expectError(path, mentioning: message)
            // Opening is enough to know it, as `genre info` opens a file.
            XCTAssertThrowsError(try AudioInfo(path: path), protection) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        XCTAssertGreaterThan(try AudioLoader.load(path: plain).count, 44100)
        XCTAssertGreaterThan(try AudioLoader.load(path: plainWMA).count, 44100)
    }

    /// Cut in half: the index (`moov`, written last) is gone, and the `mdat` atom runs past the end.
    func testTruncatedM4a() throws {
        let (_, bytes) = try encoded("whole.m4a")
        expectError(try write(bytes.prefix(bytes.count / 2), "half.m4a"), mentioning: "truncated")
        expectError(try write(bytes.prefix(40), "header.m4a"), mentioning: "no 'moov' atom")  // ftyp and free only
    }

    /// Cut in half with the index first: it opens, and must not read as a shorter recording.
    func testTruncatedFastStartM4a() throws {
        let (_, bytes) = try encoded("fast.m4a", ["-c:a", "aac", "-movflags", "+faststart"])
        expectError(try write(bytes.prefix(bytes.count / 2), "fast-half.m4a"), mentioning: "truncated")
    }

    func testMissingMoovAtom() throws {
        let (_, bytes) = try encoded("whole.m4a")
        var damaged = bytes
        let moov = try XCTUnwrap(damaged.range(of: Data("moov".utf8)))
        damaged.replaceSubrange(moov, with: Data("junk".utf8))
        expectError(try write(damaged, "no-index.m4a"), mentioning: "no 'moov' atom")
        // Only the audio data, no index at all.
        let mdat = try XCTUnwrap(bytes.range(of: Data("mdat".utf8)))
        expectError(try write(bytes.subdata(in: (mdat.lowerBound - 4)..<moov.lowerBound - 4), "mdat-only.m4a"), mentioning: "no 'moov' atom")
    }

    /// Every byte of the audio data replaced by noise: no packet decodes.
    func testGarbledMdat() throws {
        let (_, bytes) = try encoded("whole.m4a")
        var damaged = bytes
        let mdat = try XCTUnwrap(bytes.range(of: Data("mdat".utf8))), moov = try XCTUnwrap(bytes.range(of: Data("moov".utf8)))
        var state: UInt64 = 42
        for i in mdat.upperBound..<(moov.lowerBound - 4) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            damaged[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        expectError(try write(damaged, "garbled.m4a"), mentioning: "decoding failed")
    }

    /// Half the packets garbled: more than a tenth fail, which is damage, not a glitch to skip.
    func testHalfGarbledMdat() throws {
        let (_, bytes) = try encoded("whole.m4a")
        var damaged = bytes
        let mdat = try XCTUnwrap(bytes.range(of: Data("mdat".utf8))), moov = try XCTUnwrap(bytes.range(of: Data("moov".utf8)))
        let middle = (mdat.upperBound + moov.lowerBound) / 2
        var state: UInt64 = 7
        for i in middle..<(moov.lowerBound - 4) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            damaged[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        expectError(try write(damaged, "half-garbled.m4a"), mentioning: "damaged")
    }

    /// Containers that state their length: a cut-off copy is an error, not a shorter recording.
    func testTruncatedWebmWavPackWma() throws {
        for (name, options) in [("opus.webm", ["-c:a", "libopus"]), ("pack.wv", ["-c:a", "wavpack"]), ("media.wma", ["-c:a", "wmav2"])] {
            let (_, bytes) = try encoded(name, options)
            expectError(try write(bytes.prefix(bytes.count / 2), "cut-" + name), mentioning: "truncated")
        }
    }

    /// A 3 s stereo Musepack SV8 file written by mpcenc.
    func musepack() throws -> Data {
        let wav = path("musepack.wav"), mpc = path("tone.mpc")
        try AudioWriter.write(samples: testRecording(seconds: 3, sampleRate: 44100, channels: 2), sampleRate: 44100, channels: 2, to: wav)
        try Media.run(["mpcenc", "--silent", "--overwrite", wav, mpc])
        return try Data(contentsOf: URL(fileURLWithPath: mpc))
    }

    /// A Musepack file cut in half: FFmpeg's own count (whole 73728-frame blocks, rounded down:
    /// 1.67 s of 3) let it through as a shorter recording.
    func testTruncatedMusepack() throws {
        let bytes = try musepack()
        expectError(try write(bytes.prefix(bytes.count / 2), "cut.mpc"), mentioning: "truncated: the header announces 3.00 s of audio")
    }

    /// The stream header's count is taken only from a whole header; damaged, cut off or random,
    /// it is left to FFmpeg (its count, or an error), never a trap or a read past the end.
    func testDamagedMusepackStreamHeader() throws {
        let bytes = [UInt8](try musepack())
        XCTAssertEqual(try AudioInfo(source: .memory(bytes, name: "tone.mpc")).frames, 132300)
        var damaged = bytes
        damaged[8] ^= 0x01  // in the CRC: the header no longer checks out
        XCTAssertEqual(try AudioInfo(source: .memory(damaged, name: "damaged.mpc")).frames, 73728)
        var random = SeededRandom(seed: 3)
        for n in 0..<48 {
            _ = try? AudioInfo(source: .memory(Array(bytes.prefix(n)), name: "cut.mpc"))
            var garbled = bytes
            for i in 4..<24 where random.next() % 3 == 0 { garbled[i] = UInt8(truncatingIfNeeded: random.next()) }
            _ = try? AudioInfo(source: .memory(garbled, name: "garbled.mpc"))
        }
    }

    /// An Ogg file cut off inside a page (an unfinished download) read as a shorter recording, or
    /// trapped: libsndfile called its length unknown with a count of 2⁶³ − 1 frames, which was
    /// reserved. One link (libsndfile) and a chain (FFmpeg), from disk and from memory; then
    /// zero-filled and damaged copies.
    func testTruncatedOgg() throws {
        for (name, options) in [("vorbis.ogg", ["-c:a", "libvorbis"]), ("opus.opus", ["-c:a", "libopus"])] {
            let (whole, bytes) = try encoded(name, options)
            let cut = bytes.prefix(bytes.count * 2 / 3)
            for (label, file) in [("cut-", cut), ("cut-chain-", bytes + cut)] {
                expectError(try write(file, label + name), mentioning: "truncated: its last Ogg page announces")
                XCTAssertThrowsError(try AudioStream(bytes: [UInt8](file), name: label + name).readAll()) {
                    XCTAssertTrue("\($0)".contains("truncated: its last Ogg page announces"), "\($0)")
                }
            }
            XCTAssertEqual(try AudioLoader.load(path: whole).count, 3 * 22050, name)

            // Space a download client set aside and never filled, at the end or in the middle,
            // read as a shorter recording too; a few damaged bytes are skipped as players do.
            var (tail, hole, rot) = ([UInt8](bytes), [UInt8](bytes), [UInt8](bytes))
            // (A download's pieces are far larger than pages; here the hole is half of a small file.)
            let (quarter, half) = (bytes.count / 4, bytes.count / 2)
            tail.replaceSubrange(half..., with: [UInt8](repeating: 0, count: bytes.count - half))
            hole.replaceSubrange(quarter..<3 * quarter, with: [UInt8](repeating: 0, count: 2 * quarter))
            rot.replaceSubrange(half..<half + 200, with: (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ 11) })
            for (label, file) in [("tail-", tail), ("hole-", hole)] {
                // Zeros that start inside a page make it run past the end: "truncated" then.
                XCTAssertThrowsError(try AudioLoader.load(path: try write(Data(file), label + name)), label + name) {
                    XCTAssertTrue(["bytes of zeros from byte", "truncated: its last Ogg page"].contains(where: "\($0)".contains), "\($0)")
                }
            }
            XCTAssertGreaterThan(try AudioLoader.load(path: try write(Data(rot), "rot-" + name)).count, 3 * 22050 / 2, name)
        }
    }

    /// An MP3 download cut off read as a shorter recording (and mpg123 printed "Xing stream size
    /// off" on stderr); its Xing or Info header announces its frames: CBR with Info, VBR with
    /// Xing, MPEG-2 mono (shorter side information), from disk and from memory. Without such a
    /// header a cut file still reads as a shorter one.
    func testTruncatedMP3() throws {
        let kinds = [("cbr.mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]), ("vbr.mp3", ["-c:a", "libmp3lame", "-q:a", "4"]),
                     ("mpeg2.mp3", ["-c:a", "libmp3lame", "-ac", "1", "-ar", "22050"])]
        for (name, options) in kinds {
            let (whole, bytes) = try encoded(name, options)
            let cut = try write(bytes.prefix(bytes.count * 2 / 3), "cut-" + name)
            expectError(cut, mentioning: "truncated: its header announces")
            XCTAssertThrowsError(try AudioStream(bytes: [UInt8](bytes.prefix(bytes.count * 2 / 3)), name: cut).readAll()) {
                XCTAssertTrue("\($0)".contains("truncated: its header announces"), "\($0)")
            }
            XCTAssertEqual(try AudioLoader.load(path: whole).count, 3 * 22050, name)
        }
        let (_, plain) = try encoded("plain.mp3", ["-c:a", "libmp3lame", "-write_xing", "0"])
        let cut = try write(plain.prefix(plain.count * 2 / 3), "cut-plain.mp3")
        XCTAssertEqual(Double(try AudioLoader.load(path: cut).count), 2 * 22050, accuracy: 0.1 * 22050)
    }

    /// CAF (PCM read by libsndfile, ALAC by FFmpeg), Wave64, RF64 and AU state their sizes too: a
    /// cut-off copy read as a shorter recording, or as "supported file format but file is malformed".
    func testTruncatedCAFWave64RF64AndAU() throws {
        let kinds = [("pcm.caf", ["-c:a", "pcm_s16le"]), ("alac.caf", ["-c:a", "alac"]), ("pcm.w64", ["-c:a", "pcm_s16le"]),
                     ("rf64.wav", ["-c:a", "pcm_s16le", "-rf64", "always"]), ("sun.au", ["-c:a", "pcm_s16be"])]
        for (name, options) in kinds {
            let (whole, bytes) = try encoded(name, options)
            expectError(try write(bytes.prefix(bytes.count * 2 / 3), "cut-" + name), mentioning: "truncated: ")
            XCTAssertEqual(try AudioLoader.load(path: whole).count, 3 * 22050, name)
        }
    }

    /// DSD files state their size in their first chunk: a cut-off download is an error too.
    func testTruncatedDSD() throws {
        let tone = DSDTone(tone: 1000, amplitude: 0.5, seconds: 0.2, dsdRate: 2_822_400, channels: 2)
        for (name, bytes) in [("cut.dsf", tone.dsf()), ("cut.dff", tone.dsdiff())] {
            expectError(try write(Data(bytes.prefix(bytes.count / 2)), name), mentioning: "truncated: the header announces \(bytes.count) bytes")
        }
    }

    /// A stream too short to recognise is not blamed on an MPEG-4 index it never had.
    func testShortRawStreamIsNotCalledMPEG4() throws {
        let (_, bytes) = try encoded("whole.thd", ["-strict", "-2", "-c:a", "truehd", "-f", "truehd"])
        expectError(try write(bytes.prefix(48), "short.thd"), mentioning: "raw TrueHD")
        XCTAssertThrowsError(try AudioLoader.load(path: path("short.thd"))) { XCTAssertFalse("\($0)".contains("moov"), "\($0)") }
    }

    func testVideoWithoutAudio() throws {
        try FFmpegCLI.run(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", "mpeg4", path("silent-film.mp4")])
        expectError(path("silent-film.mp4"), mentioning: "no audio stream")
        XCTAssertThrowsError(try AudioInfo(path: path("silent-film.mp4")))
    }

    /// A whole file still decodes after all this (the damage checks do not refuse good files).
    func testWholeFilesPass() throws {
        for (name, options) in [("a.m4a", ["-c:a", "aac"]), ("b.m4a", ["-c:a", "aac", "-movflags", "+faststart"]),
                                ("c.webm", ["-c:a", "libopus"]), ("d.wv", ["-c:a", "wavpack"]), ("e.wma", ["-c:a", "wmav2"])] {
            let (file, _) = try encoded(name, options)
            XCTAssertEqual(Double(try AudioLoader.load(path: file, sampleRate: 22050).count), 3 * 22050, accuracy: 2048, name)
        }
    }
}
