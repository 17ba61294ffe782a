/// Turns a part's rhythm pattern into notes over the session's chords, the way each role plays.
enum PartWriter {
    static func notes(for part: Part, pattern: StepPattern, session: Session, random: inout SeededRandom) -> [Note] {
        let events = pattern.repeated(over: session.totalSteps)
        switch part.role {
        case .bass:
            return bassLine(events, register: part.register, session: session, random: &random)
        case .chords(let voicing, let strum):
            return chords(events, voicing: voicing, strum: random.uniform(strum), register: part.register,
                          session: session, random: &random)
        case .arpeggio(let voicing):
            return arpeggio(events, voicing: voicing, register: part.register, session: session, random: &random)
        case .lead(let scale, let bends):
            return melody(events, scale: scale ?? session.progression.scale, bends: bends, register: part.register,
                          session: session, random: &random)
        }
    }

    /// The MIDI pitch of `pitchClass` in the octave around `register`.
    private static func nearest(_ pitchClass: Int, to register: Int) -> Int {
        register - 5 + ((pitchClass - (register - 5)) % 12 + 12) % 12
    }

    private static func note(_ event: StepPattern.Event, pitch: Int, hold: Double, session: Session,
                             random: inout SeededRandom) -> Note {
        Note(start: session.time(ofStep: event.step, random: &random),
             duration: hold * session.seconds(fromStep: event.step, length: event.length),
             pitch: Double(pitch), velocity: event.velocity * random.uniform(0.85...1))
    }

    private static func bassLine(_ events: [StepPattern.Event], register: Int, session: Session,
                                 random: inout SeededRandom) -> [Note] {
        var previous = register
        return events.map { event in
            let chord = session.chord(atStep: event.step)
            let root = nearest(session.key + chord.root, to: register)
            let pitch: Int
            switch event.symbol {
            case "a":
                let next = session.chord(atStep: event.step + event.length)
                pitch = nearest(session.key + next.root, to: register) + (random.chance(0.5) ? 1 : -1)
            case "w":
                let chordTones = chord.intervals.map { root + $0 % 12 } + [root + 12]
                let scaleTones = session.progression.scale.pitches(key: session.key, in: (previous - 4)...(previous + 4))
                let nearby = (chordTones + scaleTones).filter { $0 != previous && abs($0 - previous) <= 7 }
                pitch = nearby.isEmpty ? root : random.pick(nearby)
            case "v":
                pitch = root - 5
            default:
                pitch = root + chord.interval(forDegree: event.symbol)
            }
            previous = pitch
            return note(event, pitch: pitch, hold: 0.9, session: session, random: &random)
        }
    }

    /// Whole chords, strummed down on the beat and up off it.
    private static func chords(_ events: [StepPattern.Event], voicing: Voicing, strum: Double, register: Int,
                               session: Session, random: inout SeededRandom) -> [Note] {
        events.flatMap { event in
            let pitches = voicing.pitches(for: session.chord(atStep: event.step), key: session.key, register: register)
            let downstroke = event.step % 4 < 2
            let first = note(event, pitch: 0, hold: 0.95, session: session, random: &random)
            return (downstroke ? pitches : pitches.reversed()).enumerated().map { string, pitch in
                var played = first
                played.pitch = Double(pitch)
                played.start += Double(string) * strum
                played.duration = max(0.02, played.duration - Double(string) * strum)
                return played
            }
        }
    }

    /// One chord tone per event, up through the voicing and back down, left to ring.
    private static func arpeggio(_ events: [StepPattern.Event], voicing: Voicing, register: Int, session: Session,
                                 random: inout SeededRandom) -> [Note] {
        var position = 0
        return events.map { event in
            let tones = voicing.pitches(for: session.chord(atStep: event.step), key: session.key, register: register)
            let cycle = tones + tones.dropFirst().dropLast().reversed()
            defer { position += 1 }
            return note(event, pitch: cycle[position % cycle.count], hold: 2, session: session, random: &random)
        }
    }

    /// A melody in two-bar phrases: steps through the scale, landing on chord tones on beats 1
    /// and 3 of the bar; a phrase often repeats the previous one, as riffs and hooks do.
    private static func melody(_ events: [StepPattern.Event], scale: Scale, bends: Double, register: Int,
                               session: Session, random: inout SeededRandom) -> [Note] {
        let pitches = scale.pitches(key: session.key, in: (register - 7)...(register + 12))
        let home = pitches.firstIndex { $0 >= register } ?? pitches.count / 2
        let phraseSteps = 2 * session.groove.stepsPerBar
        var current = home
        var previousPhrase: [Int] = []
        var notes: [Note] = []
        for phrase in Dictionary(grouping: events, by: { $0.step / phraseSteps }).sorted(by: { $0.key < $1.key }) {
            let phraseEvents = phrase.value
            var indices: [Int]
            if previousPhrase.count == phraseEvents.count, random.chance(0.6) {
                indices = previousPhrase
            } else {
                indices = []
                for event in phraseEvents {
                    if event.step % session.groove.stepsPerBar % 8 == 0 {
                        let chord = session.chord(atStep: event.step)
                        let chordClasses = chord.intervals.map { (session.key + chord.root + $0) % 12 }
                        let candidates = pitches.indices.filter { chordClasses.contains(pitches[$0] % 12) }
                        current = candidates.min { abs($0 - current) < abs($1 - current) } ?? current
                    } else {
                        // A step or a skip, drifting back towards the middle of the range.
                        let pull = current > home + 3 ? -1 : (current < home - 3 ? 1 : 0)
                        current += random.pick([-2, -1, -1, 1, 1, 2]) + pull
                    }
                    current = max(0, min(pitches.count - 1, current))
                    indices.append(current)
                }
            }
            previousPhrase = indices
            for (event, index) in zip(phraseEvents, indices) {
                var played = note(event, pitch: pitches[index], hold: 0.9, session: session, random: &random)
                if random.chance(bends) { played.slide = -Double(random.pick([1, 2])) }
                notes.append(played)
            }
        }
        return notes
    }
}
