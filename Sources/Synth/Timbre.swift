/// One oscillator of a voice: its shape, its frequency as a multiple of the note's, its level,
/// and, for bell- and hammer-like partials, a time constant after which it has died away.
public struct Partial: Sendable {
    public var waveform: Waveform
    public var ratio: Double
    public var level: Double
    public var decay: Double?

    public init(_ waveform: Waveform, ratio: Double = 1, level: Double = 1, decay: Double? = nil) {
        self.waveform = waveform
        self.ratio = ratio
        self.level = level
        self.decay = decay
    }
}

/// How an instrument sounds, as ranges a clip draws from. Built from an oscillator stack
/// (subtractive synthesis) or a plucked string (Karplus–Strong), then a key-tracked lowpass
/// whose cutoff opens with the attack.
public struct Timbre: Sendable {
    public enum Source: Sendable {
        case oscillators([Partial])
        /// A plucked string; the envelope's decay is how long it rings.
        case string
    }

    public var source: Source
    /// Detuned copies of every oscillator and their spread in cents: the width of a pad or supersaw.
    public var unison = 1
    public var detune: ClosedRange<Double> = 0...0
    public var attack: ClosedRange<Double> = 0.002...0.005
    public var decay: ClosedRange<Double> = 0.2...0.4
    public var sustain: ClosedRange<Double> = 0.6...0.8
    public var release: ClosedRange<Double> = 0.05...0.1
    /// Lowpass cutoff as a multiple of the note's frequency.
    public var brightness: ClosedRange<Double> = 4...8
    /// Extra cutoff at the attack, in octaves, fading with the decay.
    public var filterEnvelope: ClosedRange<Double> = 0...0
    public var resonance: ClosedRange<Double> = 0.7...0.9
    /// Vibrato depth in cents (at about 5 Hz) and tremolo depth as a fraction of the level.
    public var vibrato: ClosedRange<Double> = 0...0
    public var tremolo: ClosedRange<Double> = 0...0

    public init(_ source: Source) {
        self.source = source
    }

    /// A copy with some fields changed, so presets read as "like X, but …".
    func with(_ change: (inout Timbre) -> Void) -> Timbre {
        var copy = self
        change(&copy)
        return copy
    }
}

/// The instruments the genres play: each a short recipe.
extension Timbre {
    /// Electric bass, fingered or picked: a string through a warm lowpass.
    public static let electricBass = Timbre(.string).with {
        $0.decay = 1.5...3; $0.sustain = 1...1; $0.release = 0.04...0.08; $0.brightness = 3...7
    }
    /// Upright bass: a short, woody string.
    public static let uprightBass = Timbre(.string).with {
        $0.decay = 0.6...1.2; $0.sustain = 1...1; $0.release = 0.05...0.1; $0.brightness = 2...4
    }
    /// A synth bass: saw and square through a plucky filter.
    public static let synthBass = Timbre(.oscillators([Partial(.saw), Partial(.square, ratio: 0.5, level: 0.5)])).with {
        $0.decay = 0.15...0.3; $0.sustain = 0.5...0.8; $0.brightness = 2...5; $0.filterEnvelope = 1...3
        $0.resonance = 1...3
    }
    /// The sub bass of hip-hop and dub: nearly a pure sine.
    public static let subBass = Timbre(.oscillators([Partial(.sine), Partial(.triangle, level: 0.2)])).with {
        $0.attack = 0.005...0.015; $0.decay = 0.5...1; $0.sustain = 0.7...0.9; $0.release = 0.08...0.15
        $0.brightness = 3...6
    }
    /// Electric guitar for distortion: two slightly detuned strings.
    public static let electricGuitar = Timbre(.string).with {
        $0.unison = 2; $0.detune = 4...12; $0.decay = 1.5...3; $0.sustain = 1...1; $0.release = 0.03...0.06
        $0.brightness = 6...14
    }
    /// A clean guitar for muted funk scratches and reggae skanks.
    public static let cleanGuitar = Timbre(.string).with {
        $0.decay = 0.3...0.8; $0.sustain = 1...1; $0.release = 0.02...0.04; $0.brightness = 8...16
    }
    /// A plucked harp or nylon guitar for arpeggios.
    public static let harp = Timbre(.string).with {
        $0.decay = 1.5...3; $0.sustain = 1...1; $0.release = 0.4...0.8; $0.brightness = 5...10
    }
    /// An electric piano: a sine with a bright tine that dies fast, and a gentle tremolo.
    public static let electricPiano = Timbre(.oscillators([
        Partial(.sine), Partial(.sine, ratio: 2, level: 0.25, decay: 0.4), Partial(.sine, ratio: 7.1, level: 0.15, decay: 0.05),
    ])).with {
        $0.decay = 0.8...1.6; $0.sustain = 0.3...0.5; $0.release = 0.1...0.2; $0.brightness = 8...16
        $0.tremolo = 0.1...0.3
    }
    /// An acoustic piano sketch: a hammer-bright attack over a decaying triangle–sine body.
    public static let piano = Timbre(.oscillators([
        Partial(.triangle), Partial(.sine, ratio: 2, level: 0.3, decay: 0.6), Partial(.saw, ratio: 1, level: 0.3, decay: 0.08),
    ])).with {
        $0.decay = 1...2; $0.sustain = 0.1...0.25; $0.release = 0.15...0.3; $0.brightness = 6...12
        $0.filterEnvelope = 1...2
    }
    /// A drawbar organ: sine harmonics, a slow swirl.
    public static let organ = Timbre(.oscillators([
        Partial(.sine, ratio: 0.5, level: 0.6), Partial(.sine), Partial(.sine, ratio: 2, level: 0.5),
        Partial(.sine, ratio: 3, level: 0.3),
    ])).with {
        $0.attack = 0.005...0.01; $0.decay = 0.1...0.2; $0.sustain = 0.9...1; $0.release = 0.03...0.06
        $0.brightness = 10...20; $0.tremolo = 0.1...0.25
    }
    /// A stab for house chords: detuned saws with a snapping filter.
    public static let stab = Timbre(.oscillators([Partial(.saw), Partial(.square, level: 0.5)])).with {
        $0.unison = 2; $0.detune = 8...20; $0.decay = 0.15...0.3; $0.sustain = 0.2...0.4; $0.release = 0.05...0.1
        $0.brightness = 2...4; $0.filterEnvelope = 1.5...3; $0.resonance = 1...2.5
    }
    /// Strings or a warm pad: detuned saws, slow attack, dark.
    public static let stringPad = Timbre(.oscillators([Partial(.saw), Partial(.saw, ratio: 2, level: 0.3)])).with {
        $0.unison = 3; $0.detune = 10...25; $0.attack = 0.15...0.5; $0.decay = 0.5...1; $0.sustain = 0.8...1
        $0.release = 0.4...0.9; $0.brightness = 2...5; $0.vibrato = 5...12
    }
    /// A glassy ambient pad: triangle and sine stacks, very slow.
    public static let glassPad = Timbre(.oscillators([Partial(.triangle), Partial(.sine, ratio: 2, level: 0.4),
                                                      Partial(.sine, ratio: 3, level: 0.15)])).with {
        $0.unison = 2; $0.detune = 5...15; $0.attack = 0.6...1.5; $0.decay = 1...2; $0.sustain = 0.8...1
        $0.release = 1...2; $0.brightness = 3...8; $0.vibrato = 3...8
    }
    /// A square-wave lead, the synth melody of disco and house.
    public static let squareLead = Timbre(.oscillators([Partial(.pulse(0.3)), Partial(.square, ratio: 2, level: 0.3)])).with {
        $0.decay = 0.2...0.4; $0.sustain = 0.6...0.8; $0.release = 0.05...0.1; $0.brightness = 3...6
        $0.filterEnvelope = 0.5...1.5; $0.vibrato = 5...15
    }
    /// A saxophone sketch: a saw with a breathy swell and vibrato, filtered.
    public static let saxLead = Timbre(.oscillators([Partial(.saw), Partial(.pulse(0.4), level: 0.4)])).with {
        $0.attack = 0.02...0.05; $0.decay = 0.3...0.5; $0.sustain = 0.7...0.9; $0.release = 0.06...0.12
        $0.brightness = 2.5...5; $0.filterEnvelope = 0.5...1; $0.resonance = 1.5...3; $0.vibrato = 10...25
    }
    /// A bowed violin sketch: a bright saw through a resonant body, a slow bow and wide vibrato.
    public static let violin = Timbre(.oscillators([Partial(.saw), Partial(.saw, ratio: 2, level: 0.2)])).with {
        $0.attack = 0.04...0.1; $0.decay = 0.3...0.6; $0.sustain = 0.8...0.95; $0.release = 0.1...0.2
        $0.brightness = 3...6; $0.resonance = 1.2...2.5; $0.vibrato = 15...30
    }
    /// A flute-like lead: sine and a little triangle, soft attack.
    public static let flute = Timbre(.oscillators([Partial(.sine), Partial(.triangle, ratio: 2, level: 0.15)])).with {
        $0.attack = 0.04...0.1; $0.decay = 0.3...0.6; $0.sustain = 0.7...0.9; $0.release = 0.15...0.3
        $0.brightness = 4...8; $0.vibrato = 8...18
    }
    /// A lead guitar for distortion: saw and square so that it can bend and shake (a string cannot here).
    public static let leadGuitar = Timbre(.oscillators([Partial(.saw), Partial(.square, level: 0.5)])).with {
        $0.decay = 0.5...1; $0.sustain = 0.5...0.7; $0.release = 0.05...0.1; $0.brightness = 3...6
        $0.filterEnvelope = 0.5...1.5; $0.vibrato = 15...35
    }
}
