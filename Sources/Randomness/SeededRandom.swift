import Glibc

/// SplitMix64: a small, fast, seedable generator and our own float conversions, so a seed gives
/// the same weights, dropout masks, shuffles and demo music on every machine, thread order and
/// Swift version (the standard library's `random(in:using:)` promises none of that).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent stream for one item of a family, e.g. (seed, "rock", clip 7): the streams
    /// of neighbouring items share no structure because every part goes through the mixer.
    public init(seed: UInt64, stream: String, index: Int) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the stream name
        for byte in stream.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        state = SeededRandom.mix(seed ^ SeededRandom.mix(hash ^ SeededRandom.mix(UInt64(bitPattern: Int64(index)))))
    }

    /// SplitMix64's output function of `value` advanced by one step.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        defer { state &+= 0x9e37_79b9_7f4a_7c15 }
        return SeededRandom.mix(state)
    }

    /// A fresh generator for a sub-task, so adding draws to one part leaves the others unchanged.
    public mutating func split() -> SeededRandom {
        SeededRandom(seed: next())
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal (Box–Muller), for weight initialisation.
    public mutating func nextNormal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, .leastNonzeroMagnitude)
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}
