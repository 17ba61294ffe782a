import Audio
import Features
import Randomness
import Foundation
import TagTestSupport
import TestSupport
import XCTest

/// Formats libsndfile does not read decode through FFmpeg exactly as the `ffmpeg` CLI decodes
/// them; lossless ones to exactly their source samples. The encoded files are written by the
/// ffmpeg CLI from a deterministic WAV recording.
final class FFmpegDecodingTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-ffmpeg") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A WAV recording of `seconds` at `rate` with `channels`, returned with its samples as read back.
    func source(rate: Int, channels: Int, encoding: AudioEncoding = .pcm16, seconds: Double = 1.5) throws -> String {
        let target = path("source-\(rate)-\(channels)-\(encoding).wav")
        try AudioWriter.write(samples: testRecording(seconds: seconds, sampleRate: rate, channels: channels),
                              sampleRate: rate, channels: channels, to: target, encoding: encoding)
        return target
    }

    struct Case {
        let name: String
        let rate: Int
        let channels: Int
        let options: [String]
        let format: String
    }

    static let lossyCases: [Case] = [
        Case(name: "aac-44100-2.m4a", rate: 44100, channels: 2, options: ["-c:a", "aac", "-b:a", "128k"], format: "MPEG-4, AAC LC"),
        Case(name: "aac-22050-1.m4a", rate: 22050, channels: 1, options: ["-c:a", "aac"], format: "MPEG-4, AAC LC"),
        Case(name: "aac-48000-6.m4a", rate: 48000, channels: 6, options: ["-c:a", "aac"], format: "MPEG-4, AAC LC"),
        Case(name: "aac-44100-2.mov", rate: 44100, channels: 2, options: ["-c:a", "aac"], format: "QuickTime, AAC LC"),
        Case(name: "aac-22050-2.m4b", rate: 22050, channels: 2, options: ["-c:a", "aac"], format: "MPEG-4, AAC LC"),
        Case(name: "aac-48000-2.aac", rate: 48000, channels: 2, options: ["-c:a", "aac"], format: "ADTS, AAC LC"),
        Case(name: "aac-22050-1.aac", rate: 22050, channels: 1, options: ["-c:a", "aac"], format: "ADTS, AAC LC"),
        Case(name: "wma-44100-2.wma", rate: 44100, channels: 2, options: ["-c:a", "wmav2"], format: "ASF, WMA v2"),
        Case(name: "wma-22050-1.wma", rate: 22050, channels: 1, options: ["-c:a", "wmav2"], format: "ASF, WMA v2"),
        Case(name: "opus-48000-2.webm", rate: 48000, channels: 2, options: ["-c:a", "libopus"], format: "Matroska/WebM, Opus"),
        Case(name: "opus-48000-6.webm", rate: 48000, channels: 6, options: ["-c:a", "libopus", "-mapping_family", "1"],
             format: "Matroska/WebM, Opus"),
        Case(name: "vorbis-44100-2.mka", rate: 44100, channels: 2, options: ["-c:a", "libvorbis"], format: "Matroska/WebM, Vorbis"),
        Case(name: "ac3-48000-6.ac3", rate: 48000, channels: 6, options: ["-c:a", "ac3"], format: "AC-3"),
        Case(name: "eac3-48000-2.eac3", rate: 48000, channels: 2, options: ["-c:a", "eac3"], format: "E-AC-3"),
        Case(name: "dts-48000-2.dts", rate: 48000, channels: 2, options: ["-strict", "-2", "-c:a", "dca"], format: "raw DTS, DTS"),
        Case(name: "aac-22050-1.3gp", rate: 22050, channels: 1, options: ["-c:a", "aac"], format: "MPEG-4, AAC LC"),
        Case(name: "speex-16000-1.spx", rate: 16000, channels: 1, options: ["-c:a", "libspeex"], format: "Ogg, Speex"),
    ]

    static let losslessCases: [Case] = [
        Case(name: "alac16-44100-2.m4a", rate: 44100, channels: 2, options: ["-c:a", "alac", "-sample_fmt", "s16p"], format: "MPEG-4, ALAC 16-bit"),
        Case(name: "alac16-22050-1.m4a", rate: 22050, channels: 1, options: ["-c:a", "alac", "-sample_fmt", "s16p"], format: "MPEG-4, ALAC 16-bit"),
        Case(name: "alac24-48000-6.m4a", rate: 48000, channels: 6, options: ["-c:a", "alac", "-sample_fmt", "s32p"], format: "MPEG-4, ALAC 24-bit"),
        Case(name: "alac24-44100-2.m4a", rate: 44100, channels: 2, options: ["-c:a", "alac", "-sample_fmt", "s32p"], format: "MPEG-4, ALAC 24-bit"),
        Case(name: "wavpack16-22050-1.wv", rate: 22050, channels: 1, options: ["-c:a", "wavpack"], format: "WavPack 16-bit"),
        Case(name: "wavpack24-48000-2.wv", rate: 48000, channels: 2, options: ["-c:a", "wavpack", "-bits_per_raw_sample", "24"], format: "WavPack 24-bit"),
        Case(name: "tta16-44100-2.tta", rate: 44100, channels: 2, options: ["-c:a", "tta"], format: "TTA 16-bit"),
        // Raw TrueHD and MLP announce no length: `info` counts it by decoding.
        Case(name: "truehd16-48000-2.thd", rate: 48000, channels: 2, options: ["-strict", "-2", "-c:a", "truehd", "-f", "truehd"],
             format: "raw TrueHD, TrueHD"),
        Case(name: "mlp16-44100-2.mlp", rate: 44100, channels: 2, options: ["-strict", "-2", "-c:a", "mlp", "-f", "mlp"],
             format: "raw MLP, MLP (Meridian Lossless Packing)"),
    ]

    /// Every channel at the native rate, and the mono mix, equal the CLI's f32le decoding. MPEG-4
    /// files end where their edit list says, at their source's last sample: the CLI of this FFmpeg
    /// goes on into the AAC encoder's padding.
    func testDecodingMatchesTheFFmpegCLI() throws {
        for c in Self.lossyCases + Self.losslessCases {
            let encoding: AudioEncoding = c.name.contains("24") ? .pcm24 : .pcm16
            let encoded = path(c.name)
            let wav = try source(rate: c.rate, channels: c.channels, encoding: encoding)
            try FFmpegCLI.encode(wav, to: encoded, c.options)
            var reference = try FFmpegCLI.decode(encoded)
            XCTAssertGreaterThan(reference.count, c.rate * c.channels, c.name)
            if c.format.hasPrefix("MPEG-4") || c.format.hasPrefix("QuickTime") {
                let sourceSamples = try AudioInfo(path: wav).frames * c.channels
                XCTAssertGreaterThanOrEqual(reference.count, sourceSamples, c.name)
                reference = Array(reference.prefix(sourceSamples))
            }

            let (channels, rate) = try AudioLoader.loadChannels(path: encoded)
            XCTAssertEqual(rate, c.rate, c.name)
            XCTAssertEqual(channels.count, c.channels, c.name)
            let decoded = interleave(channels)
            XCTAssertEqual(decoded.count, reference.count, "\(c.name): length")
            if decoded.count == reference.count {
                XCTAssertLessThanOrEqual(maxAbsoluteError(decoded, reference), 1e-6, c.name)
            }

            let mono = try AudioLoader.load(path: encoded, sampleRate: nil)
            let expectedMono = channelMean(reference, channels: c.channels)
            XCTAssertEqual(mono.count, expectedMono.count, "\(c.name): mono length")
            if mono.count == expectedMono.count {
                XCTAssertLessThanOrEqual(maxAbsoluteError(mono, expectedMono), 1e-6, "\(c.name): mono")
            }

            let info = try AudioInfo(path: encoded)
            XCTAssertEqual(info.format, c.format, c.name)
            XCTAssertEqual(info.sampleRate, c.rate, c.name)
            XCTAssertEqual(info.channels, c.channels, c.name)
            XCTAssertEqual(Double(info.frames), Double(reference.count / c.channels), accuracy: Double(c.rate) * 0.05, c.name)
        }
    }

    /// Lossless codecs give back exactly the samples of their WAV source, encoder delay and all.
    func testLosslessDecodesToExactlyItsSource() throws {
        for c in Self.losslessCases {
            let wav = try source(rate: c.rate, channels: c.channels, encoding: c.name.contains("24") ? .pcm24 : .pcm16)
            let encoded = path(c.name)
            try FFmpegCLI.encode(wav, to: encoded, c.options)
            let original = try AudioLoader.loadChannels(path: wav)
            let decoded = try AudioLoader.loadChannels(path: encoded)
            XCTAssertEqual(decoded.sampleRate, original.sampleRate, c.name)
            guard c.format.contains("MLP") else {
                XCTAssertEqual(decoded.channels, original.channels, c.name)
                XCTAssertEqual(try AudioLoader.load(path: encoded, sampleRate: 22050), try AudioLoader.load(path: wav, sampleRate: 22050), c.name)
                continue
            }
            // MLP ends on a whole access unit (40 frames at 44.1 kHz): the source, then silence.
            for (decodedChannel, originalChannel) in zip(decoded.channels, original.channels) {
                XCTAssertEqual(Array(decodedChannel.prefix(originalChannel.count)), originalChannel, c.name)
                XCTAssertLessThan(decodedChannel.count - originalChannel.count, 40, c.name)
                XCTAssertTrue(decodedChannel.dropFirst(originalChannel.count).allSatisfy { $0 == 0 }, c.name)
            }
        }
    }

    /// WAV, FLAC and ALAC copies of one recording give bit-identical log-mel.
    func testLosslessCopiesGiveIdenticalLogMel() throws {
        for (rate, channels) in [(44100, 2), (48000, 1), (22050, 6)] {
            let wav = try source(rate: rate, channels: channels, encoding: .pcm16, seconds: 4)
            let flac = path("copy-\(rate)-\(channels).flac"), alac = path("copy-\(rate)-\(channels).m4a")
            try FFmpegCLI.encode(wav, to: flac, ["-c:a", "flac"])
            try FFmpegCLI.encode(wav, to: alac, ["-c:a", "alac"])
            let logMel = LogMel()
            let reference = try logMel.compute(path: wav)
            XCTAssertGreaterThan(reference.frames, 100)
            XCTAssertEqual(try logMel.compute(path: flac), reference, "FLAC \(rate) Hz \(channels) ch")
            XCTAssertEqual(try logMel.compute(path: alac), reference, "ALAC \(rate) Hz \(channels) ch")
        }
    }

    /// ALAC in CAF: the length is the packet table's count of valid frames, as Apple's encoders
    /// write it (the packets' 4096 frames each less the last packet's remainder), which is what
    /// decodes. The CLI's muxer writes no remainder; the table is written here as Apple's would be.
    func testALACInCAFLengthIsItsPacketTable() throws {
        let wav = try source(rate: 22050, channels: 1)
        let caf = path("alac.caf")
        try FFmpegCLI.encode(wav, to: caf, ["-c:a", "alac"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: caf)))
        let table = try XCTUnwrap(bytes.indices.dropLast(36).first { Array(bytes[$0..<($0 + 4)]) == Array("pakt".utf8) }) + 12
        func bigEndian(_ range: Range<Int>) -> Int { bytes[range].reduce(0) { $0 << 8 | Int($1) } }
        let packets = bigEndian(table..<(table + 8)), frames = try AudioInfo(path: wav).frames
        XCTAssertEqual(bigEndian((table + 8)..<(table + 16)), packets * 4096, "the CLI's table: every packet whole")
        for (offset, value, width) in [(8, frames, 8), (20, packets * 4096 - frames, 4)] {
            for k in 0..<width { bytes[table + offset + k] = UInt8(truncatingIfNeeded: value >> (8 * (width - 1 - k))) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: caf))
        XCTAssertEqual(try AudioInfo(path: caf).frames, frames)
        XCTAssertEqual(try AudioLoader.load(path: caf, sampleRate: nil).count, frames)
    }

    /// Musepack SV8 has the length its stream header states and decodes to the samples of the
    /// reference decoder, mpcdec (whose count is the independent reference), within FFmpeg's
    /// fixed-point synthesis: FFmpeg 5.1 counts whole blocks of 73728 frames, and decodes the
    /// synthesis delay first, the encoder's padding last and, when an ID3v1 tag follows the
    /// APEv2 tag, the tags as a packet of noise. mpccut's copy states a beginning silence.
    func testMusepackDecodesAsMpcdec() throws {
        let wav = try source(rate: 44100, channels: 2, seconds: 3)
        let (mpc, cut) = (path("tone.mpc"), path("cut.mpc"))
        try Media.run(["mpcenc", "--silent", "--overwrite", wav, mpc])
        try Media.run(["mpccut", "-s", "30000", "-e", "100000", mpc, cut])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: mpc))
        // Title, artist, album, year, comment, genre: libavformat reads these bytes as a packet.
        let id3v1 = Data("TAG".utf8) + ["T", "A", "B"].map { Data($0.utf8) + Data(count: 29) }.reduce(Data(), +)
            + Data("2001c".utf8) + Data(count: 29) + Data([17])
        let id3v2 = Data("ID3".utf8) + Data([4, 0, 0, 0, 0, 0, 10]) + Data(repeating: 0, count: 10)
        for (name, data) in [("id3v1.mpc", bytes + id3v1), ("id3v2.mpc", id3v2 + bytes + id3v1)] {
            try data.write(to: URL(fileURLWithPath: path(name)))
        }
        for (file, reference) in [(mpc, mpc), (cut, cut), (path("id3v1.mpc"), mpc), (path("id3v2.mpc"), mpc)] {
            let output = path("reference.wav")
            let stderr = try Media.run(["mpcdec", reference, output]).stderr
            let count = try XCTUnwrap(stderr.split(separator: "\n").first { $0.contains(" samples decoded") }?.split(separator: " ").first.flatMap { Int($0) },
                                      stderr)
            XCTAssertEqual(count, reference == mpc ? 132300 : 70000, file)
            let info = try AudioInfo(path: file)
            XCTAssertEqual(info.frames, count, file)
            XCTAssertEqual(info.format, "Musepack SV8", file)
            let expected = interleave(try AudioLoader.loadChannels(path: output).channels)
            let decoded = interleave(try AudioLoader.loadChannels(path: file).channels)
            XCTAssertEqual(decoded.count, count * 2, file)
            if decoded.count == expected.count {
                XCTAssertLessThanOrEqual(maxAbsoluteError(decoded, expected), 2 / 32768, file)
            }
        }
        XCTAssertEqual(try AudioLoader.loadChannels(path: path("id3v2.mpc")).channels, try AudioLoader.loadChannels(path: mpc).channels)
    }

    /// Small blocks exercise the stream's carry-over across decoded frames and the length fix.
    func testStreamingInSmallBlocksEqualsWholeFile() throws {
        let encoded = path("stream.m4a")
        let wav = try source(rate: 44100, channels: 2)
        try FFmpegCLI.encode(wav, to: encoded, ["-c:a", "aac"])
        let whole = try AudioLoader.load(path: encoded, sampleRate: 16000)
        let stream = try AudioStream(path: encoded, sampleRate: 16000, blockFrames: 1000)
        var pieces: [Float] = []
        var blocks = 0
        while let block = try stream.next() {
            pieces += block
            blocks += 1
        }
        XCTAssertEqual(pieces, whole)
        XCTAssertGreaterThan(blocks, 10)
        let native = try AudioInfo(path: wav).frames  // the edit list's length: the source's
        XCTAssertEqual(whole.count, Int((Double(native) * 16000 / 44100).rounded(.up)), "ceil(n · target / source)")
    }

    /// A video file: its default audio stream is the one decoded.
    func testVideoFileGivesItsAudioTrack() throws {
        let wav = try source(rate: 48000, channels: 2)
        let video = path("clip.mp4")
        try FFmpegCLI.run(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1.5", "-i", wav,
                           "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "aac", video])
        // The CLI's decoding, up to the edit list's end (the source's length; the CLI goes on into
        // the encoder's padding).
        let reference = Array(try FFmpegCLI.decode(video).prefix(try AudioInfo(path: wav).frames * 2))
        let (channels, rate) = try AudioLoader.loadChannels(path: video)
        XCTAssertEqual(rate, 48000)
        XCTAssertEqual(interleave(channels).count, reference.count)
        XCTAssertLessThanOrEqual(maxAbsoluteError(Array(interleave(channels).prefix(reference.count)), reference), 1e-6)
        XCTAssertEqual(try AudioInfo(path: video).format, "MPEG-4, AAC LC")
    }

    /// Multi-stream files: the default stream (av_find_best_stream's pick, and the CLI's), not the first.
    func testMultiStreamFileDecodesTheDefaultStream() throws {
        let stereo = try source(rate: 44100, channels: 2), mono = try source(rate: 22050, channels: 1)
        let both = path("two-tracks.mka")
        try FFmpegCLI.run(["-i", mono, "-i", stereo, "-map", "0:a", "-map", "1:a", "-c:a", "flac",
                           "-disposition:a:0", "0", "-disposition:a:1", "default", both])
        let reference = try FFmpegCLI.decode(both)
        let (channels, rate) = try AudioLoader.loadChannels(path: both)
        XCTAssertEqual(rate, 44100, "the second track, flagged default")
        XCTAssertEqual(interleave(channels), reference)
    }

    /// MP3 after bytes that are not MPEG audio (a ripper's padding, a stream cut mid-frame), with
    /// damage in the middle (bit rot, an incomplete download) or with padding at the end goes to
    /// FFmpeg and decodes as the CLI decodes it; random bytes alone stay refused.
    func testMPEGAudioAfterOtherBytes() throws {
        let mp3 = path("plain.mp3")
        try FFmpegCLI.encode(try source(rate: 44100, channels: 2), to: mp3, ["-c:a", "libmp3lame", "-id3v2_version", "0"])
        var random = SeededRandom(seed: 7)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let encoded = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp3)))
        var damaged = encoded
        damaged.replaceSubrange(encoded.count / 3..<encoded.count / 3 + 1000, with: bytes(1000))
        XCTAssertEqual(try AudioInfo(path: mp3).format, "MPEG-1/2 Audio, MPEG Layer III", "a whole MP3 stays with libsndfile")
        // Two ID3v2 tags, the second holding 100 kB of cover art: the frames are looked at after both.
        func id3(_ frameBytes: Int) -> [UInt8] {
            let size = 10 + frameBytes
            let frame = Array("APIC".utf8) + [3, 2, 1, 0].map { UInt8(truncatingIfNeeded: frameBytes >> (8 * $0)) } + [0, 0]
                + [UInt8](repeating: 0x41, count: frameBytes)
            return Array("ID3".utf8) + [3, 0, 0] + [3, 2, 1, 0].map { UInt8(size >> (7 * $0) & 0x7F) } + frame
        }
        for (name, file) in [("zeros.mp3", [UInt8](repeating: 0, count: 3000) + encoded), ("junk.mp3", bytes(5000) + encoded),
                             ("cut.mp3", Array(encoded.dropFirst(1000).prefix(300)) + encoded), ("damaged.mp3", damaged),
                             ("padded.mp3", encoded + [UInt8](repeating: 0, count: 500)), ("two-tags.mp3", id3(20) + id3(100_000) + damaged)] {
            let target = path(name)
            try Data(file).write(to: URL(fileURLWithPath: target))
            let reference = try FFmpegCLI.decode(target)
            let (channels, rate) = try AudioLoader.loadChannels(path: target)
            XCTAssertEqual(rate, 44100, name)
            XCTAssertEqual(interleave(channels).count, reference.count, name)
            if interleave(channels).count == reference.count {
                XCTAssertLessThanOrEqual(maxAbsoluteError(interleave(channels), reference), 1e-6, name)
            }
        }
        let noise = path("noise.mp3")
        try Data(bytes(200_000)).write(to: URL(fileURLWithPath: noise))
        XCTAssertThrowsError(try AudioLoader.load(path: noise, sampleRate: 22050)) {
            XCTAssertEqual("\($0)", "\(noise): not a readable audio file (format not recognised)")
        }
    }

    /// An MP3 with an APEv2 tag holding cover art after its audio: mpg123 (libsndfile's decoder)
    /// printed "Warning: Xing stream size off by more than 1%" on stderr for every read of it.
    /// FFmpeg reads it without a word, and `genre info` counts its length (FFmpeg's own guess from
    /// the bit rate took the tag for audio); one ID3v1 tag or a small APEv2 tag stays with
    /// libsndfile.
    func testMP3WithLargeTrailingTagIsReadQuietly() throws {
        let mp3 = path("song.mp3")
        try FFmpegCLI.encode(try source(rate: 44100, channels: 2, seconds: 6), to: mp3, ["-c:a", "libmp3lame", "-q:a", "4"])
        let audio = try Data(contentsOf: URL(fileURLWithPath: mp3))
        func apeTag(_ valueBytes: Int) -> Data {
            func le32(_ v: Int) -> Data { Data((0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }) }
            let item = le32(valueBytes) + le32(2) + Data("Cover Art (Front)".utf8) + Data([0]) + Data(count: valueBytes)
            let frame = { (flags: Int) in Data("APETAGEX".utf8) + le32(2000) + le32(item.count + 32) + le32(1) + le32(flags) + Data(count: 8) }
            return frame(0xA000_0000) + item + frame(0x8000_0000)
        }
        let whole = try AudioLoader.load(path: mp3).count
        for (name, tag, library) in [("cover.mp3", apeTag(audio.count / 2), "MPEG audio"), ("small.mp3", apeTag(64), "MPEG-1/2 Audio"),
                                     ("v1.mp3", Data("TAG".utf8) + Data(count: 125), "MPEG-1/2 Audio")] {
            try (audio + tag).write(to: URL(fileURLWithPath: path(name)))
            let info = try CommandRunner.run(["info", path(name)])
            XCTAssertEqual(info.status, 0, info.stderr)
            XCTAssertEqual(info.stderr, "", name)
            XCTAssertTrue(info.stdout.contains(": \(library), "), info.stdout)
            let seconds = try XCTUnwrap(info.stdout.split(separator: " ").firstIndex(of: "s").map { info.stdout.split(separator: " ")[$0 - 1] })
            XCTAssertEqual(try XCTUnwrap(Double(seconds)), 6, accuracy: 0.05, "\(name): \(info.stdout)")
            XCTAssertEqual(Double(try AudioLoader.load(path: path(name)).count), Double(whole), accuracy: 1152, name)
        }
    }

    /// A variable-bit-rate MP3 without a Xing header (old encoders, stream recorders): libsndfile
    /// guessed its length from the first frame's size and stopped reading there (2.9 s of 20 s
    /// when the first frame is loud and the rest simple). Its frames are counted; it goes to
    /// FFmpeg and reads whole, as the CLI decodes it. A constant-bit-rate one, whose guess holds,
    /// stays with libsndfile.
    func testVariableBitRateMP3WithoutXingHeaderIsReadWhole() throws {
        var state: UInt64 = 9
        let noise = (0..<2 * 11025).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23) * 0.8
        }
        let recording = noise + testRecording(seconds: 6, sampleRate: 44100, channels: 2).map { $0 / 8 }
        let wav = path("loud-start.wav")
        try AudioWriter.write(samples: recording, sampleRate: 44100, channels: 2, to: wav)
        for (name, options, library) in [("vbr.mp3", ["-q:a", "4"], "MPEG audio"), ("cbr.mp3", ["-b:a", "192k"], "MPEG-1/2 Audio")] {
            let mp3 = path(name)
            try FFmpegCLI.encode(wav, to: mp3, ["-c:a", "libmp3lame", "-write_xing", "0"] + options)
            let info = try AudioInfo(path: mp3)
            XCTAssertTrue(info.format.hasPrefix(library), "\(name): \(info.format)")
            let decoded = try AudioLoader.loadChannels(path: mp3).channels[0].count
            XCTAssertEqual(decoded, try FFmpegCLI.decode(mp3).count / 2, name)
            XCTAssertEqual(info.frames, decoded, name)
        }
    }

    /// One MP3 frame whose header rot into another sample rate is skipped like a frame that does
    /// not decode; a stream that really changes rate part-way (two files joined) is an error.
    func testMP3FrameHeaderClaimingAnotherRate() throws {
        let mp3 = path("whole.mp3")
        try FFmpegCLI.encode(try source(rate: 44100, channels: 2, seconds: 3), to: mp3, ["-c:a", "libmp3lame", "-id3v2_version", "0"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp3)))
        let whole = try AudioLoader.loadChannels(path: mp3).channels[0].count
        // The first frame header past the middle: its rate bits 00 (44.1 kHz) set to 10 (32 kHz).
        let middle = try XCTUnwrap((bytes.count / 2..<bytes.count - 4).first { MPEGFrameHeader(bytes[$0..<$0 + 4])?.sampleRate == 44100 })
        bytes[middle + 2] = bytes[middle + 2] & 0xF3 | 0x08
        let damaged = path("damaged.mp3")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let decoded = try AudioLoader.loadChannels(path: damaged)
        XCTAssertEqual(decoded.sampleRate, 44100)
        XCTAssertEqual(Double(decoded.channels[0].count), Double(whole), accuracy: 3 * 1152, "about one frame fewer")

        let other = path("other.mp3")
        try FFmpegCLI.encode(try source(rate: 32000, channels: 2, seconds: 3), to: other, ["-c:a", "libmp3lame", "-id3v2_version", "0"])
        let joined = path("joined.mp3")
        try (try Data(contentsOf: URL(fileURLWithPath: mp3)) + Data(contentsOf: URL(fileURLWithPath: other))).write(to: URL(fileURLWithPath: joined))
        XCTAssertThrowsError(try AudioLoader.load(path: joined)) {
            XCTAssertEqual("\($0)", "\(joined): the audio changes from 2 channels at 44100 Hz to 2 channels at 32000 Hz part-way")
        }
    }

    /// A chained Ogg file (recordings joined end to end, as radio recorders and `cat` make them),
    /// of which libsndfile reads only the first link: read whole, as the ffmpeg CLI decodes it,
    /// and counted whole by `genre info`; one link is still libsndfile's. Links of another rate or
    /// channel count are an error.
    func testChainedOggIsReadWhole() throws {
        let wav = try source(rate: 44100, channels: 2)
        func data(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file)) }
        for (codec, ext) in [("libvorbis", "ogg"), ("libopus", "opus")] {
            let first = path("first.\(ext)"), second = path("second.\(ext)"), chained = path("chained.\(ext)")
            try FFmpegCLI.encode(wav, to: first, ["-c:a", codec, "-b:a", "96k"])
            try FFmpegCLI.encode(wav, to: second, ["-c:a", codec, "-b:a", "64k"])
            try (data(first) + data(second)).write(to: URL(fileURLWithPath: chained))
            XCTAssertTrue(try AudioInfo(path: first).format.hasPrefix("OGG (OGG Container format)"), "one link stays with libsndfile")
            let link = try AudioLoader.loadChannels(path: first).channels[0].count
            let (channels, _) = try AudioLoader.loadChannels(path: chained)
            XCTAssertEqual(channels.count, 2, ext)
            XCTAssertGreaterThan(channels[0].count, 2 * link - 1024, "both links: \(ext)")
            let reference = try FFmpegCLI.decode(chained)
            XCTAssertEqual(2 * channels[0].count, reference.count, ext)
            if 2 * channels[0].count == reference.count {
                XCTAssertLessThanOrEqual(maxAbsoluteError(interleave(channels), reference), 1e-6, ext)
            }
            XCTAssertEqual(try AudioInfo(path: chained).frames, channels[0].count, ext)
        }
        let other = path("other.ogg"), mixed = path("mixed.ogg")
        try FFmpegCLI.encode(try source(rate: 22050, channels: 1), to: other, ["-c:a", "libvorbis"])
        try (data(path("first.ogg")) + data(other)).write(to: URL(fileURLWithPath: mixed))
        XCTAssertThrowsError(try AudioLoader.load(path: mixed)) {
            XCTAssertEqual("\($0)", "\(mixed): the audio changes from 2 channels at 44100 Hz to 1 channel at 22050 Hz part-way")
        }
    }

    /// A WAV whose recorder stopped before it wrote the sizes (RIFF and data sizes 0, the samples
    /// after them): libsndfile reads no audio, so FFmpeg reads it, to exactly the samples.
    func testUnfinishedWAVHeaderIsReadToTheEnd() throws {
        let wav = try source(rate: 44100, channels: 2)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wav)))
        let data = try XCTUnwrap((12..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual("data".utf8) })
        for i in [4, 5, 6, 7, data + 4, data + 5, data + 6, data + 7] { bytes[i] = 0 }
        let unfinished = path("unfinished.wav")
        try Data(bytes).write(to: URL(fileURLWithPath: unfinished))
        let (channels, rate) = try AudioLoader.loadChannels(path: unfinished)
        let original = try AudioLoader.loadChannels(path: wav)
        XCTAssertEqual(rate, original.sampleRate)
        XCTAssertEqual(channels, original.channels)
        XCTAssertEqual(channels.first?.count, Int(1.5 * 44100))
    }

    /// AMR-NB (old phones' voice memos), which libsndfile recognises and refuses: FFmpeg decodes it
    /// as the CLI does. No encoder ships with FFmpeg, so the frames are 12.2 kbit/s ones with seeded
    /// payloads (every payload decodes to speech parameters).
    func testAMRDecodesAsTheCLIDoes() throws {
        var random = SeededRandom(seed: 12)
        var bytes = Array("#!AMR\n".utf8)
        for _ in 0..<100 { bytes += [0x3C] + (0..<31).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let amr = path("memo.amr")
        try Data(bytes).write(to: URL(fileURLWithPath: amr))
        let reference = try FFmpegCLI.decode(amr)
        let (channels, rate) = try AudioLoader.loadChannels(path: amr)
        XCTAssertEqual(rate, 8000)
        XCTAssertEqual(channels.count, 1)
        XCTAssertEqual(channels.first?.count, 100 * 160, "20 ms a frame")
        XCTAssertEqual(channels.first?.count, reference.count)
        if channels.first?.count == reference.count { XCTAssertLessThanOrEqual(maxAbsoluteError(channels[0], reference), 1e-6) }
    }

    /// A frame header's length as the standard's formulas give it, for each layer and version.
    func testMPEGFrameLengths() {
        // (header, sample rate, bytes): MPEG-1 layer III 128 kbit/s 44.1 kHz, padded and not;
        // MPEG-2 layer III 64 kbit/s 22.05 kHz; MPEG-1 layer II 192 kbit/s 48 kHz; MPEG-1 layer I
        // 384 kbit/s 32 kHz; MPEG-2.5 layer III 8 kbit/s 8 kHz.
        let cases: [([UInt8], Int, Int)] = [
            ([0xFF, 0xFB, 0x90, 0x64], 44100, 417), ([0xFF, 0xFB, 0x92, 0x64], 44100, 418),
            ([0xFF, 0xF3, 0x80, 0x64], 22050, 208), ([0xFF, 0xFD, 0xA4, 0x04], 48000, 576),
            ([0xFF, 0xFF, 0xC8, 0x04], 32000, 576), ([0xFF, 0xE3, 0x18, 0x04], 8000, 72),
        ]
        for (bytes, rate, length) in cases {
            let header = MPEGFrameHeader(bytes)
            XCTAssertEqual(header?.sampleRate, rate, "\(bytes)")
            XCTAssertEqual(header?.length, length, "\(bytes)")
        }
        XCTAssertNil(MPEGFrameHeader([0xFF, 0xFB, 0xF0, 0x64]), "bad bitrate index")
        XCTAssertNil(MPEGFrameHeader([0xFF, 0xFB, 0x9C, 0x64]), "reserved rate")
        XCTAssertNil(MPEGFrameHeader([0xFF, 0xE9, 0x90, 0x64]), "reserved version")
    }

    /// DSD in both containers (Sony's DSF, Philips' DSDIFF): a 1 kHz tone, sigma-delta modulated
    /// to one bit at 2.8224 MHz (DSD64), decodes as the CLI decodes it (to 352.8 kHz) and,
    /// resampled, is the tone; so does DSD512 (22.5792 MHz, decoded at 2.8224 MHz, 128× 22050 Hz).
    func testDSDDecodesToItsTone() throws {
        let dsf = "DSD Stream File (DSF), DSD (Direct Stream Digital), least significant bit first, planar"
        let dsd64 = DSDTone(tone: 1000, amplitude: 0.5, seconds: 0.5, dsdRate: 2_822_400, channels: 2)
        let dsd512 = DSDTone(tone: 1000, amplitude: 0.5, seconds: 0.3, dsdRate: 22_579_200, channels: 2)
        let files = [("tone.dsf", dsd64, dsd64.dsf(), dsf),
                     ("tone.dff", dsd64, dsd64.dsdiff(), "IFF (Interchange File Format), DSD (Direct Stream Digital), most significant bit first"),
                     ("tone512.dsf", dsd512, dsd512.dsf(), dsf)]
        for (name, tone, bytes, format) in files {
            let dsdRate = tone.dsdRate
            let file = path(name)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let reference = try FFmpegCLI.decode(file)
            let (channels, rate) = try AudioLoader.loadChannels(path: file)
            XCTAssertEqual(rate, dsdRate / 8, name)
            XCTAssertEqual(channels.count, 2, name)
            XCTAssertEqual(interleave(channels).count, reference.count, name)
            if interleave(channels).count == reference.count {
                XCTAssertLessThanOrEqual(maxAbsoluteError(interleave(channels), reference), 1e-6, name)
            }
            XCTAssertEqual(try AudioInfo(path: file).format, format)

            // At 22.05 kHz the modulator's noise is filtered away: the tone explains the signal.
            let mono = Array(try AudioLoader.load(path: file, sampleRate: 22050).dropFirst(2000).dropLast(2000))
            let w = 2 * Double.pi * 1000 / 22050
            var (sine, cosine, energy) = (0.0, 0.0, 0.0)
            for (i, x) in mono.enumerated() {
                sine += Double(x) * sin(w * Double(i)); cosine += Double(x) * cos(w * Double(i)); energy += Double(x * x)
            }
            XCTAssertGreaterThan(2 * (sine * sine + cosine * cosine) / Double(mono.count) / energy, 0.98, name)
        }
    }
}
