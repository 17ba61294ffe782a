import Basics
import FoundationEssentials
import Glibc
import Synchronization

/// The vector instructions the kernels use. Everything is built for AVX2 + FMA; the GEMM's
/// inner loops and the depthwise sliding kernel also exist compiled for AVX-512 (module
/// EngineAVX512) and run where the CPU has it (twice the multiply-adds per instruction).
/// `GENRE_SIMD=avx2` keeps a process on AVX2; other values are ignored.
public enum InstructionSet: String, Sendable, CaseIterable {
    case avx2
    case avx512

    /// The widest set this CPU (and its operating system) supports.
    public static let detected: InstructionSet = cpuHasAVX512() ? .avx512 : .avx2

    /// What this CPU can run, narrowest first.
    public static var supported: [InstructionSet] { detected == .avx512 ? [.avx2, .avx512] : [.avx2] }

    private static let selected = Atomic<Int>(initialSelection == .avx512 ? 1 : 0)

    /// The set the kernels use now: `detected`, unless GENRE_SIMD or a test chose a narrower one.
    public static var active: InstructionSet {
        get { selected.load(ordering: .relaxed) == 1 ? .avx512 : .avx2 }
        set {
            precondition(supported.contains(newValue), "this CPU does not support \(newValue.rawValue)")
            selected.store(newValue == .avx512 ? 1 : 0, ordering: .relaxed)
        }
    }

    private static var initialSelection: InstructionSet {
        let requested = Environment["GENRE_SIMD"].flatMap(InstructionSet.init(rawValue:))
        return requested.map { supported.contains($0) ? $0 : detected } ?? detected
    }

    /// The instructions of EngineAVX512 (compiled for skylake-avx512) need F, CD, BW, DQ and VL.
    /// Linux lists a flag only when the kernel also saves the AVX-512 registers.
    private static func cpuHasAVX512() -> Bool {
        #if arch(x86_64) && os(Linux)
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        #else
        return false
        #endif
    }
}
