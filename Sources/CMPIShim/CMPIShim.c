#define _GNU_SOURCE
#include "CMPIShim.h"

#include <sched.h>
#include <limits.h>
#include <mpi.h>
#include <string.h>
#include <time.h>

static MPI_Comm local_comm = MPI_COMM_NULL;

int genre_mpi_initialize(void) {
    int provided = 0;
    int status = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (status != MPI_SUCCESS) return status;
    return MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local_comm);
}

int genre_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int genre_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

int genre_mpi_local_rank(void) {
    int rank = 0;
    MPI_Comm_rank(local_comm, &rank);
    return rank;
}

int genre_mpi_local_size(void) {
    int size = 1;
    MPI_Comm_size(local_comm, &size);
    return size;
}

// MPI counts are int: longer arrays go in pieces.
static void reduce(void *values, long count, size_t size, MPI_Datatype type, MPI_Op op) {
    char *bytes = values;
    while (count > 0) {
        int piece = count > INT_MAX ? INT_MAX : (int)count;
        MPI_Allreduce(MPI_IN_PLACE, bytes, piece, type, op, MPI_COMM_WORLD);
        bytes += (size_t)piece * size;
        count -= piece;
    }
}

void genre_mpi_sum_floats(float *values, long count) { reduce(values, count, sizeof(float), MPI_FLOAT, MPI_SUM); }
void genre_mpi_sum_doubles(double *values, long count) { reduce(values, count, sizeof(double), MPI_DOUBLE, MPI_SUM); }
void genre_mpi_max_doubles(double *values, long count) { reduce(values, count, sizeof(double), MPI_DOUBLE, MPI_MAX); }
void genre_mpi_min_doubles(double *values, long count) { reduce(values, count, sizeof(double), MPI_DOUBLE, MPI_MIN); }

// MPI_Barrier spins on a core while it waits; waiting ranks sleep here instead, leaving the
// cores to the ranks still working (filling the feature cache, timing a step).
void genre_mpi_barrier(void) {
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    while (!done) {
        struct timespec pause = {0, 100000};  // 0.1 ms
        nanosleep(&pause, NULL);
        MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    }
}

void genre_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void genre_mpi_finalize(void) {
    if (local_comm != MPI_COMM_NULL) MPI_Comm_free(&local_comm);
    MPI_Finalize();
}

double genre_mpi_time(void) { return MPI_Wtime(); }

void genre_mpi_library_version(char *buffer, int capacity) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    if (capacity <= 0) return;
    size_t n = strcspn(version, "\n,");
    if (n >= (size_t)capacity) n = (size_t)capacity - 1;
    memcpy(buffer, version, n);
    buffer[n] = 0;
}

int genre_available_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}
