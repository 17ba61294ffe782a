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

    public var minimum: Float { extremes.minimum }
    public var maximum: Float { extremes.maximum }

    /// The smallest and largest value (0 and 0 when empty).
    public var extremes: (minimum: Float, maximum: Float) { values.withUnsafeBufferPointer { Self.extremes(of: $0) } }

    /// The smallest and largest of `v` (0 and 0 when empty), eight lanes at a time.
    public static func extremes(of v: UnsafeBufferPointer<Float>) -> (minimum: Float, maximum: Float) {
        guard let first = v.first else { return (0, 0) }
        var low = SIMD8(repeating: first), high = low
        var i = 0
        while i + 8 <= v.count {
            let x = UnsafeRawPointer(v.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
            low = low.replacing(with: x, where: x .< low)
            high = high.replacing(with: x, where: x .> high)
            i += 8
        }
        var minimum = low.min(), maximum = high.max()
        for x in v[i...] {
            minimum = min(minimum, x)
            maximum = max(maximum, x)
        }
        return (minimum, maximum)
    }
}

extension Spectrogram {
    /// Frames `range` of this spectrogram.
    public func frames(_ range: Range<Int>) -> Spectrogram {
        if range == 0..<frames { return self }
        var values = [Float](repeating: 0, count: nMels * range.count)
        for m in 0..<nMels {
            for t in 0..<range.count { values[m * range.count + t] = self.values[m * frames + range.lowerBound + t] }
        }
        return Spectrogram(nMels: nMels, frames: range.count, values: values)
    }

    /// Consecutive spectrograms joined along time.
    public static func concatenatingFrames(_ parts: [Spectrogram], nMels: Int) -> Spectrogram {
        if parts.count == 1 { return parts[0] }
        let total = parts.reduce(0) { $0 + $1.frames }
        var values = [Float](repeating: 0, count: nMels * total)
        var offset = 0
        for part in parts {
            for m in 0..<nMels {
                for t in 0..<part.frames { values[m * total + offset + t] = part.values[m * part.frames + t] }
            }
            offset += part.frames
        }
        return Spectrogram(nMels: nMels, frames: total, values: values)
    }
}
