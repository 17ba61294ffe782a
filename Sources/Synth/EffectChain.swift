import Glibc

/// Root-mean-square level of a buffer.
func rootMeanSquare(_ samples: [Float]) -> Float {
    guard !samples.isEmpty else { return 0 }
    var sum: Double = 0
    for value in samples { sum += Double(value * value) }
    return Float((sum / Double(samples.count)).squareRoot())
}

extension Effect {
    /// Draws this effect's settings and applies it in place. Returns the share of the track
    /// to send to the room reverb (0 unless this is `.reverb`).
    func apply(to samples: inout [Float], session: Session, kicks: [Int], random: inout SeededRandom) -> Double {
        let rate = session.sampleRate
        switch self {
        case .drive(let amount):
            Effects.drive(&samples, amount: random.uniform(amount))
        case .lowpass(let cutoff):
            samples.filter(.lowpass, cutoff: random.logUniform(cutoff), sampleRate: rate)
        case .highpass(let cutoff):
            samples.filter(.highpass, cutoff: random.logUniform(cutoff), sampleRate: rate)
        case .echo(let beats, let feedback, let mix):
            Effects.echo(&samples, delay: beats * session.groove.beatSeconds, feedback: random.uniform(feedback),
                         mix: random.uniform(mix), sampleRate: rate)
        case .sweep(let bars, let centre):
            Effects.sweep(&samples, centre: random.logUniform(centre), octaves: random.uniform(0.8...1.6),
                          period: bars * session.groove.barSeconds, phase: random.unit(), sampleRate: rate)
        case .pump(let depth):
            Effects.pump(&samples, triggers: kicks, depth: random.uniform(depth), recovery: random.uniform(0.08...0.15),
                         sampleRate: rate)
        case .reverb(let send):
            return random.uniform(send)
        case .crackle(let clicksPerSecond):
            addVinyl(to: &samples, clicksPerSecond: random.uniform(clicksPerSecond), sampleRate: rate, random: &random)
        }
        return 0
    }

    /// Dust clicks (tiny decaying impulses of either sign) and a hiss under the music.
    private func addVinyl(to samples: inout [Float], clicksPerSecond: Double, sampleRate: Double,
                          random: inout SeededRandom) {
        guard samples.count > 16 else { return }
        let level = rootMeanSquare(samples)
        let clicks = Int(clicksPerSecond * Double(samples.count) / sampleRate)
        for _ in 0..<clicks {
            let position = random.integer(0...(samples.count - 9))
            let amplitude = level * Float(random.uniform(1...5)) * (random.chance(0.5) ? 1 : -1)
            for k in 0..<8 { samples[position + k] += amplitude * Float(exp(-Double(k) / 2)) }
        }
        let hiss = level * Float(random.uniform(0.005...0.02))
        for i in samples.indices { samples[i] += hiss * random.bipolar() }
    }
}
