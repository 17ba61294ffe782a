import Features
import Foundation

/// Listen-free measurements of clips: tempo, onsets, brightness, band levels.
enum SignalMeasures {
    static let sampleRate = 22050
    private static let hop = 256
    private static let logMel = LogMel(FeatureParameters(nFFT: 1024, hopLength: hop, nMels: 64))
    static var framesPerSecond: Double { Double(sampleRate) / Double(hop) }

    /// Spectral flux: how much louder each frame is than the last, summed over mel bands, on a
    /// log(1 + 1000 · power / peak) scale so bands near silence add no noise of their own.
    static func onsetStrength(_ samples: [Float]) -> [Float] {
        var mel = logMel.melPower(samples)
        guard mel.frames > 1 else { return [] }
        let scale = 1000 / max(mel.maximum, 1e-20)
        mel.values = mel.values.map { log(1 + scale * $0) }
        return (1..<mel.frames).map { frame in
            (0..<mel.nMels).reduce(Float(0)) { sum, band in
                sum + max(0, mel.values[band * mel.frames + frame] - mel.values[band * mel.frames + frame - 1])
            }
        }
    }

    /// How strongly the onset strength pulses at `bpm`: the magnitude of its Fourier component
    /// at that rate (one column of a tempogram), whatever the phase of the beat.
    static func pulse(_ flux: [Float], bpm: Double) -> Double {
        let mean = Double(flux.reduce(0, +)) / Double(flux.count)
        let step = 2 * Double.pi * bpm / 60 / framesPerSecond
        var real = 0.0, imaginary = 0.0
        for (frame, value) in flux.enumerated() {
            real += (Double(value) - mean) * cos(step * Double(frame))
            imaginary += (Double(value) - mean) * sin(step * Double(frame))
        }
        return (real * real + imaginary * imaginary).squareRoot()
    }

    /// Onsets per second: peaks of the onset strength that stand out from their surroundings.
    static func onsetRate(_ samples: [Float]) -> Double {
        let flux = onsetStrength(samples)
        let median = flux.sorted()[flux.count / 2]
        let threshold = 2 * median + 1
        var onsets = 0
        for i in 1..<(flux.count - 1) where flux[i] > threshold && flux[i] >= flux[i - 1] && flux[i] > flux[i + 1] {
            onsets += 1
        }
        return Double(onsets) * Double(sampleRate) / Double(samples.count)
    }

    static func rootMeanSquareDecibels(_ samples: [Float]) -> Double {
        10 * log10(samples.reduce(0) { $0 + Double($1 * $1) } / Double(samples.count) + 1e-20)
    }

    /// Share of the power in mel bands within `band` (Hz), in dB: a spectral level with no FFT
    /// bookkeeping in the test.
    static func bandShareDecibels(_ samples: [Float], _ band: ClosedRange<Double>) -> Double {
        let mel = logMel.melPower(samples)
        let centres = melCentres(count: mel.nMels)
        var inside = 0.0, total = 0.0
        for bin in 0..<mel.nMels {
            let power = (0..<mel.frames).reduce(0.0) { $0 + Double(mel.values[bin * mel.frames + $1]) }
            total += power
            if band.contains(centres[bin]) { inside += power }
        }
        return 10 * log10(inside / total + 1e-20)
    }

    /// Spectral flatness (geometric over arithmetic mean of the mel power), averaged over frames:
    /// near 0 for clean tones, higher for noise and heavy distortion.
    static func flatness(_ samples: [Float]) -> Double {
        let mel = logMel.melPower(samples)
        var sum = 0.0
        for frame in 0..<mel.frames {
            let powers = (0..<mel.nMels).map { Double(mel.values[$0 * mel.frames + frame]) + 1e-12 }
            let geometric = exp(powers.reduce(0) { $0 + log($1) } / Double(powers.count))
            sum += geometric / (powers.reduce(0, +) / Double(powers.count))
        }
        return sum / Double(mel.frames)
    }

    /// Centre frequencies of the Slaney mel bands of the filterbank above (0 Hz to Nyquist).
    private static func melCentres(count: Int) -> [Double] {
        func mel(_ hz: Double) -> Double { hz < 1000 ? hz / (200.0 / 3) : 15 + log(hz / 1000) / (log(6.4) / 27) }
        func hertz(_ mel: Double) -> Double { mel < 15 ? mel * 200.0 / 3 : 1000 * exp((mel - 15) * log(6.4) / 27) }
        let top = mel(Double(sampleRate) / 2)
        return (1...count).map { hertz(top * Double($0) / Double(count + 1)) }
    }
}
