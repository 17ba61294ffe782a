import Basics
import CMPIShim
import FoundationEssentials
import Glibc
import GenreKit

/// MPI_COMM_WORLD as a `ProcessGroup`: the ranks `mpirun` (or `srun`) started.
///
/// MPI is initialised only when the process was launched by one of them (`join()` looks for the
/// variables they set), so a plain `genre train` never touches MPI. Errors use MPI's default
/// handler, which aborts the whole job: when a rank dies, `mpirun` ends the others and exits
/// non-zero.
public final class MPIGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    public let localRank: Int
    public let localSize: Int

    /// True when a launcher started this process as one rank of a job: Open MPI's `mpirun` sets
    /// OMPI_COMM_WORLD_SIZE, PMIx launchers (`srun --mpi=pmix`, `prterun`) set PMIX_RANK.
    public static var isLaunched: Bool {
        Environment["OMPI_COMM_WORLD_SIZE"] != nil || Environment["PMIX_RANK"] != nil
    }

    /// The job's group when launched by mpirun (MPI_Init runs here, once), else nil.
    public static func join() throws -> MPIGroup? {
        guard isLaunched else { return nil }
        if let shared { return shared }
        let status = genre_mpi_initialize()
        if status == -1 { throw TrainingError(String(cString: genre_mpi_load_error())) }
        guard status == 0 else { throw TrainingError("MPI_Init failed (MPI error \(status))") }
        let group = MPIGroup()
        shared = group
        return group
    }

    nonisolated(unsafe) private static var shared: MPIGroup?

    private init() {
        rank = Int(genre_mpi_rank())
        size = Int(genre_mpi_size())
        localRank = Int(genre_mpi_local_rank())
        localSize = Int(genre_mpi_local_size())
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        genre_mpi_sum_floats(base, values.count)
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        genre_mpi_sum_doubles(base, values.count)
    }

    public func maximum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        genre_mpi_max_doubles(base, values.count)
    }

    public func minimum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        genre_mpi_min_doubles(base, values.count)
    }

    public func barrier() { genre_mpi_barrier() }

    /// Seconds on MPI's clock.
    public func time() -> Double { genre_mpi_time() }

    /// A clean end of this rank (every rank must call it).
    public func finalize() { genre_mpi_finalize() }

    /// Ends every rank of the job at once with `code`; mpirun exits non-zero.
    public func abort(_ code: Int32) -> Never {
        genre_mpi_abort(code)
        exit(code)
    }

    /// The cores this process may run on (its affinity); needs no MPI.
    public static var availableCores: Int {
        let bound = Int(genre_available_cores())
        return bound > 0 ? bound : ProcessInfo.processInfo.activeProcessorCount
    }

    /// Worker threads for this rank: the cores it is bound to, shared with the other ranks of its
    /// machine when it is not bound.
    public var workerThreads: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let bound = Int(genre_available_cores())
        return max(1, min(bound > 0 ? bound : cores, cores / localSize))
    }

    /// "Open MPI v4.1.4" or what the library calls itself.
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: 256)
        genre_mpi_library_version(&buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
