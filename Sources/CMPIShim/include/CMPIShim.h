#ifndef CMPISHIM_H
#define CMPISHIM_H

// The MPI calls of data-parallel training, on MPI_COMM_WORLD, without MPI's macros. Errors use
// MPI's default handler (MPI_ERRORS_ARE_FATAL): a failed call or a dead peer aborts the job.
// Every function but genre_mpi_initialize must follow a successful genre_mpi_initialize.

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libmpi (dlopen: a process that never calls this never maps it), then MPI_Init_thread
/// asking for MPI_THREAD_FUNNELED (only the main thread calls MPI). Returns 0, -1 when libmpi
/// cannot be loaded (the reason in genre_mpi_load_error()), or MPI's error code.
int genre_mpi_initialize(void);
const char *genre_mpi_load_error(void);
/// Rank and size in MPI_COMM_WORLD.
int genre_mpi_rank(void);
int genre_mpi_size(void);
/// Rank and size among the processes sharing this machine's memory (MPI_COMM_TYPE_SHARED).
int genre_mpi_local_rank(void);
int genre_mpi_local_size(void);
/// In-place sums over every rank (MPI_Allreduce with MPI_IN_PLACE and MPI_SUM).
void genre_mpi_sum_floats(float *values, long count);
void genre_mpi_sum_doubles(double *values, long count);
/// In-place maxima and minima over every rank.
void genre_mpi_max_doubles(double *values, long count);
void genre_mpi_min_doubles(double *values, long count);
/// Returns once every rank has called it; sleeps (rather than spins) while it waits.
void genre_mpi_barrier(void);
/// Ends every process of the job with `code`.
void genre_mpi_abort(int code);
void genre_mpi_finalize(void);
/// MPI_Wtime.
double genre_mpi_time(void);
/// The library's version line (MPI_Get_library_version), first line only.
void genre_mpi_library_version(char *buffer, int capacity);

/// The cores this process may run on (mpirun binds each rank to some), 0 when unknown. Needs no MPI.
int genre_available_cores(void);

#ifdef __cplusplus
}
#endif

#endif
