/// A log-mel (or mel power) spectrogram: row-major [nMels, frames], mel bins as rows,
/// low frequencies first; time runs along each row.
public struct Spectrogram: Sendable, Equatable {
    public let nMels: Int
    public let frames: Int
    public var values: [Float]

    public init(nMels: Int, frames: Int, values: [Float]) {
        precondition(values.count == nMels * frames, "values do not match [\(nMels), \(frames)]")
        self.nMels = nMels
        self.frames = frames
        self.values = values
    }

    public var minimum: Float { values.min() ?? 0 }
    public var maximum: Float { values.max() ?? 0 }
}
