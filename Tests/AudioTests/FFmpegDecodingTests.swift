import Audio
import Features
import Foundation
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
    ]

    static let losslessCases: [Case] = [
        Case(name: "alac16-44100-2.m4a", rate: 44100, channels: 2, options: ["-c:a", "alac", "-sample_fmt", "s16p"], format: "MPEG-4, ALAC 16-bit"),
        Case(name: "alac16-22050-1.m4a", rate: 22050, channels: 1, options: ["-c:a", "alac", "-sample_fmt", "s16p"], format: "MPEG-4, ALAC 16-bit"),
        Case(name: "alac24-48000-6.m4a", rate: 48000, channels: 6, options: ["-c:a", "alac", "-sample_fmt", "s32p"], format: "MPEG-4, ALAC 24-bit"),
        Case(name: "alac24-44100-2.m4a", rate: 44100, channels: 2, options: ["-c:a", "alac", "-sample_fmt", "s32p"], format: "MPEG-4, ALAC 24-bit"),
        Case(name: "wavpack16-22050-1.wv", rate: 22050, channels: 1, options: ["-c:a", "wavpack"], format: "WavPack 16-bit"),
        Case(name: "wavpack24-48000-2.wv", rate: 48000, channels: 2, options: ["-c:a", "wavpack", "-bits_per_raw_sample", "24"], format: "WavPack 24-bit"),
    ]

    /// Every channel at the native rate, and the mono mix, equal the CLI's f32le decoding.
    func testDecodingMatchesTheFFmpegCLI() throws {
        for c in Self.lossyCases + Self.losslessCases {
            let encoding: AudioEncoding = c.name.contains("24") ? .pcm24 : .pcm16
            let encoded = path(c.name)
            try FFmpegCLI.encode(try source(rate: c.rate, channels: c.channels, encoding: encoding), to: encoded, c.options)
            let reference = try FFmpegCLI.decode(encoded)
            XCTAssertGreaterThan(reference.count, c.rate * c.channels, c.name)

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
            XCTAssertEqual(decoded.channels, original.channels, c.name)
            XCTAssertEqual(try AudioLoader.load(path: encoded, sampleRate: 22050), try AudioLoader.load(path: wav, sampleRate: 22050), c.name)
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

    /// Small blocks exercise the stream's carry-over across decoded frames and the length fix.
    func testStreamingInSmallBlocksEqualsWholeFile() throws {
        let encoded = path("stream.m4a")
        try FFmpegCLI.encode(try source(rate: 44100, channels: 2), to: encoded, ["-c:a", "aac"])
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
        let native = try FFmpegCLI.decode(encoded).count / 2
        XCTAssertEqual(whole.count, Int((Double(native) * 16000 / 44100).rounded(.up)), "ceil(n · target / source)")
    }

    /// A video file: its default audio stream is the one decoded.
    func testVideoFileGivesItsAudioTrack() throws {
        let wav = try source(rate: 48000, channels: 2)
        let video = path("clip.mp4")
        try FFmpegCLI.run(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1.5", "-i", wav,
                           "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "aac", video])
        let reference = try FFmpegCLI.decode(video)
        let (channels, rate) = try AudioLoader.loadChannels(path: video)
        XCTAssertEqual(rate, 48000)
        XCTAssertEqual(interleave(channels).count, reference.count)
        XCTAssertLessThanOrEqual(maxAbsoluteError(interleave(channels), reference), 1e-6)
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
}
