/// The genres of the demo data set. Patterns are a bar (or two) of sixteenths (see `StepPattern`),
/// one beat per group; chord numerals are one bar each (see `Chord`).
extension GenreStyle {
    public static let all: [GenreStyle] = [rock, metal, house, disco, hiphop, jazz, reggae, blues, classical, ambient]
    /// `all`'s names without building the styles (`genre synth --help` text, read at every start).
    public static let names = ["rock", "metal", "house", "disco", "hiphop", "jazz", "reggae", "blues", "classical", "ambient"]

    public static func named(_ name: String) -> GenreStyle? {
        all.first { $0.name == name }
    }

    public static let rock = GenreStyle(
        name: "rock",
        summary: "100–140 BPM straight 4/4, kick on 1 and 3 and snare on 2 and 4 under eighth hats, driving eighth-note "
            + "bass, overdriven power-chord guitars, pop and mixolydian progressions, sometimes a bending guitar lead.",
        tempo: 100...140, looseness: 0.006,
        harmony: [
            Progression(.major, "I V vi IV"), Progression(.major, "I IV V IV"), Progression(.mixolydian, "I bVII IV I"),
            Progression(.minor, "i bVI bIII bVII"), Progression(.major, "vi IV I V"),
        ],
        drums: Drums([.acoustic, .heavy], crashEvery: 4, patterns: [
            DrumPattern(kick: "X... .... X.x. ....", snare: ".... X... .... X...", hat: "x.x. x.x. x.x. x.x."),
            DrumPattern(kick: "X... ..x. X... ....", snare: ".... X... .... X..o", hat: "x.x. x.x. x.x. x.x."),
            DrumPattern(kick: "X..x ..x. X... ..x.", snare: ".... X... .... X...", ride: "x.x. x.x. x.x. x.x."),
            DrumPattern(kick: "X... .... X... ....", snare: ".... X... .... X...", hat: "Xxxx Xxxx Xxxx Xxxx"),
        ]),
        parts: [
            Part(.bass, [.electricBass], register: 40, effects: [.drive(0...0.3)],
                 patterns: ["1-1- 1-1- 1-1- 1-1-", "1-1- 1-1- 1-1- 5-8-", "1--- 1-1- 1--- 5-1-"]),
            Part(.chords(.power, strum: 0.004...0.012), [.electricGuitar], register: 47,
                 effects: [.drive(0.35...0.65), .lowpass(3000...5000), .reverb(0.05...0.15)],
                 patterns: ["X-x- x-x- X-x- x-x-", "X--- ---- X--- --x-", "X-.x .x.x X-.x .x.x"]),
            Part(.chords(.triad), [.organ, .piano, .electricPiano], register: 62, level: -10 ... -5, presence: 0.35,
                 patterns: ["X--- ---- X--- ----", "X--- ---- ---- ----"]),
            Part(.lead(.minorPentatonic, bends: 0.3), [.leadGuitar, .saxLead], register: 69, level: -5 ... -1, presence: 0.5,
                 effects: [.drive(0.5...0.8), .lowpass(3000...5000), .echo(beats: 0.75, feedback: 0.2...0.35, mix: 0.15...0.3),
                           .reverb(0.1...0.25)],
                 patterns: ["X--- x-x- X--- ----", "x-x- X--- x.x. X---", "..x- x-X- ---- x-x-"]),
        ],
        room: 0.2...0.5)

    public static let metal = GenreStyle(
        name: "metal",
        summary: "150–200 BPM, double-kick sixteenths or gallops, palm-muted power chords in a low tuning through heavy "
            + "distortion, phrygian and minor riffs, a tight dry room.",
        tempo: 150...200, looseness: 0.003,
        harmony: [
            Progression(.phrygian, "i i bII i"), Progression(.minor, "i bVI bVII i"), Progression(.minor, "i i bVII bVI"),
            Progression(.harmonicMinor, "i iv V i"),
        ],
        drums: Drums([.heavy, .acoustic], crashEvery: 2, patterns: [
            DrumPattern(kick: "xxxx xxxx xxxx xxxx", snare: ".... X... .... X...", hat: "x.x. x.x. x.x. x.x."),
            DrumPattern(kick: "X.x. X.x. X.x. X.x.", snare: ".... X... .... X...", ride: "x.x. x.x. x.x. x.x."),
            DrumPattern(kick: "x.x. x.x. x.x. x.x.", snare: "..X. ..X. ..X. ..X.", ride: "X.x. X.x. X.x. X.x."),
            DrumPattern(kick: "X..x x..x X..x x...", snare: ".... X... .... X...", hat: "X.X. X.X. X.X. X.X."),
        ]),
        parts: [
            Part(.bass, [.electricBass, .synthBass], register: 36, effects: [.drive(0.3...0.6), .lowpass(1500...3000)],
                 patterns: ["1111 1111 1111 1111", "1-11 1-11 1-11 1-11", "1.1. 1.1. 1.11 1.8."]),
            Part(.chords(.power, strum: 0.002...0.006), [.electricGuitar], register: 42,
                 effects: [.drive(0.75...1), .lowpass(3500...5500), .highpass(80...120)],
                 patterns: ["xxxx xxxx X-xx xxxx", "X-xx X-xx X-xx X-x-", "X--- X--- xxxx X---", "x.xx x.xx X--- X---"]),
            Part(.lead(nil, bends: 0.2), [.leadGuitar], register: 70, level: -6 ... -2, presence: 0.35,
                 effects: [.drive(0.7...1), .lowpass(3500...5000), .reverb(0.1...0.2)],
                 patterns: ["xxxx xxxx xxxx xxxx", "X--- X--- X-x- X---", "X-x- X-x- X--- ----"]),
        ],
        room: 0.1...0.3)

    public static let house = GenreStyle(
        name: "house",
        summary: "118–128 BPM four-on-the-floor kick, claps on 2 and 4, off-beat open hats, an off-beat synth bass that "
            + "pumps under the kick, filtered minor-seventh chord stabs with echo, sometimes a pad.",
        tempo: 118...128, feel: .swing16(0.5...0.56),
        harmony: [
            Progression(.minor, "i7 i7 iv7 iv7"), Progression(.dorian, "i7 IV7 i7 IV7"), Progression(.minor, "i9 bVII bVI bVII"),
            Progression(.major, "IVmaj7 V iii7 vi7"), Progression(.minor, "i7 bVImaj7 bVII bVImaj7"),
        ],
        drums: Drums([.machine, .boom], crashEvery: 8, patterns: [
            DrumPattern(kick: "X... X... X... X...", clap: ".... X... .... X...", hat: "x.o. x.o. x.o. x.o.",
                        openHat: "..x. ..x. ..x. ..x."),
            DrumPattern(kick: "X... X... X... X...", snare: ".... x... .... x...", clap: ".... X... .... X...",
                        hat: "xxxx xxxx xxxx xxxx"),
            DrumPattern(kick: "X... X... X... X..x", clap: ".... X... .... X...", openHat: "..x. ..x. ..x. ..x.",
                        ride: "x.x. x.x. x.x. x.x."),
        ]),
        parts: [
            Part(.bass, [.synthBass, .subBass], register: 38, effects: [.pump(0.3...0.6)],
                 patterns: ["..1. ..1. ..1. ..1.", "..1- ..8. ..1- ..5.", "1..1 ..1. 1..1 ..8."]),
            Part(.chords(.full), [.stab, .organ, .piano, .electricPiano], register: 62,
                 effects: [.sweep(bars: 4, centre: 700...2000), .echo(beats: 0.75, feedback: 0.3...0.5, mix: 0.2...0.4),
                           .reverb(0.1...0.2)],
                 patterns: ["..X. ..X. ..X. ..X.", "X..X ..X. ..X. X...", "...X ..X. ...X ..X."]),
            Part(.chords(.open), [.stringPad, .glassPad], register: 60, level: -12 ... -6, presence: 0.5,
                 effects: [.pump(0.4...0.7), .reverb(0.2...0.4)], patterns: ["X--- ---- ---- ----"]),
            Part(.lead(nil), [.squareLead, .flute, .saxLead], register: 74, level: -8 ... -4, presence: 0.3,
                 effects: [.echo(beats: 0.75, feedback: 0.3...0.5, mix: 0.2...0.4)],
                 patterns: ["X.x. ..x. X.x. ..x.", "X--- ..x- ..X- ...."]),
        ],
        room: 0.3...0.6)

    public static let disco = GenreStyle(
        name: "disco",
        summary: "110–126 BPM four-on-the-floor with open hats on the off-beats, octave-jumping bass, muted funk guitar "
            + "sixteenths, string pads and electric piano over minor-seventh and ii–V progressions.",
        tempo: 110...126, looseness: 0.004,
        harmony: [
            Progression(.minor, "i7 iv7 i7 iv7"), Progression(.dorian, "i7 IV7 i7 IV7"), Progression(.major, "ii7 V7 Imaj7 vi7"),
            Progression(.major, "Imaj7 IV7 iii7 vi7"), Progression(.minor, "i7 bVII iv7 v7"),
        ],
        drums: Drums([.acoustic, .machine], crashEvery: 8, patterns: [
            DrumPattern(kick: "X... X... X... X...", snare: ".... X... .... X...", hat: "x... x... x... x...",
                        openHat: "..X. ..X. ..X. ..X."),
            DrumPattern(kick: "X... X... X... X...", snare: ".... X... .... X...", hat: "xoXo xoXo xoXo xoXo"),
        ]),
        parts: [
            Part(.bass, [.electricBass, .synthBass], register: 40,
                 patterns: ["1.8. 1.8. 1.8. 1.8.", "1-8- 1-8- 1-8- 5-8-", "18.8 1.8. 18.8 1.78"]),
            Part(.chords(.triad, strum: 0.002...0.006), [.cleanGuitar], register: 66, level: -9 ... -4,
                 effects: [.highpass(300...600), .reverb(0.05...0.15)],
                 patterns: ["oxox oxox oxox oxox", "..x. ..x. ..x. ..x.", "x.ox .xox x.ox .xox"]),
            Part(.chords(.open), [.stringPad], register: 64, level: -8 ... -3, presence: 0.7, effects: [.reverb(0.2...0.4)],
                 patterns: ["X--- ---- ---- ----", "X--- ---- X--- ----"]),
            Part(.chords(.full), [.electricPiano, .piano], register: 60, level: -9 ... -4, presence: 0.5,
                 patterns: ["..X. ..X. ..X. ..X.", "X..X ..X. .X.. X..."]),
            Part(.lead(nil), [.squareLead, .stringPad, .saxLead, .flute], register: 74, level: -7 ... -3, presence: 0.4,
                 effects: [.echo(beats: 0.75, feedback: 0.2...0.4, mix: 0.15...0.3), .reverb(0.1...0.2)],
                 patterns: ["X-x- x-X- ..x- x-x-", "X--- --x- X--- ----"]),
        ],
        room: 0.3...0.5)

    public static let hiphop = GenreStyle(
        name: "hiphop",
        summary: "80–96 BPM boom-bap with swung sixteenths, syncopated kicks (often long 808s) and a fat snare on 2 and 4, "
            + "sub bass, dusty low-passed keyboard loops over minor sevenths and ninths, vinyl crackle.",
        tempo: 80...96, feel: .swing16(0.54...0.62), looseness: 0.004,
        harmony: [
            Progression(.minor, "i7 i7 iv7 iv7"), Progression(.dorian, "i9 i9 IV9 IV9"), Progression(.minor, "i7 bVImaj7 i7 bVImaj7"),
            Progression(.minor, "i9 v7 i9 v7"), Progression(.major, "IVmaj7 iii7 ii7 Imaj7"),
        ],
        drums: Drums([.boom, .acoustic, .machine], effects: [.lowpass(4000...11000)], patterns: [
            DrumPattern(kick: "X... .... X.x. ....", snare: ".... X... .... X...", hat: "x.x. x.x. x.x. x.x."),
            DrumPattern(kick: "X..x .... X... .x..", snare: ".... X... .... X..o", hat: "Xoxo Xoxo Xoxo Xoxo"),
            DrumPattern(kick: "X... ..X. X... ....", snare: ".... X... .... X...", hat: "x.xx x.x. x.xx x.x.",
                        openHat: ".... .... .... ..x."),
        ]),
        parts: [
            Part(.bass, [.subBass, .electricBass, .uprightBass], register: 36,
                 patterns: ["1--- ---1 --1- ----", "1--- ---- --5- -1--", "1-.. ...1 --8- ----"]),
            Part(.chords(.full), [.electricPiano, .piano, .organ, .harp, .stringPad], register: 62,
                 effects: [.lowpass(1800...6000), .reverb(0.1...0.25)],
                 patterns: ["X--- ---- ---- ----", "X--- ---x ---- ----", "x--- ---- --x- ----"]),
            Part(.lead(nil), [.flute, .saxLead, .squareLead], register: 72, level: -9 ... -5, presence: 0.35,
                 effects: [.lowpass(2500...4000), .echo(beats: 0.5, feedback: 0.2...0.4, mix: 0.2...0.3)],
                 patterns: ["X--- x--- ---- ----", "..x- x--- X--- ----"]),
        ],
        room: 0.1...0.3,
        master: [.crackle(0...8), .lowpass(6000...10000)])

    public static let jazz = GenreStyle(
        name: "jazz",
        summary: "110–190 BPM swung eighths, ride cymbal 'ding ding-a ding' with hi-hat on 2 and 4 and brushes, "
            + "walking upright bass, rootless piano voicings comped off the beat, ii–V–I harmony, a sax or flute line.",
        tempo: 110...190, feel: .swing(0.6...0.68), looseness: 0.008,
        harmony: [
            Progression(.major, "ii7 V7 Imaj7 Imaj7"), Progression(.major, "Imaj7 vi7 ii7 V7"), Progression(.minor, "iiø V7 i7 i7"),
            Progression(.major, "iii7 vi7 ii7 V7"), Progression(.dorian, "i7 i7 IV7 IV7"),
        ],
        drums: Drums([.brushes, .acoustic], level: -6 ... -2, patterns: [
            DrumPattern(kick: "o... .... o... ....", snare: ".... .... ...o ....", pedalHat: ".... x... .... x...",
                        ride: "X... x.x. X... x.x."),
            DrumPattern(snare: "o.o. o.o. o.o. o.o.", pedalHat: ".... x... .... x...", ride: "x... x.x. x... x.x."),
        ]),
        parts: [
            Part(.bass, [.uprightBass, .electricBass], register: 40,
                 patterns: ["w--- w--- w--- a---", "1--- w--- 5--- a---", "1--- 3--- 5--- a---"]),
            Part(.chords(.rootless, strum: 0...0.01), [.piano, .electricPiano, .organ, .cleanGuitar], register: 62, level: -6 ... -2,
                 effects: [.reverb(0.1...0.25)],
                 patterns: ["X-.. ...x -... ....", "..x- .... ..x- ....", "X... ..x. .... ....", "...x ..x. ..x. ...."]),
            Part(.lead(nil), [.saxLead, .flute, .piano, .electricPiano], register: 67, level: -5 ... -1, presence: 0.6,
                 effects: [.reverb(0.1...0.25)],
                 patterns: ["x.xx x.x. x--- ..x.", "x--- x.x. x.x. x---", "..xx x.x. x.x. x..."]),
        ],
        room: 0.2...0.5)

    public static let reggae = GenreStyle(
        name: "reggae",
        summary: "66–84 BPM half-time one-drop (kick and cross-stick together on beat 3), a deep melodic bass that "
            + "rests on the one, off-beat guitar skanks with dub echo, organ bubble, two-chord vamps.",
        tempo: 66...84, feel: .halfTime, looseness: 0.006,
        harmony: [
            Progression(.major, "I I IV IV"), Progression(.minor, "i i iv iv"), Progression(.major, "I V IV IV"),
            Progression(.minor, "i bVII i bVII"),
        ],
        drums: Drums([.dub, .acoustic], patterns: [
            DrumPattern(kick: ".... X... .... X...", rim: ".... X... .... X...", hat: "xxxx xxxx xxxx xxxx"),
            DrumPattern(kick: "X.X. X.X. X.X. X.X.", snare: ".... X... .... X...", hat: "x.x. x.x. x.x. x.x.",
                        openHat: "..x. ..x. ..x. ..x."),
            DrumPattern(kick: ".... X... .... X...", snare: ".... X... .... X...", hat: "x.xx x.xx x.xx x.xx"),
        ]),
        parts: [
            Part(.bass, [.subBass, .electricBass], register: 36,
                 patterns: ["...1 -5-8 ..7- 5-3-", "..1. 1-3- 5--- 3-1-", "1--- ..v- 1-.. 3-5-"]),
            Part(.chords(.triad, strum: 0...0.003), [.cleanGuitar, .piano, .organ], register: 64, level: -6 ... -2,
                 effects: [.highpass(400...800), .echo(beats: 0.75, feedback: 0.3...0.5, mix: 0.2...0.4), .reverb(0.2...0.4)],
                 patterns: [".... X... .... X...", ".... X.x. .... X.x."]),
            Part(.chords(.triad), [.organ], register: 60, level: -10 ... -5, presence: 0.6,
                 patterns: ["..xx ..xx ..xx ..xx", ".x.x .x.x .x.x .x.x"]),
            Part(.lead(nil), [.flute, .squareLead, .saxLead], register: 72, level: -8 ... -4, presence: 0.3,
                 effects: [.echo(beats: 0.75, feedback: 0.3...0.5, mix: 0.2...0.4)],
                 patterns: ["X--- x-x- X--- ----"]),
        ],
        room: 0.4...0.8)

    public static let blues = GenreStyle(
        name: "blues",
        summary: "70–110 BPM triplet shuffle, twelve-bar I7–IV7–V7 changes, boogie bass walking 1-3-5-6, crunchy "
            + "dominant-seventh comping, a blues-scale guitar or sax lead full of bends.",
        tempo: 70...110, feel: .shuffle, looseness: 0.007,
        harmony: [
            Progression(.mixolydian, "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7"),
            Progression(.mixolydian, "I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 I7"),
            Progression(.dorian, "i7 i7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7"),
        ],
        drums: Drums([.acoustic, .brushes], crashEvery: 4, patterns: [
            DrumPattern(kick: "X... .... X... ....", snare: ".... X... .... X...", hat: "x.x. x.x. x.x. x.x."),
            DrumPattern(kick: "X... .... X... ....", snare: ".... X... .... X...", ride: "X.x. X.x. X.x. X.x."),
            DrumPattern(kick: "X.x. X.x. X.x. X.x.", snare: ".... X... .... X...", hat: "x.x. x.x. x.x. x.x."),
        ]),
        parts: [
            Part(.bass, [.electricBass, .uprightBass], register: 40,
                 patterns: ["1-3- 5-6- 8-6- 5-3-", "1-1- 3-3- 5-5- 6-5-", "1--- 5--- 6--- 5---"]),
            Part(.chords(.full, strum: 0.005...0.015), [.electricGuitar, .organ, .piano], register: 58, level: -6 ... -2,
                 effects: [.drive(0.1...0.4), .lowpass(2500...4500), .reverb(0.1...0.2)],
                 patterns: ["X-x- X-x- X-x- X-x-", "..x- ..x- ..x- ..x-", "X--- ---- ..x- ----"]),
            Part(.lead(.blues, bends: 0.45), [.leadGuitar, .saxLead], register: 67, level: -4...0, presence: 0.7,
                 effects: [.drive(0.2...0.6), .lowpass(3000...4500), .reverb(0.15...0.3)],
                 patterns: ["..x- x-x- X--- ----", "X-x- x-X- -.x. X---", "x-x- x-x- X--- ----"]),
        ],
        room: 0.2...0.5)

    public static let classical = GenreStyle(
        name: "classical",
        summary: "84–150 BPM waltz in 3/4 without drums: a plucked or piano bass on the downbeat and chords on beats "
            + "2 and 3, a bowed violin melody with vibrato, string pads, cadences through V7, a concert-hall reverb.",
        tempo: 84...150, beatsPerBar: 3, looseness: 0.012,
        harmony: [
            Progression(.major, "I IV V7 I"), Progression(.major, "I vi ii V7"), Progression(.harmonicMinor, "i iv V7 i"),
            Progression(.harmonicMinor, "i bVI iv V7"),
        ],
        drums: nil,
        parts: [
            Part(.bass, [.uprightBass, .piano, .harp], register: 43,
                 patterns: ["1... .... ....", "1... .... 5...", "1--- 5--- 8---"]),
            Part(.chords(.triad), [.piano, .harp, .stringPad], register: 62, level: -6 ... -2,
                 effects: [.reverb(0.3...0.5)], patterns: [".... x... x...", ".... x-.. x-..", "..x. x... x..."]),
            Part(.lead(nil), [.violin, .flute], register: 74, presence: 0.85, effects: [.reverb(0.3...0.6)],
                 patterns: ["X--- x-x- x---", "X--- ---- x-x-", "x-x- x-x- x-x-"]),
            Part(.chords(.open), [.stringPad], register: 60, level: -10 ... -5, presence: 0.5, effects: [.reverb(0.3...0.6)],
                 patterns: ["X--- ---- ----"]),
        ],
        room: 0.6...0.9)

    public static let ambient = GenreStyle(
        name: "ambient",
        summary: "60–90 BPM, no drums: slow-swelling detuned pads in open voicings, a sub drone, harp or electric-piano "
            + "arpeggios through long echoes, lydian and minor-ninth harmony, a hall reverb.",
        tempo: 60...90, looseness: 0.01,
        harmony: [
            Progression(.lydian, "Imaj7 Imaj7 II II"), Progression(.major, "Iadd9 Iadd9 IVmaj7 IVmaj7"),
            Progression(.minor, "i9 i9 bVImaj7 bVImaj7"), Progression(.dorian, "i7 i7 IV IV"),
        ],
        drums: nil,
        parts: [
            Part(.chords(.open, strum: 0...0.05), [.glassPad, .stringPad, .organ], register: 60,
                 effects: [.reverb(0.4...0.7)], patterns: ["X--- ---- ---- ---- ---- ---- ---- ----"]),
            Part(.bass, [.subBass], register: 36, level: -9 ... -4,
                 patterns: ["1--- ---- ---- ---- ---- ---- ---- ----"]),
            Part(.arpeggio(.open), [.harp, .electricPiano, .piano, .cleanGuitar], register: 64, level: -6 ... -1, presence: 0.7,
                 effects: [.echo(beats: 1.5, feedback: 0.3...0.6, mix: 0.2...0.4), .reverb(0.4...0.7)],
                 patterns: ["x... x... x... x...", "x... ..x. .... x...", "x..x .... x... ...."]),
            Part(.arpeggio(.full), [.glassPad, .harp, .electricPiano], register: 86, level: -12 ... -6, presence: 0.5,
                 effects: [.echo(beats: 1, feedback: 0.4...0.6, mix: 0.3...0.5), .reverb(0.5...0.8)],
                 patterns: ["x... .... x... ....", "x... ..x. .... ...."]),
            Part(.lead(nil), [.flute], register: 72, level: -8 ... -3, presence: 0.4,
                 effects: [.echo(beats: 1.5, feedback: 0.3...0.5, mix: 0.2...0.4), .reverb(0.4...0.7)],
                 patterns: ["X--- ---- ---- ---- x--- x--- ---- ----"]),
        ],
        room: 0.7...0.95)
}
