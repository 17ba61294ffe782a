import Engine

extension BatchNorm {
    /// Scales in [0.5, 1.5) and normal shifts, channel by channel: a test's norm that is not
    /// the identity map.
    public func randomizeAffine(_ random: inout SeededRandom) {
        for c in 0..<weight.value.count {
            weight.value.data[c] = 0.5 + random.nextUnitFloat()
            bias.value.data[c] = random.nextNormal()
        }
    }
}
