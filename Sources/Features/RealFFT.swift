internal import CFFTW
import Basics
import Glibc

/// The power spectrum |X[k]|² (k = 0…size/2) of `size` real samples, on FFTW.
///
/// The real signal is transformed as size/2 complex points z[m] = x[2m] + i·x[2m+1] (the input
/// buffer read as interleaved complex numbers) and the spectrum of the real signal is untangled
/// from Z in a pass (vectorised by LLVM) that also squares it: X[k] = E[k] + W^k·O[k], where
/// E[k] = (Z[k] + Z*[M−k]) / 2 and O[k] = (Z[k] − Z*[M−k]) / 2i are the even and odd samples'
/// spectra and W = e^(−2πi/size). FFTW's own real-input plan does the same split, but its
/// estimated plan for 2048 points does it in SSE2 at two thirds of the transform's time.
public final class RealFFT {
    public let size: Int
    /// `size` real inputs.
    public let input: UnsafeMutablePointer<Float>
    /// Z: size/2 complex outputs, interleaved (re, im), then Z[0] again so every k has its
    /// Z[M−k].
    private let half: UnsafeMutablePointer<Float>
    /// cos(2πk/size) and −sin(2πk/size) for k < size/2.
    private let cosines: [Float]
    private let sines: [Float]
    private let plan: fftwf_plan

    public init(size: Int) {
        precondition(size > 0 && size % 2 == 0, "FFT size must be even")
        self.size = size
        let m = size / 2
        input = fftwf_alloc_real(size)!
        half = UnsafeMutableRawPointer(fftwf_alloc_complex(m + 1)!).bindMemory(to: Float.self, capacity: 2 * m + 2)
        (cosines, sines) = Self.twiddles(size: size)
        plan = PlanCache.shared.plan(complexSize: m)
    }

    /// cos(2πk/n) and −sin(2πk/n) for k < n/2. When n is a multiple of 4 both come from a
    /// quarter wave of cosines (cos(π − θ) = −cos θ, sin θ = cos(π/2 − θ)): an eighth of the calls.
    private static func twiddles(size n: Int) -> (cosines: [Float], sines: [Float]) {
        let m = n / 2
        func angle(_ k: Int) -> Double { 2 * Double.pi * Double(k) / Double(n) }
        guard n % 4 == 0 else { return ((0..<m).map { Float(cos(angle($0))) }, (0..<m).map { Float(-sin(angle($0))) }) }
        let quarter = n / 4
        let wave = (0...quarter).map { cos(angle($0)) }
        let cosines = (0..<m).map { k in Float(k <= quarter ? wave[k] : -wave[m - k]) }
        let sines = (0..<m).map { k in Float(k <= quarter ? -wave[quarter - k] : -wave[k - quarter]) }
        return (cosines, sines)
    }

    deinit {
        fftwf_free(input)
        fftwf_free(half)
    }

    /// Transforms `input` and writes |X[k]|² to `power[k]` for k = 0…size/2.
    public func power(into power: UnsafeMutablePointer<Float>) {
        let m = size / 2
        input.withMemoryRebound(to: fftwf_complex.self, capacity: m) { z in
            half.withMemoryRebound(to: fftwf_complex.self, capacity: m + 1) { fftwf_execute_dft(plan, z, $0) }
        }
        half[2 * m] = half[0]
        half[2 * m + 1] = half[1]
        // A plain loop over bins, written so that LLVM vectorises it (stride-2 loads, reversed B).
        let z = half
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                for k in 0..<m {
                    let ar = z[2 * k], ai = z[2 * k + 1], br = z[2 * (m - k)], bi = z[2 * (m - k) + 1]
                    let c = cosines[k], s = sines[k]
                    let sumR = ar + br, differenceR = ar - br, sumI = ai + bi, differenceI = ai - bi
                    let x = 0.5 * (sumR + c * sumI + s * differenceR), y = 0.5 * (differenceI - c * differenceR + s * sumI)
                    power[k] = x * x + y * y
                }
            }
        }
        let nyquist = z[0] - z[1]
        power[m] = nyquist * nyquist
    }
}

/// One FFTW plan per size for the life of the process, created under a lock.
///
/// Plans are FFTW_ESTIMATE: FFTW_MEASURE times candidate algorithms for ~0.5 s and picks one that
/// may differ between runs, and so would the features' last bits; it ran the 1292 transforms of a
/// 30 s clip no faster here. An estimate is cheap: the planner's set-up and the plan of a
/// 2048-point transform are 1.5 M instructions of a `genre features` run, where reading the same
/// plan back from a wisdom file took 2.9 M (the file is parsed and hashed), so none is kept.
private final class PlanCache: @unchecked Sendable {
    static let shared = PlanCache()
    private let lock = Lock()
    private var plans: [Int: fftwf_plan] = [:]

    /// The forward complex transform of `complexSize` points.
    func plan(complexSize size: Int) -> fftwf_plan {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[size] { return plan }
        // Planned on scratch buffers with FFTW's default (SIMD) alignment, which every
        // RealFFT buffer shares, so the plan can run on any of them.
        let scratchIn = fftwf_alloc_complex(size)!
        let scratchOut = fftwf_alloc_complex(size + 1)!
        defer {
            fftwf_free(scratchIn)
            fftwf_free(scratchOut)
        }
        let plan = fftwf_plan_dft_1d(Int32(size), scratchIn, scratchOut, FFTW_FORWARD, FFTW_ESTIMATE)!
        plans[size] = plan
        return plan
    }
}
