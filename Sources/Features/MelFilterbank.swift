import Foundation

/// `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax)` with the Slaney mel scale and Slaney
/// area normalisation, computed in double precision and stored as float32 like librosa.
/// Each filter is a triangle, so only its non-zero span of FFT bins is kept for the product.
public struct MelFilterbank: Sendable {
    public let nMels: Int
    public let nBins: Int
    /// Dense weights, row-major [nMels, nBins].
    public let weights: [Float]
    /// For each mel band, the first FFT bin with a non-zero weight and how many follow.
    let spans: [(start: Int, count: Int)]

    public init(sampleRate: Int, nFFT: Int, nMels: Int, fmin: Double = 0, fmax: Double? = nil) {
        let fmax = fmax ?? Double(sampleRate) / 2
        let nBins = nFFT / 2 + 1
        let fftFrequencies = (0..<nBins).map { Double($0) * Double(sampleRate) / Double(nFFT) }
        let lowMel = Self.hzToMel(fmin), highMel = Self.hzToMel(fmax)
        // numpy.linspace(lowMel, highMel, nMels + 2), mapped back to Hz.
        let step = (highMel - lowMel) / Double(nMels + 1)
        let melFrequencies = (0..<(nMels + 2)).map { i in
            Self.melToHz(i == nMels + 1 ? highMel : Double(i) * step + lowMel)
        }
        var weights = [Float](repeating: 0, count: nMels * nBins)
        var spans: [(Int, Int)] = []
        for m in 0..<nMels {
            let lowerWidth = melFrequencies[m + 1] - melFrequencies[m]
            let upperWidth = melFrequencies[m + 2] - melFrequencies[m + 1]
            let norm = 2.0 / (melFrequencies[m + 2] - melFrequencies[m])
            var first = -1, last = -1
            for k in 0..<nBins {
                let lower = -(melFrequencies[m] - fftFrequencies[k]) / lowerWidth
                let upper = (melFrequencies[m + 2] - fftFrequencies[k]) / upperWidth
                let w = max(0, min(lower, upper)) * norm
                if w > 0 {
                    weights[m * nBins + k] = Float(w)
                    if first < 0 { first = k }
                    last = k
                }
            }
            spans.append(first < 0 ? (0, 0) : (first, last - first + 1))
        }
        self.nMels = nMels
        self.nBins = nBins
        self.weights = weights
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
