import Glibc

enum FilterMode {
    case lowpass, bandpass, highpass
}

/// The outputs of a state-variable filter for one sample.
struct FilterOutputs {
    let lowpass: Float
    let bandpass: Float
    let highpass: Float

    @inline(__always)
    subscript(mode: FilterMode) -> Float {
        switch mode {
        case .lowpass: lowpass
        case .bandpass: bandpass
        case .highpass: highpass
        }
    }
}

/// Zavalishin's topology-preserving state-variable filter: stays stable and click-free when
/// the cutoff moves every few samples, as it does under envelopes and sweeps.
struct StateVariableFilter {
    private var state1: Float = 0
    private var state2: Float = 0
    private var damping: Float = 1.4
    private var a1: Float = 0
    private var a2: Float = 0
    private var a3: Float = 0

    init(cutoff: Double, q: Double, sampleRate: Double) {
        tune(cutoff: cutoff, q: q, sampleRate: sampleRate)
    }

    /// `q` 0.7 is flat; higher values ring at the cutoff.
    mutating func tune(cutoff: Double, q: Double, sampleRate: Double) {
        let g = Float(tan(Double.pi * min(max(cutoff, 10), 0.45 * sampleRate) / sampleRate))
        damping = Float(1 / q)
        a1 = 1 / (1 + g * (g + damping))
        a2 = g * a1
        a3 = g * a2
    }

    @inline(__always)
    mutating func process(_ input: Float) -> FilterOutputs {
        let v3 = input - state2
        let v1 = a1 * state1 + a2 * v3
        let v2 = state2 + a2 * state1 + a3 * v3
        state1 = 2 * v1 - state1
        state2 = 2 * v2 - state2
        return FilterOutputs(lowpass: v2, bandpass: v1, highpass: input - damping * v1 - v2)
    }
}

/// A one-pole lowpass: 6 dB per octave, for tone controls and smoothing.
struct OnePole {
    private var state: Float = 0
    private let coefficient: Float

    init(cutoff: Double, sampleRate: Double) {
        coefficient = Float(1 - exp(-2 * Double.pi * cutoff / sampleRate))
    }

    @inline(__always)
    mutating func lowpass(_ input: Float) -> Float {
        state += coefficient * (input - state)
        return state
    }
}

extension Array where Element == Float {
    /// Runs a state-variable filter over the whole buffer, keeping one of its outputs.
    mutating func filter(_ mode: FilterMode, cutoff: Double, q: Double = 0.707, sampleRate: Double) {
        var svf = StateVariableFilter(cutoff: cutoff, q: q, sampleRate: sampleRate)
        withUnsafeMutableBufferPointer { samples in
            for i in samples.indices {
                samples[i] = svf.process(samples[i])[mode]
            }
        }
    }
}
