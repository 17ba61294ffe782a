/// The log-mel parameters of the features contract (docs/contracts.md §1), librosa's defaults.
public struct FeatureParameters: Codable, Hashable, Sendable {
    public var sampleRate: Int = 22050
    public var nFFT: Int = 2048
    public var hopLength: Int = 512
    public var nMels: Int = 128
    public var fmin: Double = 0
    /// nil means sampleRate / 2.
    public var fmax: Double? = nil
    public var topDB: Float = 80

    public init(sampleRate: Int = 22050, nFFT: Int = 2048, hopLength: Int = 512, nMels: Int = 128,
                fmin: Double = 0, fmax: Double? = nil, topDB: Float = 80) {
        self.sampleRate = sampleRate
        self.nFFT = nFFT
        self.hopLength = hopLength
        self.nMels = nMels
        self.fmin = fmin
        self.fmax = fmax
        self.topDB = topDB
    }

    /// A one-line reason when the parameters cannot work, else nil.
    public var problem: String? {
        if sampleRate < 1000 || sampleRate > 384_000 { return "sample_rate \(sampleRate) is outside 1000…384000 Hz" }
        if nFFT < 16 || nFFT % 2 != 0 || nFFT > 1 << 18 { return "n_fft \(nFFT) must be an even number from 16 to 262144" }
        if hopLength < 1 || hopLength > 1 << 20 { return "hop_length \(hopLength) must be between 1 and 1048576" }
        if nMels < 1 || nMels > nFFT / 2 + 1 { return "n_mels \(nMels) must be between 1 and n_fft/2+1 = \(nFFT / 2 + 1)" }
        let top = fmax ?? Double(sampleRate) / 2
        if fmin < 0 || fmin >= top { return "fmin \(fmin) must be ≥ 0 and below fmax \(top)" }
        if top > Double(sampleRate) / 2 { return "fmax \(top) is above the Nyquist frequency \(sampleRate / 2)" }
        if !(topDB > 0) { return "top_db \(topDB) must be > 0" }
        return nil
    }
}
