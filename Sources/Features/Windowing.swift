/// How a clip's log-mel is cut into network inputs (DESIGN.md §2.2): windows of
/// W = floor(segmentSeconds · sr / hop) frames every H = floor(segmentHopSeconds · sr / hop)
/// frames; a trailing partial window is dropped; a clip shorter than W becomes one window,
/// padded at the end with its own minimum dB value.
public struct Windowing: Codable, Hashable, Sendable {
    public var segmentSeconds: Double
    public var segmentHopSeconds: Double

    public init(segmentSeconds: Double = 3, segmentHopSeconds: Double = 1.5) {
        self.segmentSeconds = segmentSeconds
        self.segmentHopSeconds = segmentHopSeconds
    }

    /// W, the window length in frames.
    public func width(_ parameters: FeatureParameters) -> Int {
        Int((segmentSeconds * Double(parameters.sampleRate) / Double(parameters.hopLength)).rounded(.down))
    }

    /// H, the frames between window starts.
    public func hop(_ parameters: FeatureParameters) -> Int {
        Int((segmentHopSeconds * Double(parameters.sampleRate) / Double(parameters.hopLength)).rounded(.down))
    }

    /// A one-line reason when the windowing cannot work with these parameters, else nil.
    public func problem(_ parameters: FeatureParameters) -> String? {
        if width(parameters) < 1 { return "segment_seconds \(segmentSeconds) is shorter than one frame" }
        if hop(parameters) < 1 { return "segment_hop_seconds \(segmentHopSeconds) is shorter than one frame" }
        return nil
    }

    /// Number of windows a clip of `frames` frames gives.
    public func count(frames: Int, _ parameters: FeatureParameters) -> Int {
        let w = width(parameters), h = hop(parameters)
        return frames < w ? 1 : 1 + (frames - w) / h
    }

    /// First frame of window `index`.
    public func start(_ index: Int, _ parameters: FeatureParameters) -> Int { index * hop(parameters) }

    /// The windows of a whole-clip log-mel, each [nMels, W].
    public func windows(of spectrogram: Spectrogram, _ parameters: FeatureParameters) -> [Spectrogram] {
        let w = width(parameters)
        let padValue = spectrogram.minimum
        return (0..<count(frames: spectrogram.frames, parameters)).map { index in
            let start = self.start(index, parameters)
            var values = [Float](repeating: padValue, count: spectrogram.nMels * w)
            let available = min(w, spectrogram.frames - start)
            spectrogram.values.withUnsafeBufferPointer { src in
                values.withUnsafeMutableBufferPointer { dst in
                    for m in 0..<spectrogram.nMels {
                        for t in 0..<available { dst[m * w + t] = src[m * spectrogram.frames + start + t] }
                    }
                }
            }
            return Spectrogram(nMels: spectrogram.nMels, frames: w, values: values)
        }
    }
}
