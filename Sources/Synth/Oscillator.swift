/// The basic oscillator shapes. Saw and square are band-limited with PolyBLEP, so high notes
/// do not fold back into the audible band as inharmonic whistles.
public enum Waveform: Sendable {
    case sine, triangle, saw, square
    /// A pulse with this duty cycle (0.5 is a square).
    case pulse(Float)
}

/// Sine of `phase` turns (one turn = 2π) for phase in [0, 1); a polynomial good to about 1e-4,
/// several times faster than `sin` in the inner loops.
@inline(__always)
func fastSine(_ phase: Float) -> Float {
    // Fold to [-0.5, 0.5) turns, then Bhaskara-style parabola with one correction step.
    let x = phase < 0.5 ? phase : phase - 1
    let parabola = 8 * x * (1 - 2 * abs(x))
    return parabola * (0.775 + 0.225 * abs(parabola))
}

/// The PolyBLEP residual that smooths a unit step at phase 0 over one sample on each side.
@inline(__always)
private func polyBLEP(_ phase: Float, _ increment: Float) -> Float {
    if phase < increment {
        let t = phase / increment
        return t + t - t * t - 1
    }
    if phase > 1 - increment {
        let t = (phase - 1) / increment
        return t * t + t + t + 1
    }
    return 0
}

/// A phase-accumulating oscillator; the frequency is given per sample as a phase increment
/// (cycles per sample), so callers can bend and modulate it.
struct Oscillator {
    let waveform: Waveform
    var phase: Float

    init(_ waveform: Waveform, phase: Float = 0) {
        self.waveform = waveform
        self.phase = phase
    }

    @inline(__always)
    mutating func next(increment: Float) -> Float {
        let value: Float
        switch waveform {
        case .sine:
            value = fastSine(phase)
        case .triangle:
            value = 4 * abs(phase - 0.5) - 1
        case .saw:
            value = 2 * phase - 1 - polyBLEP(phase, increment)
        case .square:
            value = pulse(width: 0.5, increment: increment)
        case .pulse(let width):
            value = pulse(width: width, increment: increment)
        }
        phase += increment
        if phase >= 1 { phase -= 1 }
        return value
    }

    @inline(__always)
    private func pulse(width: Float, increment: Float) -> Float {
        var falling = phase - width
        if falling < 0 { falling += 1 }
        let naive: Float = phase < width ? 1 : -1
        return naive + polyBLEP(phase, increment) - polyBLEP(falling, increment)
    }
}
