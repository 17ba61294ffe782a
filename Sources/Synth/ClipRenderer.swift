import Glibc

/// A rendered clip and the choices behind it (what tests check the audio against).
public struct Clip: Sendable {
    public let samples: [Float]
    public let sampleRate: Int
    public let tempo: Double
    public let beatsPerBar: Int
    /// Tonic pitch class, 0 = C.
    public let key: Int
    public let scale: Scale
}

extension GenreStyle {
    /// Plays one clip of this genre: a band with drawn tempo, key, progression, grooves, sounds
    /// and mix, recorded through a randomly coloured chain and normalised to a random loudness.
    public func render(seconds: Double, sampleRate: Int = 22050, random: inout SeededRandom) -> Clip {
        let rate = Double(sampleRate)
        let session = Session(style: self, seconds: seconds, sampleRate: rate, random: &random)
        var mixer = Mixer(count: session.totalSamples)
        var kicks: [Int] = []
        if let drums {
            var drumRandom = random.split()
            var bus = renderDrums(drums, session: session, kicks: &kicks, random: &drumRandom)
            mixer.add(&bus, effects: drums.effects, level: drums.level, session: session, kicks: kicks, random: &drumRandom)
        }
        for part in parts {
            var partRandom = random.split()  // split even when silent, so one part's draws never shift another's
            guard partRandom.chance(part.presence) else { continue }
            let instrument = Instrument(partRandom.pick(part.timbres), random: &partRandom)
            let pattern = StepPattern(partRandom.pick(part.patterns))
            var track = [Float](repeating: 0, count: session.totalSamples)
            track.withUnsafeMutableBufferPointer { buffer in
                for note in PartWriter.notes(for: part, pattern: pattern, session: session, random: &partRandom) {
                    instrument.render(note, into: buffer, sampleRate: rate, random: &partRandom)
                }
            }
            mixer.add(&track, effects: part.effects, level: part.level, session: session, kicks: kicks, random: &partRandom)
        }
        var masterRandom = random.split()
        let samples = mixer.master(room: room, effects: master, session: session, random: &masterRandom)
        return Clip(samples: samples, sampleRate: sampleRate, tempo: 60 / session.groove.beatSeconds,
                    beatsPerBar: beatsPerBar, key: session.key, scale: session.progression.scale)
    }

    /// The drummer: one kit and one groove for the clip, a crash every few bars.
    private func renderDrums(_ drums: Drums, session: Session, kicks: inout [Int], random: inout SeededRandom) -> [Float] {
        let kit = random.pick(drums.kits)
        var voices = random.pick(drums.patterns).voices
        let stretch = session.groove.drumStretch
        if drums.crashEvery > 0 {
            let bar = "X" + String(repeating: ".", count: drums.crashEvery * session.groove.stepsPerBar / stretch - 1)
            voices.append((.crash, StepPattern(bar)))
        }
        let sounds = kit.render(voices.map(\.0), random: &random, sampleRate: session.sampleRate)
        var bus = [Float](repeating: 0, count: session.totalSamples)
        bus.withUnsafeMutableBufferPointer { bus in
            for (voice, pattern) in voices {
                guard let sound = sounds[voice] else { continue }
                for event in pattern.repeated(over: session.totalSteps / stretch + 1) {
                    let start = Int(session.time(ofStep: event.step * stretch, random: &random) * session.sampleRate)
                    guard start < bus.count else { continue }
                    if voice == .kick { kicks.append(start) }
                    let gain = Float(event.velocity * random.uniform(0.88...1))
                    for i in 0..<min(sound.count, bus.count - start) { bus[start + i] += gain * sound[i] }
                }
            }
        }
        return bus
    }
}

/// Sums the tracks, feeds the room reverb, then the recording chain.
private struct Mixer {
    private var mix: [Float]
    private var send: [Float]
    /// Every track's level before its mix level, so levels in the tables mean the same thing
    /// whatever the instrument's raw output.
    private static let trackLevel: Float = 0.1

    init(count: Int) {
        mix = [Float](repeating: 0, count: count)
        send = mix
    }

    mutating func add(_ track: inout [Float], effects: [Effect], level: ClosedRange<Double>, session: Session,
                      kicks: [Int], random: inout SeededRandom) {
        var sendShare = 0.0
        for effect in effects {
            sendShare += effect.apply(to: &track, session: session, kicks: kicks, random: &random)
        }
        if sendShare == 0 { sendShare = random.uniform(0.03...0.1) }  // every track is in some room
        let loudness = rootMeanSquare(track)
        guard loudness > 0 else { return }
        // The table's level plus a mixing engineer's whim of a few dB.
        let decibels = random.uniform(level) + random.uniform(-4...4)
        let gain = Mixer.trackLevel / loudness * Float(pow(10, decibels / 20))
        let sendGain = gain * Float(sendShare)
        for i in track.indices {
            mix[i] += gain * track[i]
            send[i] += sendGain * track[i]
        }
    }

    /// Reverb, master effects, the cut from the lead-in, a random recording chain and noise
    /// floor, loudness normalised to a random level, and a soft limiter.
    mutating func master(room: ClosedRange<Double>, effects: [Effect], session: Session,
                         random: inout SeededRandom) -> [Float] {
        let rate = session.sampleRate
        let wet = Effects.reverb(send, size: random.uniform(room), damping: random.uniform(0.2...0.5), sampleRate: rate)
        for i in mix.indices { mix[i] += wet[i] }
        for effect in effects {
            _ = effect.apply(to: &mix, session: session, kicks: [], random: &random)
        }
        var clip = Array(mix[session.leadInSamples...])
        record(&clip, sampleRate: rate, random: &random)
        let noise = rootMeanSquare(clip) * Float(pow(10, random.uniform(-55 ... -35) / 20))
        for i in clip.indices { clip[i] += noise * random.bipolar() }
        let target = Float(pow(10, random.uniform(-24 ... -16) / 20))
        let gain = target / max(rootMeanSquare(clip), 1e-9)
        return clip.map { limit(gain * $0) }
    }

    /// A recording chain of its own for every clip, from a different studio, desk and decade:
    /// tilt, two broad EQ bands, sometimes a narrow bandwidth. Genres then share no fixed
    /// spectral signature and must be told apart by what is played.
    private func record(_ clip: inout [Float], sampleRate: Double, random: inout SeededRandom) {
        Effects.tilt(&clip, decibels: random.uniform(-6...6), sampleRate: sampleRate)
        for _ in 0..<2 {
            Effects.bell(&clip, frequency: random.logUniform(120...6000), decibels: random.uniform(-9...9),
                         q: random.uniform(0.5...1.5), sampleRate: sampleRate)
        }
        if random.chance(0.3) { clip.filter(.lowpass, cutoff: random.logUniform(3000...9000), sampleRate: sampleRate) }
        if random.chance(0.3) { clip.filter(.highpass, cutoff: random.logUniform(60...250), sampleRate: sampleRate) }
    }

    /// Leaves everything below 0.7 alone and bends peaks smoothly under 0.98.
    private func limit(_ x: Float) -> Float {
        let magnitude = abs(x)
        guard magnitude > 0.7 else { return x }
        let limited = 0.7 + 0.28 * softClip((magnitude - 0.7) / 0.28)
        return x < 0 ? -limited : limited
    }
}
