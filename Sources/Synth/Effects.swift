import Glibc

/// tanh to within 2 % and exactly ±1 beyond ±3: the soft clipper of amplifiers and tape.
@inline(__always)
func softClip(_ x: Float) -> Float {
    if x >= 3 { return 1 }
    if x <= -3 { return -1 }
    let square = x * x
    return x * (27 + square) / (27 + 9 * square)
}

/// Buffer-wide effects. Each works in place on one track (or on the mix) at `sampleRate`.
enum Effects {
    /// Overdrive: gain into a soft clipper. `amount` 0 is clean, 1 is a fuzz box; the output
    /// level is pulled back so drive changes the tone, not the loudness.
    static func drive(_ samples: inout [Float], amount: Double) {
        let gain = Float(pow(10, 2 * amount))  // up to +40 dB into the clipper
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        guard peak > 0 else { return }
        let pre = gain / peak
        samples.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = softClip(pre * buffer[i]) * peak }
        }
    }

    /// A tape-style echo: repeats that darken as they fade (a lowpass in the feedback loop).
    static func echo(_ samples: inout [Float], delay: Double, feedback: Double, mix: Double, sampleRate: Double) {
        let delaySamples = max(1, Int(delay * sampleRate))
        var wet = [Float](repeating: 0, count: samples.count)
        var tone = OnePole(cutoff: 2500, sampleRate: sampleRate)
        let feedbackGain = Float(feedback)
        samples.withUnsafeMutableBufferPointer { dry in
            wet.withUnsafeMutableBufferPointer { wet in
                for i in delaySamples..<dry.count {
                    wet[i] = tone.lowpass(dry[i - delaySamples] + feedbackGain * wet[i - delaySamples])
                }
                let mixGain = Float(mix)
                for i in dry.indices { dry[i] += mixGain * wet[i] }
            }
        }
    }

    /// Mono Freeverb: four damped combs in parallel, two allpasses in series. Returns only the
    /// reverberated signal; `size` in [0, 1] sets the decay, `damping` the loss of highs.
    static func reverb(_ samples: [Float], size: Double, damping: Double, sampleRate: Double) -> [Float] {
        let scale = sampleRate / 44100
        let combLengths = [1116, 1188, 1277, 1356].map { max(1, Int(Double($0) * scale)) }
        let allpassLengths = [556, 441].map { max(1, Int(Double($0) * scale)) }
        let feedback = Float(0.7 + 0.28 * size)
        let damp = Float(damping)
        var output = [Float](repeating: 0, count: samples.count)
        samples.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                for length in combLengths {
                    var line = [Float](repeating: 0, count: length)
                    var position = 0
                    var filtered: Float = 0
                    for i in input.indices {
                        let delayed = line[position]
                        filtered = delayed + damp * (filtered - delayed)
                        line[position] = input[i] * 0.25 + feedback * filtered
                        output[i] += delayed
                        position = position + 1 == length ? 0 : position + 1
                    }
                }
                for length in allpassLengths {
                    var line = [Float](repeating: 0, count: length)
                    var position = 0
                    for i in output.indices {
                        let delayed = line[position]
                        line[position] = output[i] + 0.5 * delayed
                        output[i] = delayed - output[i]
                        position = position + 1 == length ? 0 : position + 1
                    }
                }
            }
        }
        return output
    }

    /// Sidechain "pumping": the track ducks by `depth` at each trigger and swells back.
    static func pump(_ samples: inout [Float], triggers: [Int], depth: Double, recovery: Double, sampleRate: Double) {
        let ratio = Float(exp(-1 / (recovery * sampleRate)))
        var duck: Float = 0
        var next = triggers.sorted().makeIterator()
        var upcoming = next.next()
        samples.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                while let trigger = upcoming, trigger <= i {
                    duck = Float(depth)
                    upcoming = next.next()
                }
                buffer[i] *= 1 - duck
                duck *= ratio
            }
        }
    }

    /// A resonant lowpass whose cutoff sweeps on a slow sine, the filter ride of dance music.
    static func sweep(_ samples: inout [Float], centre: Double, octaves: Double, period: Double, phase: Double,
                      sampleRate: Double) {
        let block = 32
        var svf = StateVariableFilter(cutoff: centre, q: 1.2, sampleRate: sampleRate)
        samples.withUnsafeMutableBufferPointer { buffer in
            for start in stride(from: 0, to: buffer.count, by: block) {
                let time = Double(start) / sampleRate
                let cutoff = centre * pow(2, octaves * sin(2 * Double.pi * (time / period + phase)))
                svf.tune(cutoff: cutoff, q: 1.2, sampleRate: sampleRate)
                for i in start..<min(start + block, buffer.count) {
                    buffer[i] = svf.process(buffer[i]).lowpass
                }
            }
        }
    }

    /// A peaking equaliser: `decibels` of boost or cut in a band around `frequency`.
    static func bell(_ samples: inout [Float], frequency: Double, decibels: Double, q: Double, sampleRate: Double) {
        var svf = StateVariableFilter(cutoff: frequency, q: q, sampleRate: sampleRate)
        // The band output times 1/q has unity gain at the centre.
        let bandGain = Float((pow(10, decibels / 20) - 1) / q)
        samples.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] += bandGain * svf.process(buffer[i]).bandpass }
        }
    }

    /// A gentle spectral tilt around 800 Hz, `decibels` > 0 brighter: the tone of a different
    /// recording chain, so no single band's level gives a genre away.
    static func tilt(_ samples: inout [Float], decibels: Double, sampleRate: Double) {
        var split = OnePole(cutoff: 800, sampleRate: sampleRate)
        let lowGain = Float(pow(10, -decibels / 40))
        let highGain = Float(pow(10, decibels / 40))
        samples.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                let low = split.lowpass(buffer[i])
                buffer[i] = lowGain * low + highGain * (buffer[i] - low)
            }
        }
    }
}
