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
        let cases: [(String, AudioEncoding, Float)] = [
            ("wav", .pcm8, 1.0 / 128), ("wav", .pcm16, 1.0 / 32768), ("wav", .pcm24, 1e-6), ("wav", .pcm32, 1e-7),
            ("wav", .float32, 0), ("flac", .pcm16, 1.0 / 32768), ("flac", .pcm24, 1e-6),
            ("aiff", .pcm16, 1.0 / 32768), ("aiff", .float32, 0), ("au", .pcm16, 1.0 / 32768), ("au", .pcm8, 1.0 / 128),
        ]
        for (ext, encoding, tolerance) in cases {
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

    /// A mono file at its own rate, streamed in small blocks: each block is handed out as the
    /// stream's own buffer with the held-back tail moved to a new one, and a mono file is read
    /// straight into the block it is checked in; together the blocks are the written samples.
    func testMonoBlocksAtTheFileRateAreTheWrittenSamples() throws {
        let path = folder.appendingPathComponent("mono-float.wav").path
        let samples: [Float] = (0..<10_007).map { i in
            let tone = 0.7 * sin(0.013 * Double(i))
            return Float(tone + 0.01 * Double(i % 7))
        }
        try AudioWriter.write(samples: samples, sampleRate: 22050, to: path, encoding: .float32)
        let stream = try AudioStream(path: path, sampleRate: nil, blockFrames: 1000)
        var blocks: [[Float]] = []
        while let block = try stream.next() { blocks.append(block) }
        XCTAssertGreaterThan(blocks.count, 5)
        XCTAssertEqual(Array(blocks.joined()), samples)
    }

    /// Lossy codecs: length and loudness survive, and the tone is still at 440 Hz.
    func testLossyCodecsDecodeAndResample() throws {
        for ext in ["ogg", "opus", "mp3"] {
            let path = folder.appendingPathComponent("tone.\(ext)").path
            try AudioWriter.write(samples: tone(rate: 48000) + tone(rate: 48000), sampleRate: 48000, to: path)
            let y = try AudioLoader.load(path: path, sampleRate: 22050)
            XCTAssertEqual(Double(y.count), 22050, accuracy: 2500, ext)
            let rms = sqrt(y.map { $0 * $0 }.reduce(0, +) / Float(y.count))
            XCTAssertEqual(rms, 0.5 / sqrt(2), accuracy: 0.06, ext)
            // Correlation with a 440 Hz reference over the middle of the clip.
            let middle = y[5000..<15000]
            let (c, s) = middle.indices.reduce((Float(0), Float(0))) { acc, i in
                let phase = 2 * Float.pi * 440 * Float(i) / 22050
                return (acc.0 + y[i] * cos(phase), acc.1 + y[i] * sin(phase))
            }
            XCTAssertGreaterThan(sqrt(c * c + s * s) / Float(middle.count), 0.2, "\(ext): 440 Hz tone lost")
        }
    }

    func testStereoIsAveragedToMono() throws {
        let path = folder.appendingPathComponent("stereo.wav").path
        let left = tone(rate: 8000), right = left.map { _ in Float(0.25) }
        try AudioWriter.write(samples: zip(left, right).flatMap { [$0, $1] }, sampleRate: 8000, channels: 2, to: path, encoding: .float32)
        XCTAssertEqual(try AudioLoader.load(path: path, sampleRate: nil), zip(left, right).map { ($0 + $1) / 2 })
        XCTAssertEqual(try AudioInfo(path: path).channels, 2)
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
