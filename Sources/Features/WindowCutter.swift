/// The one window pipeline (docs/contracts.md §2) that training, evaluation and prediction
/// share: cuts windows of W frames every H frames out of a clip's log-mel, pads a clip shorter
/// than W at the end with its own minimum, and normalises each value as (x − mean) / std.
public struct WindowCutter: Sendable {
    public let nMels: Int
    /// W, frames per window, and H, frames between window starts.
    public let width: Int
    public let hop: Int
    public private(set) var mean: Float
    public private(set) var std: Float

    public init(_ parameters: FeatureParameters, _ windowing: Windowing, mean: Float = 0, std: Float = 1) {
        nMels = parameters.nMels
        width = windowing.width(parameters)
        hop = windowing.hop(parameters)
        (self.mean, self.std) = (mean, std)
    }

    /// The same windows normalised with other statistics.
    public func normalised(mean: Float, std: Float) -> WindowCutter {
        var copy = self
        (copy.mean, copy.std) = (mean, std)
        return copy
    }

    /// Windows a clip of `frames` frames gives: a trailing partial window is dropped, a clip
    /// shorter than W gives one.
    public func count(frames: Int) -> Int { frames < width ? 1 : 1 + (frames - width) / hop }

    /// First frame of window `index`.
    public func start(_ index: Int) -> Int { index * hop }

    /// Writes the window that starts at frame `start` of `clip` ([nMels, frames], dB) into `out`
    /// as [nMels, W] row-major, normalised; frames past the clip's end are its minimum.
    public func cut(_ clip: Spectrogram, from start: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(clip.nMels == nMels, "a clip of \(clip.nMels) mel bands cut for \(nMels)")
        let available = max(0, min(width, clip.frames - start))
        let scale = 1 / std
        let pad = available < width ? (clip.minimum - mean) * scale : 0
        clip.values.withUnsafeBufferPointer { source in
            for m in 0..<nMels {
                let row = m * clip.frames + start, target = out + m * width
                for t in 0..<available { target[t] = (source[row + t] - mean) * scale }
                for t in available..<width { target[t] = pad }
            }
        }
    }

    /// Every window of a whole clip, each [nMels, W].
    public func windows(of clip: Spectrogram) -> [Spectrogram] {
        (0..<count(frames: clip.frames)).map { index in
            var values = [Float](repeating: 0, count: nMels * width)
            values.withUnsafeMutableBufferPointer { cut(clip, from: start(index), into: $0.baseAddress!) }
            return Spectrogram(nMels: nMels, frames: width, values: values)
        }
    }
}
