internal import CFFTW
import Foundation

/// A real-to-complex FFT of one size on FFTW, with its own aligned buffers.
/// Plans are made once per size and shared: FFTW's planner is not thread-safe, so plan
/// creation is serialised; executing a shared plan on separate buffers is safe.
final class RealFFT {
    let size: Int
    /// `size` real inputs.
    let input: UnsafeMutablePointer<Float>
    /// `size / 2 + 1` complex outputs, interleaved (re, im).
    let output: UnsafeMutablePointer<Float>
    private let plan: fftwf_plan

    init(size: Int) {
        precondition(size > 0 && size % 2 == 0, "FFT size must be even")
        self.size = size
        input = fftwf_alloc_real(size)!
        output = UnsafeMutableRawPointer(fftwf_alloc_complex(size / 2 + 1)!).bindMemory(to: Float.self, capacity: size + 2)
        plan = PlanCache.shared.plan(size: size)
    }

    deinit {
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Transforms `input` into `output`.
    func execute() {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: size / 2 + 1) {
            fftwf_execute_dft_r2c(plan, input, $0)
        }
    }
}

/// One FFTW plan per size for the life of the process, created under a lock.
private final class PlanCache: @unchecked Sendable {
    static let shared = PlanCache()
    private let lock = NSLock()
    private var plans: [Int: fftwf_plan] = [:]

    func plan(size: Int) -> fftwf_plan {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[size] { return plan }
        // Planned on scratch buffers with FFTW's default (SIMD) alignment, which every
        // RealFFT buffer shares, so the plan can run on any of them.
        let scratchIn = fftwf_alloc_real(size)!
        let scratchOut = fftwf_alloc_complex(size / 2 + 1)!
        defer {
            fftwf_free(scratchIn)
            fftwf_free(scratchOut)
        }
        let plan = fftwf_plan_dft_r2c_1d(Int32(size), scratchIn, scratchOut, FFTW_ESTIMATE)!
        plans[size] = plan
        return plan
    }
}
