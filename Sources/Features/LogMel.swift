import Audio
import Foundation

/// The log-mel spectrogram of the features contract (docs/contracts.md §1):
/// periodic Hann STFT with centre zero padding, power, Slaney mel, `power_to_db(ref=1, amin=1e-10,
/// top_db)` with the maximum taken over the whole clip.
public struct LogMel: Sendable {
    public let parameters: FeatureParameters
    public let filterbank: MelFilterbank
    /// Periodic Hann window of nFFT (scipy's `get_window('hann', n, fftbins=True)`).
    let window: [Float]

    public init(_ parameters: FeatureParameters = FeatureParameters()) {
        self.parameters = parameters
        filterbank = MelFilterbank(sampleRate: parameters.sampleRate, nFFT: parameters.nFFT, nMels: parameters.nMels,
                                   fmin: parameters.fmin, fmax: parameters.fmax)
        let n = parameters.nFFT
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
    }

    /// Number of STFT frames librosa gives a signal of `length` samples with `center=True`.
    public func frameCount(length: Int) -> Int { 1 + length / parameters.hopLength }

    /// Mel power spectrogram (`librosa.feature.melspectrogram`) of a whole signal.
    public func melPower(_ samples: [Float]) -> Spectrogram {
        let stream = LogMelStream(self, expectedSamples: samples.count)
        stream.append(samples)
        return stream.finishPower()
    }

    /// Log-mel in dB of a whole signal.
    public func compute(_ samples: [Float]) -> Spectrogram {
        var spectrogram = melPower(samples)
        powerToDB(&spectrogram.values)
        return spectrogram
    }

    /// Decodes a file (any length, in bounded memory) and returns its log-mel in dB.
    public func compute(path: String) throws -> Spectrogram {
        let audio = try AudioStream(path: path, sampleRate: parameters.sampleRate)
        let expected = audio.sourceFrames > 0
            ? Int((Double(audio.sourceFrames) * Double(audio.sampleRate) / Double(audio.sourceRate)).rounded(.up)) : 0
        let stream = LogMelStream(self, expectedSamples: expected)
        while let block = try audio.next() { stream.append(block) }
        var spectrogram = stream.finishPower()
        powerToDB(&spectrogram.values)
        return spectrogram
    }

    /// In place: 10·log10(max(S, 1e-10)), then everything below (max − top_db) raised to it.
    public func powerToDB(_ values: inout [Float]) {
        let topDB = parameters.topDB
        values.withUnsafeMutableBufferPointer { v in
            var peak = -Float.infinity
            for i in v.indices {
                let db = 10 * log10(max(v[i], 1e-10))
                v[i] = db
                peak = max(peak, db)
            }
            let floor = peak - topDB
            for i in v.indices where v[i] < floor { v[i] = floor }
        }
    }
}
