import Glibc

/// `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax)` with the Slaney mel scale and Slaney
/// area normalisation, computed in double precision and stored as float32 like librosa.
/// Each filter is a triangle, so only its non-zero span of FFT bins is kept for the product.
public struct MelFilterbank: Sendable {
    public let nMels: Int
    public let nBins: Int
    /// Each band's non-zero weights, band after band; band m's are `packed[spans[m].offset...]`
    /// and belong to FFT bins `spans[m].start...`.
    let packed: [Float]
    /// For each mel band, the first FFT bin with a non-zero weight, how many follow, and where
    /// they start in `packed`.
    let spans: [(start: Int, count: Int, offset: Int)]

    /// Dense weights, row-major [nMels, nBins] (librosa's matrix).
    public var weights: [Float] {
        var dense = [Float](repeating: 0, count: nMels * nBins)
        for (m, span) in spans.enumerated() {
            for i in 0..<span.count { dense[m * nBins + span.start + i] = packed[span.offset + i] }
        }
        return dense
    }

    public init(sampleRate: Int, nFFT: Int, nMels: Int, fmin: Double = 0, fmax: Double? = nil) {
        let fmax = fmax ?? Double(sampleRate) / 2
        let nBins = nFFT / 2 + 1
        let binHz = Double(sampleRate) / Double(nFFT)
        let lowMel = Self.hzToMel(fmin), highMel = Self.hzToMel(fmax)
        // numpy.linspace(lowMel, highMel, nMels + 2), mapped back to Hz.
        let step = (highMel - lowMel) / Double(nMels + 1)
        let melFrequencies = (0..<(nMels + 2)).map { i in
            Self.melToHz(i == nMels + 1 ? highMel : Double(i) * step + lowMel)
        }
        var packed: [Float] = []
        var spans: [(Int, Int, Int)] = []
        for m in 0..<nMels {
            let lowerWidth = melFrequencies[m + 1] - melFrequencies[m]
            let upperWidth = melFrequencies[m + 2] - melFrequencies[m + 1]
            let norm = 2.0 / (melFrequencies[m + 2] - melFrequencies[m])
            // The triangle is non-zero strictly between its two outer frequencies; the bins
            // just outside are tested too, so rounding decides nothing.
            let firstCandidate = max(0, Int((melFrequencies[m] / binHz).rounded(.down)) - 1)
            let lastCandidate = min(nBins - 1, Int((melFrequencies[m + 2] / binHz).rounded(.up)) + 1)
            var first = -1
            let offset = packed.count
            if firstCandidate <= lastCandidate {
                for k in firstCandidate...lastCandidate {
                    let frequency = Double(k) * Double(sampleRate) / Double(nFFT)
                    let lower = -(melFrequencies[m] - frequency) / lowerWidth
                    let upper = (melFrequencies[m + 2] - frequency) / upperWidth
                    let w = max(0, min(lower, upper)) * norm
                    if w > 0 {
                        if first < 0 { first = k }
                        packed.append(Float(w))
                    }
                }
            }
            spans.append(first < 0 ? (0, 0, offset) : (first, packed.count - offset, offset))
        }
        self.nMels = nMels
        self.nBins = nBins
        self.packed = packed
        self.spans = spans
    }

    // Slaney's auditory-toolbox scale: linear below 1 kHz, logarithmic above.
    static let linearStep = 200.0 / 3
    static let breakHz = 1000.0
    static let breakMel = breakHz / linearStep
    static let logStep = log(6.4) / 27

    static func hzToMel(_ hz: Double) -> Double {
        hz >= breakHz ? breakMel + log(hz / breakHz) / logStep : hz / linearStep
    }

    static func melToHz(_ mel: Double) -> Double {
        mel >= breakMel ? breakHz * exp(logStep * (mel - breakMel)) : linearStep * mel
    }
}
