import Features

/// The network inputs of a set of clips (docs/contracts.md §2): every window of every clip but the
/// silent ones, with its label, normalised with the scalar mean and std of the training windows.
public struct WindowSet: Sendable {
    public struct Window: Sendable, Hashable {
        /// Index of the clip in `clips`.
        public let clip: Int
        /// First frame in the clip's log-mel.
        public let start: Int

        public init(clip: Int, start: Int) {
            self.clip = clip
            self.start = start
        }
    }

    public let clips: [StoredSpectrogram]
    public let labels: [Int]
    public let windows: [Window]
    /// How windows are cut (unnormalised; `copy` gives the statistics).
    public let cutter: WindowCutter
    public var nMels: Int { cutter.nMels }
    /// W, frames per window.
    public var width: Int { cutter.width }

    /// The windows of each clip that are not silent (all of a clip's when every one is); a clip
    /// shorter than W gets one window padded with its minimum.
    public init(clips: [StoredSpectrogram], labels: [Int], parameters: FeatureParameters, windowing: Windowing) {
        precondition(clips.count == labels.count, "one label per clip")
        self.clips = clips
        self.labels = labels
        let cutter = WindowCutter(parameters, windowing)
        self.cutter = cutter
        windows = clips.enumerated().flatMap { index, clip in
            cutter.starts(of: clip).map { Window(clip: index, start: $0) }
        }
    }

    /// The same for log-mels in memory.
    public init(clips: [Spectrogram], labels: [Int], parameters: FeatureParameters, windowing: Windowing) {
        self.init(clips: clips.map(StoredSpectrogram.init), labels: labels, parameters: parameters, windowing: windowing)
    }

    /// Scalar mean and standard deviation over every value of every window (overlapping frames
    /// count once per window they are in), accumulated in double precision.
    public func statistics() -> (mean: Float, std: Float) {
        var sum = 0.0, sumSquares = 0.0, count = 0.0
        var buffer = [Float](repeating: 0, count: nMels * width)
        for window in windows {
            copy(window, into: &buffer, mean: 0, std: 1)
            for v in buffer {
                sum += Double(v)
                sumSquares += Double(v) * Double(v)
            }
            count += Double(buffer.count)
        }
        guard count > 0 else { return (0, 1) }
        let mean = sum / count
        let variance = max(0, sumSquares / count - mean * mean)
        return (Float(mean), Float(max(variance.squareRoot(), 1e-6)))
    }

    /// Writes window `window`, normalised, as [nMels, W] row-major into `out` (a short clip's tail
    /// is its minimum, as §2 pads it).
    public func copy(_ window: Window, into out: inout [Float], mean: Float, std: Float) {
        let cutter = self.cutter.normalised(mean: mean, std: std)
        out.withUnsafeMutableBufferPointer { cutter.cut(clips[window.clip], from: window.start, into: $0.baseAddress!) }
    }
}
