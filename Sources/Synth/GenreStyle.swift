/// A sound processor on a track, the drum bus or the whole mix, as ranges a clip draws from.
public enum Effect: Sendable {
    /// Overdrive into a soft clipper, 0 clean … 1 fuzz.
    case drive(ClosedRange<Double>)
    /// Lowpass at a cutoff in Hz: a guitar cabinet, a dusty sampler, an old recording.
    case lowpass(ClosedRange<Double>)
    /// Highpass at a cutoff in Hz: thins a part out of the bass's way.
    case highpass(ClosedRange<Double>)
    /// Repeats `beats` apart that fade and darken.
    case echo(beats: Double, feedback: ClosedRange<Double>, mix: ClosedRange<Double>)
    /// A resonant lowpass swept up and down over `bars`, around a centre in Hz.
    case sweep(bars: Double, centre: ClosedRange<Double>)
    /// Ducks under every kick by this fraction, the sidechain pump of house.
    case pump(ClosedRange<Double>)
    /// Sends this share of the track to the room's reverb.
    case reverb(ClosedRange<Double>)
    /// Vinyl: clicks at this many per second, and hiss.
    case crackle(ClosedRange<Double>)
}

/// One bar-long (or longer) groove for the kit, a string per voice (see `StepPattern`).
public struct DrumPattern: Sendable {
    let voices: [(DrumVoice, StepPattern)]

    public init(kick: String = "", snare: String = "", clap: String = "", rim: String = "", hat: String = "",
                openHat: String = "", pedalHat: String = "", ride: String = "", crash: String = "") {
        let written: [(DrumVoice, String)] = [
            (.kick, kick), (.snare, snare), (.clap, clap), (.rim, rim), (.closedHat, hat), (.openHat, openHat),
            (.pedalHat, pedalHat), (.ride, ride), (.crash, crash),
        ]
        voices = written.filter { !$0.1.isEmpty }.map { ($0.0, StepPattern($0.1)) }
    }
}

/// The drummer of a genre: which kits, which grooves, a crash to mark every few bars.
public struct Drums: Sendable {
    public var kits: [DrumKit]
    public var patterns: [DrumPattern]
    /// A crash on the downbeat every this many bars (0: never).
    public var crashEvery: Int
    /// Level of the drum bus in dB.
    public var level: ClosedRange<Double>
    public var effects: [Effect]

    public init(_ kits: [DrumKit], crashEvery: Int = 0, level: ClosedRange<Double> = -3...0, effects: [Effect] = [],
                patterns: [DrumPattern]) {
        self.kits = kits
        self.patterns = patterns
        self.crashEvery = crashEvery
        self.level = level
        self.effects = effects
    }
}

/// One player in the band: what it does, how it sounds, the rhythms it plays.
public struct Part: Sendable {
    public enum Role: Sendable {
        /// Pattern symbols name chord tones: 1 3 5 6 7 8 (octave), v (fifth below), a (a chromatic
        /// approach to the next chord's root), w (a walking step: any chord or scale tone nearby).
        case bass
        /// Every event plays the whole chord, strummed over `strum` seconds.
        case chords(Voicing, strum: ClosedRange<Double> = 0...0.004)
        /// Every event plays the next chord tone, up and back down.
        case arpeggio(Voicing)
        /// Every event plays the next note of a melody in this scale (nil: the progression's),
        /// bending into a share of them.
        case lead(Scale?, bends: Double = 0)
    }

    public var role: Role
    public var timbres: [Timbre]
    /// The MIDI pitch the part centres on.
    public var register: Int
    public var patterns: [String]
    /// Level in dB before the mix is normalised.
    public var level: ClosedRange<Double>
    /// Chance that the part plays in a clip at all.
    public var presence: Double
    public var effects: [Effect]

    public init(_ role: Role, _ timbres: [Timbre], register: Int, level: ClosedRange<Double> = -3...0,
                presence: Double = 1, effects: [Effect] = [], patterns: [String]) {
        self.role = role
        self.timbres = timbres
        self.register = register
        self.patterns = patterns
        self.level = level
        self.presence = presence
        self.effects = effects
    }
}

/// A genre as a band plays it: tempo, meter and feel, harmony, the drummer, the other players,
/// the room, and the recording chain.
public struct GenreStyle: Sendable {
    public var name: String
    /// One line for the README.
    public var summary: String
    public var tempo: ClosedRange<Double>
    public var beatsPerBar: Int
    public var feel: Feel
    /// Standard deviation of human timing, seconds (0 for machines).
    public var looseness: Double
    public var harmony: [Progression]
    public var drums: Drums?
    public var parts: [Part]
    /// Reverb size, 0 (small room) … 1 (hall).
    public var room: ClosedRange<Double>
    /// Effects on the whole mix.
    public var master: [Effect]

    public init(name: String, summary: String, tempo: ClosedRange<Double>, beatsPerBar: Int = 4, feel: Feel = .straight,
                looseness: Double = 0, harmony: [Progression], drums: Drums?, parts: [Part],
                room: ClosedRange<Double> = 0.2...0.5, master: [Effect] = []) {
        self.name = name
        self.summary = summary
        self.tempo = tempo
        self.beatsPerBar = beatsPerBar
        self.feel = feel
        self.looseness = looseness
        self.harmony = harmony
        self.drums = drums
        self.parts = parts
        self.room = room
        self.master = master
    }
}
