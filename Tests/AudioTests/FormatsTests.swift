import Audio
import Foundation
import TestSupport
import XCTest

/// Every container and encoding the issue names decodes, at any rate and channel count.
final class FormatsTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-audio") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// A 0.5 s 440 Hz tone.
    func tone(rate: Int) -> [Float] {
        (0..<(rate / 2)).map { 0.5 * sin(2 * Float.pi * 440 * Float($0) / Float(rate)) }
    }

    func testWriteThenReadRoundTripsEachContainer() throws {
        for (ext, encoding, tolerance) in [("wav", AudioEncoding.pcm16, Float(1.0 / 32768)),
                                           ("wav", .pcm24, 1e-6), ("wav", .float32, 0),
                                           ("flac", .pcm16, 1.0 / 32768), ("aiff", .pcm16, 1.0 / 32768),
                                           ("au", .pcm16, 1.0 / 32768)] {
            let path = folder.appendingPathComponent("tone-\(encoding).\(ext)").path
            let samples = tone(rate: 44100)
            try AudioWriter.write(samples: samples, sampleRate: 44100, to: path, encoding: encoding)
            let back = try AudioLoader.load(path: path, sampleRate: nil)
            XCTAssertEqual(back.count, samples.count, path)
            XCTAssertLessThanOrEqual(maxAbsoluteError(back, samples), tolerance, path)
            let info = try AudioInfo(path: path)
            XCTAssertEqual(info.sampleRate, 44100)
            XCTAssertEqual(info.channels, 1)
            XCTAssertEqual(info.duration, 0.5, accuracy: 1e-9)
        }
    }

    func testLossyOggVorbisDecodesAndResamples() throws {
        let path = folder.appendingPathComponent("tone.ogg").path
        try AudioWriter.write(samples: tone(rate: 48000), sampleRate: 48000, to: path)
        let y = try AudioLoader.load(path: path, sampleRate: 22050)
        XCTAssertEqual(Double(y.count), 0.5 * 22050, accuracy: 2000)
        let rms = sqrt(y.map { $0 * $0 }.reduce(0, +) / Float(y.count))
        XCTAssertEqual(rms, 0.5 / sqrt(2), accuracy: 0.05)
    }

    func testNativeRateKeepsEverySample() throws {
        let path = folder.appendingPathComponent("tone.wav").path
        try AudioWriter.write(samples: tone(rate: 22050), sampleRate: 22050, to: path, encoding: .float32)
        XCTAssertEqual(try AudioLoader.load(path: path, sampleRate: 22050), tone(rate: 22050))
    }

    func testUnknownExtensionIsRefusedForWriting() {
        XCTAssertThrowsError(try AudioWriter.write(samples: [0], sampleRate: 8000, to: folder.appendingPathComponent("x.xyz").path))
    }
}
