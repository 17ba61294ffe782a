import Glibc
@_exported import Randomness

/// The draws the synthesiser needs.
extension SeededRandom {
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
