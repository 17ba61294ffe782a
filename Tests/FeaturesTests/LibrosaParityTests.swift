import Audio
import Features
import Foundation
import SafeTensors
import TestSupport
import XCTest

/// The features contract (docs/contracts.md §1) against librosa 0.11, for every fixture.
final class LibrosaParityTests: XCTestCase {
    func testMelFilterbankMatchesLibrosa() throws {
        for url in Fixtures.files(in: "features", where: { $0.hasPrefix("mel_filterbank") }) {
            let file = try Fixtures.load(url)
            // mel_filterbank_sr22050_nfft2048_nmels128
            let numbers = url.deletingPathExtension().lastPathComponent.split(separator: "_").compactMap { part in
                Int(part.drop { !$0.isNumber })
            }
            XCTAssertEqual(numbers.count, 3, url.lastPathComponent)
            let bank = MelFilterbank(sampleRate: numbers[0], nFFT: numbers[1], nMels: numbers[2])
            let (name, reference) = try XCTUnwrap(file.tensors.first)
            XCTAssertEqual(reference.shape, [bank.nMels, bank.nBins], name)
            let error = maxAbsoluteError(bank.weights, reference.floats())
            XCTAssertLessThanOrEqual(error, 1e-6, "\(url.path): filterbank differs by \(error)")
        }
    }

    /// Native 22050 Hz clips: within 0.01 dB everywhere. Resampled clips: within 0.05 dB on bins
    /// within 60 dB of the clip's maximum (soxr's float noise dominates below that).
    func testLogMelMatchesLibrosa() throws {
        var checked = 0
        for c in try DecodedFixture.all() {
            let logMel = LogMel()
            let spectrogram = try logMel.compute(path: c.audioPath)
            let expected = try XCTUnwrap(c.file["logmel_db"])
            XCTAssertEqual([spectrogram.nMels, spectrogram.frames], expected.shape, c.name)
            guard [spectrogram.nMels, spectrogram.frames] == expected.shape else { continue }
            let reference = expected.floats()
            let native = c.nativeRate == 22050
            let peak = reference.max()!
            var worst: Float = 0
            for i in reference.indices where native || reference[i] >= peak - 60 {
                worst = max(worst, abs(spectrogram.values[i] - reference[i]))
            }
            XCTAssertLessThanOrEqual(worst, native ? 0.01 : 0.05, "\(c.name): log-mel differs by \(worst) dB")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 4 * Fixtures.roots.count)
    }

    /// From librosa's own 22050 Hz mono signal, the features alone (no decoding) must agree.
    func testLogMelOfReferenceSignalMatches() throws {
        for c in try DecodedFixture.all() {
            let y = try XCTUnwrap(c.file["y_22050_mono"]).floats()
            let spectrogram = LogMel().compute(y)
            let reference = try XCTUnwrap(c.file["logmel_db"]).floats()
            let error = maxAbsoluteError(spectrogram.values, reference)
            XCTAssertLessThanOrEqual(error, 0.01, "\(c.name): log-mel of y_22050_mono differs by \(error) dB")
        }
    }

    func testMelPowerMatchesLibrosa() throws {
        for c in try DecodedFixture.all() {
            let y = try XCTUnwrap(c.file["y_22050_mono"]).floats()
            let power = LogMel().melPower(y)
            let reference = try XCTUnwrap(c.file["mel_power"]).floats()
            let peak = reference.max()!
            // Relative to the clip's peak power: float32 FFT noise floor.
            let error = maxAbsoluteError(power.values, reference) / max(peak, 1e-10)
            XCTAssertLessThanOrEqual(error, 1e-5, "\(c.name): mel power differs by \(error) of the peak")
        }
    }

    /// Feeding the stream in awkward block sizes gives exactly the whole-signal result.
    func testStreamingEqualsWholeSignal() throws {
        let y = (0..<30000).map { sin(Float($0) * 0.01) * Float($0 % 97) / 97 }
        let logMel = LogMel()
        let whole = logMel.melPower(y)
        let stream = LogMelStream(logMel)
        var start = 0
        for size in [1, 511, 512, 513, 3000, 100_000] where start < y.count {
            let end = min(y.count, start + size)
            stream.append(Array(y[start..<end]))
            start = end
        }
        XCTAssertEqual(stream.finishPower(), whole)
        XCTAssertEqual(whole.frames, 1 + 30000 / 512)
    }

    /// A stream announced shorter than it is (its bands grow) or longer (they close up at the
    /// end), as a compressed file's header estimate can be, gives exactly the whole signal's.
    func testStreamOfMisannouncedLengthEqualsWholeSignal() {
        let y = (0..<300_000).map { sin(Float($0) * 0.003) * Float($0 % 89) / 89 }
        let logMel = LogMel()
        let whole = logMel.melPower(y)
        for announced in [0, 1000, 150_000, 299_999, 600_000] {
            let stream = LogMelStream(logMel, expectedSamples: announced)
            for start in stride(from: 0, to: y.count, by: 40_000) { stream.append(Array(y[start..<min(y.count, start + 40_000)])) }
            XCTAssertEqual(stream.finishPower(), whole, "announced \(announced) samples")
        }
    }
}

/// A features fixture with the audio file it was computed from.
struct DecodedFixture {
    let name: String
    let file: SafeTensorsFile
    let audioPath: String
    let nativeRate: Int

    static func all() throws -> [DecodedFixture] {
        try Fixtures.files(in: "features", where: { !$0.hasPrefix("mel_filterbank") }).map { url in
            let file = try Fixtures.load(url)
            let source = try XCTUnwrap(file.metadata["source"], "\(url.path) names no source")
            return DecodedFixture(name: url.path, file: file,
                                  audioPath: Fixtures.companion(source, of: url).path,
                                  nativeRate: Int(file.metadata["native_sr"] ?? "") ?? 0)
        }
    }
}
