import Glibc

/// The choices shared by every player of one clip: tempo and feel, key and progression, length.
struct Session {
    let sampleRate: Double
    let groove: Groove
    let key: Int
    let progression: Progression
    /// Steps and samples rendered; the clip is what follows the first `leadInSamples`.
    let totalSteps: Int
    let totalSamples: Int
    let leadInSamples: Int
    /// Human timing spread, seconds.
    let looseness: Double

    init(style: GenreStyle, seconds: Double, sampleRate: Double, random: inout SeededRandom) {
        self.sampleRate = sampleRate
        groove = Groove(tempo: random.uniform(style.tempo), beatsPerBar: style.beatsPerBar, feel: style.feel,
                        random: &random)
        key = random.integer(0...11)
        progression = random.pick(style.harmony)
        looseness = style.looseness
        // Start somewhere in the first two bars, so clips do not all open on a downbeat.
        let leadIn = random.uniform(0...(2 * groove.barSeconds))
        leadInSamples = Int(leadIn * sampleRate)
        totalSamples = leadInSamples + Int(seconds * sampleRate)
        totalSteps = Int((leadIn + seconds) / groove.stepSeconds) + 1
    }

    func chord(atStep step: Int) -> Chord {
        progression.chords[(step / groove.stepsPerBar) % progression.chords.count]
    }

    /// Seconds from the start to where a player sounds `step`, timing error included.
    func time(ofStep step: Int, random: inout SeededRandom) -> Double {
        let error = looseness * max(-2.5, min(2.5, random.gaussian()))
        return max(0, groove.time(ofStep: Double(step)) + error)
    }

    /// Seconds from `step` to `step + length`.
    func seconds(fromStep step: Int, length: Int) -> Double {
        groove.time(ofStep: Double(step + length)) - groove.time(ofStep: Double(step))
    }
}
