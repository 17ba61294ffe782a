import Audio
import Glibc

/// The log-mel spectrogram of the features contract (docs/contracts.md §1):
/// periodic Hann STFT with centre zero padding, power, Slaney mel, `power_to_db(ref=1, amin=1e-10,
/// top_db)` with the maximum taken over the whole clip.
public struct LogMel: Sendable {
    public let parameters: FeatureParameters
    /// Changes whenever the computed values may change in their last bits (2: the real FFT
    /// untangled from a half-length complex one), so caches of older values are not reused.
    public static let revision = 2
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
    public func compute(path: String) throws -> Spectrogram { try compute(source: .file(path)) }

    /// The same for a file or bytes in memory.
    public func compute(source: AudioSource) throws -> Spectrogram {
        let audio = try AudioStream(source: source, sampleRate: parameters.sampleRate)
        let stream = LogMelStream(self, expectedSamples: audio.expectedSamples)
        while let block = try audio.next() { stream.append(block) }
        var spectrogram = stream.finishPower()
        powerToDB(&spectrogram.values)
        return spectrogram
    }

    /// In place: 10·log10(max(S, 1e-10)), then everything below (max − top_db) raised to it.
    public func powerToDB(_ values: inout [Float]) {
        let topDB = parameters.topDB
        values.withUnsafeMutableBufferPointer { v in
            guard let base = v.baseAddress else { return }
            let raw = UnsafeMutableRawPointer(base)
            var peak = SIMD8<Float>(repeating: -.infinity)
            var i = 0
            while i + 8 <= v.count {
                let db = Self.decibels(raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
                raw.storeBytes(of: db, toByteOffset: 4 * i, as: SIMD8<Float>.self)
                peak = peak.replacing(with: db, where: db .> peak)
                i += 8
            }
            var top = peak.max()
            for j in i..<v.count {
                v[j] = Self.decibels(v[j])
                top = max(top, v[j])
            }
            let floor = top - topDB
            for j in v.indices where v[j] < floor { v[j] = floor }
        }
    }

    /// 10·log10(max(x, 1e-10)) through libm.
    static func decibels(_ x: Float) -> Float { 10 * log10(max(x, 1e-10)) }

    /// 10·log10(max(x, 1e-10)) eight at a time: x = 2^e·m with m in [√½, √2), ln m from Cephes'
    /// single-precision polynomial (within 2 ulp of libm's). A vector holding an infinity or NaN
    /// goes through libm.
    @inline(__always)
    static func decibels(_ power: SIMD8<Float>) -> SIMD8<Float> {
        var x = power.replacing(with: 1e-10, where: power .< 1e-10)
        guard all(x .< .infinity) else {
            for j in 0..<8 { x[j] = decibels(power[j]) }
            return x
        }
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        var exponent = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bits &>> 23) &- 126)
        var m = unsafeBitCast((bits & 0x807F_FFFF) | 0x3F00_0000, to: SIMD8<Float>.self)  // [0.5, 1)
        let small = m .< 0.707106781186547524
        exponent = exponent.replacing(with: exponent - 1, where: small)
        m = m.replacing(with: m + m, where: small) - 1
        return decibels(mantissa: m, exponent: exponent)
    }

    /// 10·log10(2^exponent·(1 + m)). Kept out of line: inlined after the selects above, LLVM
    /// computed this polynomial lane by lane (85 scalar operations per vector); on its own it is
    /// 27 vector ones, and `powerToDB` takes half the time (the same bits).
    @inline(never)
    static func decibels(mantissa m: SIMD8<Float>, exponent: SIMD8<Float>) -> SIMD8<Float> {
        let z = m * m
        var p = 7.0376836292e-2 * m - 1.1514610310e-1
        p = p * m + 1.1676998740e-1
        p = p * m - 1.2420140846e-1
        p = p * m + 1.4249322787e-1
        p = p * m - 1.6668057665e-1
        p = p * m + 2.0000714765e-1
        p = p * m - 2.4999993993e-1
        p = p * m + 3.3333331174e-1
        var y = p * m * z
        y += -2.12194440e-4 * exponent
        y += -0.5 * z
        let ln = m + y + 0.693359375 * exponent
        return 4.342944819032518 * ln  // 10 / ln 10
    }
}
