/// The one window pipeline (docs/contracts.md §2) that training, evaluation and prediction
/// share: cuts windows of W frames every H frames out of a clip's log-mel, pads a clip shorter
/// than W at the end with its own minimum, leaves out silent windows, and normalises each value as
/// (x − mean) / std.
public struct WindowCutter: Sendable {
    public let nMels: Int
    /// W, frames per window, and H, frames between window starts.
    public let width: Int
    public let hop: Int
    /// The dynamic range below a clip's peak that its log-mel keeps (§1's top_db).
    public let topDB: Float
    public private(set) var mean: Float
    public private(set) var std: Float

    public init(_ parameters: FeatureParameters, _ windowing: Windowing, mean: Float = 0, std: Float = 1) {
        nMels = parameters.nMels
        width = windowing.width(parameters)
        hop = windowing.hop(parameters)
        topDB = parameters.topDB
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

    /// Log-mel level (dB) at or under which a window is silent: about -80 dBFS, where 16-bit dither
    /// and digital silence stay and a record's surface noise does not.
    public static let silenceDB: Float = -60

    /// The level at or under which a window of a clip whose loudest value is `peak` (dB) counts as
    /// silent: `silenceDB`, or the clip's floor (peak − top_db, where its quietest values are
    /// clipped to) when that is higher.
    public func silenceLevel(peak: Float) -> Float { max(peak - topDB, Self.silenceDB) }

    /// Whether nothing in the window at `start` rises above `level` (`silenceLevel`). The network
    /// sees such a window as a blank image and still names a genre for it ("ambient"), so a song
    /// with a long silent gap (a hidden track, a live album's pauses) would take that genre.
    public func isSilent(_ clip: some SpectrogramValues, from start: Int, level: Float) -> Bool {
        let available = max(0, min(width, clip.frames - start))
        return clip.withValues { source in
            for m in 0..<nMels {
                let row = m * clip.frames + start
                for t in 0..<available where source[row + t] > level { return false }
            }
            return true
        }
    }

    /// First frames of the windows of a clip that count: all but the silent ones, or every one
    /// when all are (training and evaluation keep each clip; prediction refuses such a file).
    public func starts(of clip: some SpectrogramValues) -> [Int] {
        let all = (0..<count(frames: clip.frames)).map(start)
        let level = silenceLevel(peak: clip.maximum)
        let sounding = all.filter { !isSilent(clip, from: $0, level: level) }
        return sounding.isEmpty ? all : sounding
    }

    /// Writes the window that starts at frame `start` of `clip` ([nMels, frames], dB) into `out`
    /// as [nMels, W] row-major, normalised; frames past the clip's end are its minimum.
    public func cut(_ clip: some SpectrogramValues, from start: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(clip.nMels == nMels, "a clip of \(clip.nMels) mel bands cut for \(nMels)")
        let available = max(0, min(width, clip.frames - start))
        let scale = 1 / std
        let pad = available < width ? (clip.minimum - mean) * scale : 0
        clip.withValues { source in
            for m in 0..<nMels {
                let row = m * clip.frames + start, target = out + m * width
                for t in 0..<available { target[t] = (source[row + t] - mean) * scale }
                for t in available..<width { target[t] = pad }
            }
        }
    }

    /// The windows of a whole clip that count (`starts(of:)`), each [nMels, W].
    public func windows(of clip: Spectrogram) -> [Spectrogram] {
        starts(of: clip).map { start in
            var values = [Float](repeating: 0, count: nMels * width)
            values.withUnsafeMutableBufferPointer { cut(clip, from: start, into: $0.baseAddress!) }
            return Spectrogram(nMels: nMels, frames: width, values: values)
        }
    }
}
