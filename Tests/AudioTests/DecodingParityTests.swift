import Audio
import Foundation
import TestSupport
import XCTest

/// Decoding and resampling against librosa's `native` and `y_22050_mono` for every fixture.
final class DecodingParityTests: XCTestCase {

    /// Each features fixture names its source audio in its metadata.
    static func cases() throws -> [(name: String, audio: String, fixture: URL)] {
        try Fixtures.files(in: "features", where: { !$0.hasPrefix("mel_filterbank") }).map { url in
            let file = try Fixtures.load(url)
            let source = try XCTUnwrap(file.metadata["source"], "\(url.path) names no source")
            return (url.path, Fixtures.companion(source, of: url).path, url)
        }
    }

    func testFixturesExist() throws {
        XCTAssertGreaterThanOrEqual(try Self.cases().count, 4 * Fixtures.roots.count, "expected 4 audio fixtures in each of \(Fixtures.roots.map(\.path))")
    }

    func testNativeDecodingMatchesLibrosa() throws {
        for c in try Self.cases() {
            let reference = try Fixtures.load(c.fixture)
            let native = try XCTUnwrap(reference["native"])
            let (channels, rate) = try AudioLoader.loadChannels(path: c.audio)
            XCTAssertEqual(rate, Int(reference.metadata["native_sr"] ?? ""), c.name)
            XCTAssertEqual([channels.count, channels[0].count], native.shape, c.name)
            // The fixture holds the bytes of librosa's transposed view, i.e. frames interleaved
            // ([frames, channels] in memory) under the shape [channels, frames].
            let interleaved = (0..<channels[0].count).flatMap { t in channels.map { $0[t] } }
            let error = maxAbsoluteError(interleaved, native.floats())
            XCTAssertLessThanOrEqual(error, 1e-6, "\(c.name): decoded samples differ from librosa by \(error)")
        }
    }

    func testMonoResampledMatchesLibrosa() throws {
        for c in try Self.cases() {
            let reference = try Fixtures.load(c.fixture)
            let expected = try XCTUnwrap(reference["y_22050_mono"]).floats()
            let mono = try AudioLoader.load(path: c.audio, sampleRate: 22050)
            XCTAssertEqual(mono.count, expected.count, "\(c.name): length")
            guard mono.count == expected.count else { continue }
            let error = maxAbsoluteError(mono, expected)
            XCTAssertLessThanOrEqual(error, 1e-4, "\(c.name): 22050 Hz mono differs from librosa by \(error)")
        }
    }

    /// Small blocks exercise the stream's carry-over and the final length fix.
    func testStreamingInSmallBlocksEqualsWholeFile() throws {
        for c in try Self.cases() {
            let whole = try AudioLoader.load(path: c.audio, sampleRate: 16000)
            let stream = try AudioStream(path: c.audio, sampleRate: 16000, blockFrames: 1000)
            var pieces: [Float] = []
            var blocks = 0
            while let block = try stream.next() {
                pieces += block
                blocks += 1
            }
            XCTAssertEqual(pieces, whole, c.name)
            XCTAssertGreaterThan(blocks, 1, c.name)
            let info = try AudioInfo(path: c.audio)
            let expectedLength = Int((Double(info.frames) * (16000.0 / Double(info.sampleRate))).rounded(.up))
            XCTAssertEqual(whole.count, expectedLength, "\(c.name): ceil(n · target / source)")
        }
    }
}

