import Foundation

/// SplitMix64 with the draws the synthesiser needs. Our own generator and our own float
/// conversions, so a seed gives the same music on every machine, thread order and Swift version
/// (the standard library's `random(in:using:)` promises none of that).
public struct SeededRandom: Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// An independent stream for one item of a family, e.g. (seed, "rock", clip 7): the streams
    /// of neighbouring items share no structure because every part goes through the mixer.
    public init(seed: UInt64, stream: String, index: Int) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the stream name
        for byte in stream.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        state = SeededRandom.mix(seed ^ SeededRandom.mix(hash ^ SeededRandom.mix(UInt64(bitPattern: Int64(index)))))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return SeededRandom.mix(state &- 0x9e37_79b9_7f4a_7c15)
    }

    /// A fresh generator for a sub-task, so adding draws to one part leaves the others unchanged.
    public mutating func split() -> SeededRandom {
        SeededRandom(seed: next())
    }

    /// Uniform in [0, 1), 53 bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [-1, 1), for noise.
    @inline(__always)
    public mutating func bipolar() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 32)) * 0x1.0p-31
    }

    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// Log-uniform, for frequencies and times where ratios matter more than differences.
    public mutating func logUniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound * pow(range.upperBound / range.lowerBound, unit())
    }

    public mutating func integer(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    public mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    public mutating func pick<Element>(_ items: [Element]) -> Element {
        precondition(!items.isEmpty, "nothing to pick from")
        return items[Int(next() % UInt64(items.count))]
    }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let radius = (-2 * log(1 - unit())).squareRoot()
        return radius * cos(2 * Double.pi * unit())
    }
}
