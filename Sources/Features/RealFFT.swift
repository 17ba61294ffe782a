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
///
/// Plans are FFTW_ESTIMATE (FFTW_MEASURE times candidate algorithms for ~0.5 s and picks one that
/// may differ between runs, and so would the features' last bits; it ran the 1292 transforms of a
/// 30 s clip no faster here). Even an estimate costs a new process 1.5–12 ms of planning, so the
/// plans are kept as FFTW wisdom in `$XDG_CACHE_HOME/genre/fftw-wisdom` (else
/// `~/.cache/genre/fftw-wisdom`): read back, the same plan takes < 1 ms. Wisdom holds the plan
/// FFTW_ESTIMATE chose, so the results are the same bits with or without the file; a file that
/// cannot be read or written is ignored.
private final class PlanCache: @unchecked Sendable {
    static let shared = PlanCache()
    private let lock = NSLock()
    private var plans: [Int: fftwf_plan] = [:]
    private var wisdomRead = false

    static var wisdomPath: String? {
        let environment = ProcessInfo.processInfo.environment
        guard let base = environment["XDG_CACHE_HOME"].flatMap({ $0.isEmpty ? nil : $0 })
            ?? environment["HOME"].flatMap({ $0.isEmpty ? nil : $0 + "/.cache" }) else { return nil }
        return base + "/genre/fftw-wisdom"
    }

    /// Writes the planner's wisdom next to the old file, then renames it over (other processes
    /// may be reading or writing the same file).
    private func saveWisdom(_ path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = path + ".\(getpid()).tmp"
        if fftwf_export_wisdom_to_filename(temporary) != 0, rename(temporary, path) == 0 { return }
        unlink(temporary)
    }

    func plan(size: Int) -> fftwf_plan {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[size] { return plan }
        let wisdom = Self.wisdomPath
        if !wisdomRead, let wisdom {
            wisdomRead = true
            _ = fftwf_import_wisdom_from_filename(wisdom)
        }
        // Planned on scratch buffers with FFTW's default (SIMD) alignment, which every
        // RealFFT buffer shares, so the plan can run on any of them.
        let scratchIn = fftwf_alloc_real(size)!
        let scratchOut = fftwf_alloc_complex(size / 2 + 1)!
        defer {
            fftwf_free(scratchIn)
            fftwf_free(scratchOut)
        }
        let plan: fftwf_plan
        if let known = fftwf_plan_dft_r2c_1d(Int32(size), scratchIn, scratchOut, FFTW_ESTIMATE | FFTW_WISDOM_ONLY) {
            plan = known
        } else {
            plan = fftwf_plan_dft_r2c_1d(Int32(size), scratchIn, scratchOut, FFTW_ESTIMATE)!
            if let wisdom { saveWisdom(wisdom) }
        }
        plans[size] = plan
        return plan
    }
}
