/// How the beat is subdivided and placed in time.
public enum Feel: Sendable {
    /// Even eighths and sixteenths.
    case straight
    /// Swung eighths: the off-beat lands at this fraction of the beat (0.5 even, 0.67 triplet).
    case swing(ClosedRange<Double>)
    /// Swung sixteenths, the lazy push of hip-hop.
    case swing16(ClosedRange<Double>)
    /// Eighths locked to the triplet grid, long–short, as in a blues shuffle.
    case shuffle
    /// The drums play at half the rate of the harmony: the backbeat falls on beat 3.
    case halfTime
}

/// A step pattern written one character per sixteenth, spaces ignored: `.` is a rest, `-` holds
/// the previous event one more step, any other character starts an event and names it
/// (`X` accent, `x` normal, `o` ghost; bass lines name chord tones instead).
struct StepPattern: Sendable {
    struct Event: Sendable {
        let step: Int
        var length: Int
        let symbol: Character

        /// The loudness the drum and chord symbols stand for.
        var velocity: Double {
            switch symbol {
            case "X": 1
            case "o": 0.4
            default: 0.75
            }
        }
    }

    let steps: Int
    let events: [Event]

    init(_ text: String) {
        var events: [Event] = []
        var step = 0
        for symbol in text where symbol != " " {
            switch symbol {
            case ".": break
            case "-":
                if !events.isEmpty { events[events.count - 1].length += 1 }
            default:
                events.append(Event(step: step, length: 1, symbol: symbol))
            }
            step += 1
        }
        steps = step
        self.events = events
    }

    /// Every event in `totalSteps`, the pattern repeating end to end, with absolute steps.
    func repeated(over totalSteps: Int) -> [Event] {
        guard steps > 0 else { return [] }
        return stride(from: 0, to: totalSteps, by: steps).flatMap { offset in
            events.map { Event(step: offset + $0.step, length: $0.length, symbol: $0.symbol) }
        }
    }
}

/// One clip's timing: where each sixteenth step falls, in seconds, after swing.
struct Groove {
    static let stepsPerBeat = 4
    let stepSeconds: Double
    let beatsPerBar: Int
    /// Where the second of a long–short pair lands within the pair (0.5 is straight).
    let swing: Double
    /// Steps in one long–short pair: 4 for swung eighths, 2 for swung sixteenths.
    let swingPair: Int
    /// Sixteenths per drum-pattern step: 2 in half time.
    let drumStretch: Int

    init(tempo: Double, beatsPerBar: Int, feel: Feel, random: inout SeededRandom) {
        stepSeconds = 60 / tempo / Double(Groove.stepsPerBeat)
        self.beatsPerBar = beatsPerBar
        switch feel {
        case .straight, .halfTime: (swing, swingPair) = (0.5, 4)
        case .swing(let ratio): (swing, swingPair) = (random.uniform(ratio), 4)
        case .swing16(let ratio): (swing, swingPair) = (random.uniform(ratio), 2)
        case .shuffle: (swing, swingPair) = (2.0 / 3, 4)
        }
        if case .halfTime = feel { drumStretch = 2 } else { drumStretch = 1 }
    }

    var stepsPerBar: Int { beatsPerBar * Groove.stepsPerBeat }
    var barSeconds: Double { Double(stepsPerBar) * stepSeconds }
    var beatSeconds: Double { Double(Groove.stepsPerBeat) * stepSeconds }

    /// Seconds from the start to `step` (fractional steps allowed, for note ends).
    func time(ofStep step: Double) -> Double {
        let pair = Double(swingPair)
        let within = step.truncatingRemainder(dividingBy: pair)
        let half = pair / 2
        let placed = within < half ? swing * within / half : swing + (1 - swing) * (within - half) / half
        return (step - within + placed * pair) * stepSeconds
    }
}
