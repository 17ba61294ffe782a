/// The window settings (docs/contracts.md §2): windows of W = floor(segmentSeconds · sr / hop) frames every
/// H = floor(segmentHopSeconds · sr / hop) frames. `WindowCutter` cuts them.
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
        // Checked first: width and hop convert to Int, which an absurd value would overflow.
        if !(segmentSeconds > 0 && segmentSeconds <= 3600) { return "segment_seconds \(segmentSeconds) is outside (0, 3600]" }
        if !(segmentHopSeconds > 0 && segmentHopSeconds <= 3600) { return "segment_hop_seconds \(segmentHopSeconds) is outside (0, 3600]" }
        if width(parameters) < 1 { return "segment_seconds \(segmentSeconds) is shorter than one frame" }
        if hop(parameters) < 1 { return "segment_hop_seconds \(segmentHopSeconds) is shorter than one frame" }
        return nil
    }
}
