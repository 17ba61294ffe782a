import Glibc

/// The drum voices a pattern can play.
public enum DrumVoice: Sendable, CaseIterable {
    case kick, snare, clap, rim, closedHat, openHat, pedalHat, ride, crash
}

/// Each sound is a recipe of parameter ranges: `render` draws one concrete drum from them,
/// so two clips of the same genre never use quite the same kit. Rendered once per clip and
/// then placed at every hit (a sampler, not a synthesiser per hit), which keeps rendering fast.
public struct KickSound: Sendable {
    /// Pitch at the attack and at rest, Hz.
    public var startPitch: ClosedRange<Double>
    public var endPitch: ClosedRange<Double>
    /// Time constants of the pitch drop and of the body's decay, seconds.
    public var pitchDrop: ClosedRange<Double>
    public var decay: ClosedRange<Double>
    /// Beater click and saturation, 0…1.
    public var click: ClosedRange<Double>
    public var drive: ClosedRange<Double>

    func render(_ random: inout SeededRandom, sampleRate: Double) -> [Float] {
        let start = random.uniform(startPitch), end = random.uniform(endPitch)
        let drop = random.uniform(pitchDrop), decay = random.uniform(self.decay)
        let click = Float(random.uniform(self.click)), gain = Float(1 + 6 * random.uniform(drive))
        var samples = [Float](repeating: 0, count: Int(5 * decay * sampleRate))
        var phase = 0.0
        for i in samples.indices {
            let time = Double(i) / sampleRate
            phase += (end + (start - end) * exp(-time / drop)) / sampleRate
            let body = Float(sin(2 * Double.pi * phase) * exp(-time / decay))
            let beater = click * random.bipolar() * Float(exp(-time / 0.002))
            samples[i] = softClip(gain * (body + beater)) / softClip(gain)
        }
        return samples
    }
}

/// A snare: a tuned shell (two modes) and the rattle of the wires (filtered noise).
public struct SnareSound: Sendable {
    public var pitch: ClosedRange<Double>
    public var shellDecay: ClosedRange<Double>
    public var wireDecay: ClosedRange<Double>
    /// Centre of the wires' band, Hz; lower is fatter, higher is crisper.
    public var wireTone: ClosedRange<Double>
    /// Share of the shell in the mix, 0…1 (0 is a brush).
    public var shell: ClosedRange<Double>
    /// Seconds for the sound to swell in; brushes sweep rather than strike.
    public var attack: ClosedRange<Double>

    func render(_ random: inout SeededRandom, sampleRate: Double) -> [Float] {
        let pitch = random.uniform(self.pitch), shellDecay = random.uniform(self.shellDecay)
        let wireDecay = random.uniform(self.wireDecay), shell = Float(random.uniform(self.shell))
        let attack = random.uniform(self.attack)
        var wires = StateVariableFilter(cutoff: random.uniform(wireTone), q: 0.9, sampleRate: sampleRate)
        var samples = [Float](repeating: 0, count: Int((5 * max(shellDecay, wireDecay) + attack) * sampleRate))
        for i in samples.indices {
            let time = Double(i) / sampleRate
            let swell = Float(min(1, time / max(attack, 1e-4)))
            let body = sin(2 * Double.pi * pitch * time) + 0.6 * sin(2 * Double.pi * pitch * 1.7 * time)
            let tone = Float(body * exp(-time / shellDecay))
            let rattle = wires.process(random.bipolar()).bandpass * Float(exp(-time / wireDecay)) * 2.5
            samples[i] = swell * (shell * tone + (1 - shell) * rattle)
        }
        return samples
    }
}

/// A hand clap: three quick bursts of band-passed noise and a short room tail.
public struct ClapSound: Sendable {
    public var tone: ClosedRange<Double>
    public var tail: ClosedRange<Double>

    func render(_ random: inout SeededRandom, sampleRate: Double) -> [Float] {
        let tail = random.uniform(self.tail), spacing = random.uniform(0.008...0.014)
        var band = StateVariableFilter(cutoff: random.uniform(tone), q: 1.6, sampleRate: sampleRate)
        var samples = [Float](repeating: 0, count: Int((3 * spacing + 5 * tail) * sampleRate))
        for i in samples.indices {
            let time = Double(i) / sampleRate
            let burst = Int(time / spacing) < 3 ? exp(-time.truncatingRemainder(dividingBy: spacing) / 0.003) : 0
            let envelope = Float(max(burst, 0.6 * exp(-max(0, time - 2 * spacing) / tail)))
            samples[i] = band.process(random.bipolar()).bandpass * envelope * 3
        }
        return samples
    }
}

/// A rim-shot or cross-stick: a short wooden click.
public struct RimSound: Sendable {
    public var pitch: ClosedRange<Double>
    public var decay: ClosedRange<Double>

    func render(_ random: inout SeededRandom, sampleRate: Double) -> [Float] {
        let pitch = random.uniform(self.pitch), decay = random.uniform(self.decay)
        var samples = [Float](repeating: 0, count: Int(6 * decay * sampleRate))
        for i in samples.indices {
            let time = Double(i) / sampleRate
            let knock = sin(2 * Double.pi * pitch * time) + 0.5 * sin(2 * Double.pi * pitch * 0.43 * time)
            samples[i] = Float(knock * exp(-time / decay)) + 0.3 * random.bipolar() * Float(exp(-time / 0.003))
        }
        return samples
    }
}

/// Hats, rides and crashes: the 808's six detuned square waves (a metallic, inharmonic
/// spectrum) plus noise, high-passed. `pitch` scales the six oscillators.
public struct CymbalSound: Sendable {
    public var pitch: ClosedRange<Double>
    public var decay: ClosedRange<Double>
    /// High-pass corner, Hz: higher is thinner and brighter.
    public var brightness: ClosedRange<Double>
    /// Share of noise against the metallic tones, 0…1.
    public var noise: ClosedRange<Double>
    /// Level of a bell (a ride's ping), 0 for none.
    public var bell: ClosedRange<Double>

    static let metallicRatios: [Double] = [1, 1.4826, 1.8003, 2.5461, 2.6303, 3.8968]

    func render(_ random: inout SeededRandom, sampleRate: Double) -> [Float] {
        let pitch = random.uniform(self.pitch), decay = random.uniform(self.decay)
        let noise = Float(random.uniform(self.noise)), bell = random.uniform(self.bell)
        let bellPitch = 4.1 * pitch
        var oscillators = CymbalSound.metallicRatios.map { _ in Oscillator(.square, phase: Float(random.unit())) }
        let increments = CymbalSound.metallicRatios.map { Float(pitch * $0 / sampleRate) }
        var highpass = StateVariableFilter(cutoff: random.uniform(brightness), q: 0.8, sampleRate: sampleRate)
        var samples = [Float](repeating: 0, count: Int(5 * decay * sampleRate))
        for i in samples.indices {
            let time = Double(i) / sampleRate
            var metal: Float = 0
            for k in oscillators.indices { metal += oscillators[k].next(increment: increments[k]) }
            let raw = (1 - noise) * metal / 6 + noise * random.bipolar()
            let ping = bell * sin(2 * Double.pi * bellPitch * time) * exp(-time / (0.6 * decay))
            samples[i] = (highpass.process(raw).highpass + Float(ping)) * Float(exp(-time / decay))
        }
        return samples
    }
}

/// A drum kit: one recipe per voice.
public struct DrumKit: Sendable {
    public var kick: KickSound
    public var snare: SnareSound
    public var clap = ClapSound(tone: 1000...1500, tail: 0.08...0.15)
    public var rim = RimSound(pitch: 1500...1900, decay: 0.012...0.02)
    public var closedHat: CymbalSound
    public var openHat: CymbalSound
    public var ride = CymbalSound(pitch: 300...420, decay: 0.9...1.6, brightness: 2500...4000, noise: 0.2...0.4, bell: 0.1...0.3)
    public var crash = CymbalSound(pitch: 350...500, decay: 1.0...1.8, brightness: 3000...5000, noise: 0.6...0.8, bell: 0...0)

    /// Renders each of `voices` once for a clip.
    func render(_ voices: [DrumVoice], random: inout SeededRandom, sampleRate: Double) -> [DrumVoice: [Float]] {
        var sounds: [DrumVoice: [Float]] = [:]
        for voice in DrumVoice.allCases where voices.contains(voice) {
            var voiceRandom = random.split()
            sounds[voice] = switch voice {
            case .kick: kick.render(&voiceRandom, sampleRate: sampleRate)
            case .snare: snare.render(&voiceRandom, sampleRate: sampleRate)
            case .clap: clap.render(&voiceRandom, sampleRate: sampleRate)
            case .rim: rim.render(&voiceRandom, sampleRate: sampleRate)
            case .closedHat: closedHat.render(&voiceRandom, sampleRate: sampleRate)
            case .openHat: openHat.render(&voiceRandom, sampleRate: sampleRate)
            case .pedalHat: closedHat.render(&voiceRandom, sampleRate: sampleRate).map { 0.6 * $0 }
            case .ride: ride.render(&voiceRandom, sampleRate: sampleRate)
            case .crash: crash.render(&voiceRandom, sampleRate: sampleRate)
            }
        }
        return sounds
    }
}
