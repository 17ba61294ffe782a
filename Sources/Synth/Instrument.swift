import Glibc

/// A note to play: when (seconds), how long the key is held, which MIDI pitch, how hard.
struct Note {
    var start: Double
    var duration: Double
    var pitch: Double
    var velocity: Double
    /// Semitones the note starts away from its pitch and bends in from (a guitarist's bend).
    var slide = 0.0

    var frequency: Double { 440 * pow(2, (pitch - 69) / 12) }
}

/// Karplus–Strong: a noise burst circulating in a delay line one period long, softened a little
/// on every pass, which is what a plucked string does. An allpass tunes the fractional period.
struct PluckedString {
    private var line: [Float]
    private var position = 0
    private var previous: Float = 0
    private var allpassInput: Float = 0
    private var allpassOutput: Float = 0
    private let allpass: Float
    private let loopGain: Float

    init(frequency: Double, ringTime: Double, brightness: Double, sampleRate: Double, random: inout SeededRandom) {
        let period = sampleRate / frequency - 0.5  // the averaging filter adds half a sample
        var length = Int(period)
        var fraction = period - Double(length)
        if fraction < 0.1, length > 2 {
            length -= 1
            fraction += 1
        }
        allpass = Float((1 - fraction) / (1 + fraction))
        loopGain = Float(pow(10, -3 / (frequency * ringTime)))
        var pick = OnePole(cutoff: min(frequency * brightness, 0.45 * sampleRate), sampleRate: sampleRate)
        line = (0..<max(2, length)).map { _ in pick.lowpass(random.bipolar()) }
        let mean = line.reduce(0, +) / Float(line.count)
        line = line.map { 2 * ($0 - mean) }
    }

    @inline(__always)
    mutating func next() -> Float {
        let current = line[position]
        let averaged = 0.5 * (current + previous)
        previous = current
        let tuned = allpass * averaged + allpassInput - allpass * allpassOutput
        allpassInput = averaged
        allpassOutput = tuned
        line[position] = loopGain * tuned
        position += 1
        if position == line.count { position = 0 }
        return current
    }
}

/// A timbre with every range drawn: one clip's instrument, which plays notes into a buffer.
struct Instrument {
    private let source: Timbre.Source
    private let unisonCents: [Double]
    private let envelope: ADSR
    private let brightness: Double
    private let filterEnvelope: Double
    private let resonance: Double
    private let vibratoCents: Double
    private let tremolo: Double
    private let tremoloRate: Double

    /// Samples between updates of pitch modulation and filter cutoff.
    private static let controlBlock = 32

    init(_ timbre: Timbre, random: inout SeededRandom) {
        source = timbre.source
        let spread = random.uniform(timbre.detune)
        unisonCents = (0..<timbre.unison).map { timbre.unison == 1 ? 0 : spread * (Double($0) / Double(timbre.unison - 1) - 0.5) }
        envelope = ADSR(attack: random.uniform(timbre.attack), decay: random.uniform(timbre.decay),
                        sustain: random.uniform(timbre.sustain), release: random.uniform(timbre.release))
        brightness = random.logUniform(timbre.brightness)
        filterEnvelope = random.uniform(timbre.filterEnvelope)
        resonance = random.uniform(timbre.resonance)
        vibratoCents = random.uniform(timbre.vibrato)
        tremolo = random.uniform(timbre.tremolo)
        tremoloRate = random.uniform(4...6.5)
    }

    func render(_ note: Note, into output: UnsafeMutableBufferPointer<Float>, sampleRate: Double,
                random: inout SeededRandom) {
        let start = Int(note.start * sampleRate)
        let gate = max(1, Int(note.duration * sampleRate))
        let length = min(gate + envelope.tailSamples(sampleRate: sampleRate), output.count - start)
        guard start >= 0, length > 0 else { return }
        let frequency = note.frequency
        var amplitude = Envelope(envelope, sampleRate: sampleRate)
        var filter = StateVariableFilter(cutoff: frequency * brightness, q: resonance, sampleRate: sampleRate)
        var voices = VoiceStack(source: source, frequency: frequency, unisonCents: unisonCents, ringTime: envelope.decay,
                                brightness: brightness, sampleRate: sampleRate, random: &random)
        let velocity = Float(note.velocity)
        let vibratoPhase = random.unit()
        for blockStart in stride(from: 0, to: length, by: Instrument.controlBlock) {
            let time = Double(blockStart) / sampleRate
            let bend = note.slide * exp(-time / 0.06) + vibratoCents / 100 * sin(2 * Double.pi * (5.5 * time + vibratoPhase))
            voices.prepare(pitchFactor: pow(2, bend / 12), time: time)
            let opening = filterEnvelope * exp(-time / envelope.decay)
            filter.tune(cutoff: frequency * brightness * pow(2, opening) * (0.6 + 0.4 * note.velocity), q: resonance,
                        sampleRate: sampleRate)
            let swell = Float(1 - tremolo * (0.5 + 0.5 * sin(2 * Double.pi * tremoloRate * time)))
            for i in blockStart..<min(blockStart + Instrument.controlBlock, length) {
                if i == gate { amplitude.release() }
                let raw = voices.next()
                output[start + i] += filter.process(raw).lowpass * amplitude.next() * velocity * swell
            }
        }
    }
}

/// The sound sources of one note: detuned oscillator copies, or one string per unison voice.
private struct VoiceStack {
    private var oscillators: [Oscillator] = []
    private var baseIncrements: [Float] = []
    private var increments: [Float] = []
    private var levels: [Float] = []
    private var partialDecays: [Double?] = []
    private var gains: [Float] = []
    private var strings: [PluckedString] = []
    private var stringGain: Float = 1

    init(source: Timbre.Source, frequency: Double, unisonCents: [Double], ringTime: Double, brightness: Double,
         sampleRate: Double, random: inout SeededRandom) {
        switch source {
        case .string:
            strings = unisonCents.map {
                PluckedString(frequency: frequency * pow(2, $0 / 1200), ringTime: ringTime, brightness: brightness,
                              sampleRate: sampleRate, random: &random)
            }
            stringGain = 1 / Float(strings.count)
        case .oscillators(let partials):
            let total = partials.reduce(0) { $0 + $1.level } * Double(unisonCents.count)
            for partial in partials where frequency * partial.ratio < 0.45 * sampleRate {
                for cents in unisonCents {
                    oscillators.append(Oscillator(partial.waveform, phase: Float(random.unit())))
                    baseIncrements.append(Float(frequency * partial.ratio * pow(2, cents / 1200) / sampleRate))
                    levels.append(Float(partial.level / total))
                    partialDecays.append(partial.decay)
                }
            }
            increments = baseIncrements
            gains = levels
        }
    }

    /// Sets pitch and per-partial fades for the next control block.
    mutating func prepare(pitchFactor: Double, time: Double) {
        let factor = Float(pitchFactor)
        for k in oscillators.indices {
            increments[k] = baseIncrements[k] * factor
            if let decay = partialDecays[k] { gains[k] = levels[k] * Float(exp(-time / decay)) }
        }
    }

    @inline(__always)
    mutating func next() -> Float {
        var sum: Float = 0
        for k in strings.indices { sum += stringGain * strings[k].next() }
        for k in oscillators.indices { sum += gains[k] * oscillators[k].next(increment: increments[k]) }
        return sum
    }
}
