/// Scales and modes as semitones above the tonic.
public enum Scale: Sendable {
    case major, minor, dorian, mixolydian, phrygian, lydian, harmonicMinor
    case minorPentatonic, blues

    var steps: [Int] {
        switch self {
        case .major: [0, 2, 4, 5, 7, 9, 11]
        case .minor: [0, 2, 3, 5, 7, 8, 10]
        case .dorian: [0, 2, 3, 5, 7, 9, 10]
        case .mixolydian: [0, 2, 4, 5, 7, 9, 10]
        case .phrygian: [0, 1, 3, 5, 7, 8, 10]
        case .lydian: [0, 2, 4, 6, 7, 9, 11]
        case .harmonicMinor: [0, 2, 3, 5, 7, 8, 11]
        case .minorPentatonic: [0, 3, 5, 7, 10]
        case .blues: [0, 3, 5, 6, 7, 10]
        }
    }

    /// Every MIDI pitch of the scale in `key` (0 = C) within `range`.
    func pitches(key: Int, in range: ClosedRange<Int>) -> [Int] {
        range.filter { steps.contains((($0 - key) % 12 + 12) % 12) }
    }
}

/// A chord relative to the key, written as a Roman numeral: case gives the third (V major,
/// v minor), a leading b or # moves the root, and a suffix adds colour: 5 (power chord), 6, 7
/// (dominant on upper case, minor on lower), maj7, 9, maj9, add9, sus2, sus4, dim, ø.
struct Chord: Sendable, Equatable {
    /// Semitones of the root above the key.
    let root: Int
    /// Semitones above the root, starting with 0.
    let intervals: [Int]

    init(_ numeral: String) {
        var rest = Substring(numeral)
        var root = 0
        if rest.hasPrefix("b") { root -= 1; rest = rest.dropFirst() }
        if rest.hasPrefix("#") { root += 1; rest = rest.dropFirst() }
        let degrees: [(String, Int)] = [("VII", 11), ("VI", 9), ("V", 7), ("IV", 5), ("III", 4), ("II", 2), ("I", 0)]
        guard let (name, degree) = degrees.first(where: { rest.uppercased().hasPrefix($0.0) }) else {
            preconditionFailure("not a Roman numeral chord: \(numeral)")
        }
        let major = rest.first!.isUppercase
        rest = rest.dropFirst(name.count)
        let third = major ? 4 : 3
        let seventh = 10
        let triad = [0, third, 7]
        let intervals: [Int] = switch rest {
        case "": triad
        case "5": [0, 7]
        case "6": triad + [9]
        case "7": triad + [seventh]
        case "maj7": triad + [11]
        case "9": triad + [seventh, 14]
        case "maj9": triad + [11, 14]
        case "add9": triad + [14]
        case "sus2": [0, 2, 7]
        case "sus4": [0, 5, 7]
        case "dim": [0, 3, 6]
        case "ø": [0, 3, 6, 10]
        default: preconditionFailure("unknown chord suffix '\(rest)' in \(numeral)")
        }
        self.root = (root + degree + 12) % 12
        self.intervals = intervals
    }

    /// The chord tone a bass line names: 1 root, 3 third, 5 fifth, 6 sixth, 7 seventh, 8 octave.
    func interval(forDegree degree: Character) -> Int {
        switch degree {
        case "3": intervals.first { (2...5).contains($0) } ?? 7
        case "5": intervals.first { (6...8).contains($0) } ?? 7
        case "6": 9
        case "7": intervals.first { (10...11).contains($0) } ?? 10
        case "8": 12
        default: 0
        }
    }
}

/// A chord loop in a mode, one chord per bar.
public struct Progression: Sendable {
    public let scale: Scale
    let chords: [Chord]

    /// `numerals` is a space-separated bar-by-bar list, e.g. "i bVI bIII bVII".
    public init(_ scale: Scale, _ numerals: String) {
        self.scale = scale
        chords = numerals.split(separator: " ").map { Chord(String($0)) }
    }
}

/// How a chord is spread over the keyboard.
public enum Voicing: Sendable {
    /// Root, fifth and octave only: the distorted guitar's chord.
    case power
    /// Root, third and fifth, in close position near the register.
    case triad
    /// Every chord tone (sevenths, ninths) in close position near the register.
    case full
    /// Third, seventh and ninth without the root, which the bass plays: jazz piano.
    case rootless
    /// Root an octave down, fifth, then the third and colours above: strings and pads.
    case open

    /// MIDI pitches for `chord` in `key` around `register`. Close voicings keep every note within
    /// half an octave of the register, so successive chords move by small steps, as players do.
    func pitches(for chord: Chord, key: Int, register: Int) -> [Int] {
        let root = key + chord.root
        func near(_ interval: Int) -> Int {
            let pitchClass = (root + interval) % 12
            return register - 6 + ((pitchClass - (register - 6)) % 12 + 12) % 12
        }
        switch self {
        case .power:
            let low = near(0)
            return [low, low + 7, low + 12]
        case .triad:
            return chord.intervals.filter { $0 < 10 && $0 != 9 }.map(near).sorted()
        case .full:
            return chord.intervals.map(near).sorted()
        case .rootless:
            let colours = chord.intervals.filter { $0 != 0 && $0 != 7 && $0 != 14 } + [14]
            return colours.map(near).sorted()
        case .open:
            let low = near(0) - 12
            let upper = chord.intervals.filter { $0 != 0 && $0 != 7 }.map { low + 12 + $0 }
            return [low, low + 7] + upper
        }
    }
}
