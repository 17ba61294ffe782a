#define _GNU_SOURCE
#include "CMPIShim.h"

#include <dlfcn.h>
#include <sched.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

// libmpi (with Open RTE, Open PAL, hwloc, libevent...) is loaded with dlopen by
// genre_mpi_initialize, which runs only under a launcher: a plain run never maps it, and the
// build needs no MPI headers or -lmpi. What follows is the part of Open MPI's ABI (libmpi.so.40,
// Open MPI 4 and 5; mpi.h) these calls use: handles are pointers to opaque structs, and the
// predefined ones (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of the ompi_mpi_*
// objects mpi.h's macros name.
typedef struct ompi_communicator_t *MPI_Comm;
typedef struct ompi_datatype_t *MPI_Datatype;
typedef struct ompi_info_t *MPI_Info;
typedef struct ompi_op_t *MPI_Op;
typedef struct ompi_request_t *MPI_Request;
typedef struct ompi_status_public_t MPI_Status;
enum { MPI_SUCCESS = 0, MPI_THREAD_FUNNELED = 1, MPI_COMM_TYPE_SHARED = 0, MPI_MAX_LIBRARY_VERSION_STRING = 256 };
#define MPI_IN_PLACE ((void *)1)
#define MPI_STATUS_IGNORE ((MPI_Status *)0)

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided);
int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info, MPI_Comm *newcomm);
int MPI_Comm_rank(MPI_Comm comm, int *rank);
int MPI_Comm_size(MPI_Comm comm, int *size);
int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op, MPI_Comm comm);
int MPI_Ibarrier(MPI_Comm comm, MPI_Request *request);
int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status);
int MPI_Abort(MPI_Comm comm, int errorcode);
int MPI_Comm_free(MPI_Comm *comm);
int MPI_Finalize(void);
double MPI_Wtime(void);
int MPI_Get_library_version(char *version, int *resultlen);

#define GENRE_MPI_FUNCTIONS(X) \
    X(MPI_Init_thread) X(MPI_Comm_split_type) X(MPI_Comm_rank) X(MPI_Comm_size) X(MPI_Allreduce) \
    X(MPI_Ibarrier) X(MPI_Test) X(MPI_Abort) X(MPI_Comm_free) X(MPI_Finalize) X(MPI_Wtime) \
    X(MPI_Get_library_version)
#define GENRE_MPI_HANDLES(X) \
    X(MPI_Comm, ompi_mpi_comm_world) X(MPI_Info, ompi_mpi_info_null) X(MPI_Datatype, ompi_mpi_float) \
    X(MPI_Datatype, ompi_mpi_double) X(MPI_Op, ompi_mpi_op_sum) X(MPI_Op, ompi_mpi_op_max) X(MPI_Op, ompi_mpi_op_min)

#define GENRE_POINTER(name) static __typeof__(&name) p_##name;
GENRE_MPI_FUNCTIONS(GENRE_POINTER)
#define GENRE_HANDLE(type, name) static type h_##name;
GENRE_MPI_HANDLES(GENRE_HANDLE)

#define WORLD h_ompi_mpi_comm_world

static MPI_Comm local_comm = NULL;
static char problem[512] = "MPI was not loaded";

// Open MPI's components are libraries of their own that resolve libmpi's symbols globally.
static int load(void) {
    static const char *names[] = {"libmpi.so.40", "libmpi.so"};
    void *mpi = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !mpi; i++) mpi = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (!mpi) {
        snprintf(problem, sizeof problem, "cannot load Open MPI (%s)", dlerror());
        return -1;
    }
#define GENRE_LOOKUP(name) \
    if (!(p_##name = (__typeof__(&name))dlsym(mpi, #name))) { \
        snprintf(problem, sizeof problem, "cannot load Open MPI (no %s in libmpi)", #name); \
        return -1; \
    }
    GENRE_MPI_FUNCTIONS(GENRE_LOOKUP)
#define GENRE_LOOKUP_HANDLE(type, name) \
    if (!(h_##name = (type)dlsym(mpi, #name))) { \
        snprintf(problem, sizeof problem, "cannot load Open MPI (no %s in libmpi)", #name); \
        return -1; \
    }
    GENRE_MPI_HANDLES(GENRE_LOOKUP_HANDLE)
    return 0;
}

const char *genre_mpi_load_error(void) { return problem; }

int genre_mpi_initialize(void) {
    if (load() != 0) return -1;
    int provided = 0;
    int status = p_MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (status != MPI_SUCCESS) return status;
    return p_MPI_Comm_split_type(WORLD, MPI_COMM_TYPE_SHARED, 0, h_ompi_mpi_info_null, &local_comm);
}

int genre_mpi_rank(void) {
    int rank = 0;
    p_MPI_Comm_rank(WORLD, &rank);
    return rank;
}

int genre_mpi_size(void) {
    int size = 1;
    p_MPI_Comm_size(WORLD, &size);
    return size;
}

int genre_mpi_local_rank(void) {
    int rank = 0;
    p_MPI_Comm_rank(local_comm, &rank);
    return rank;
}

int genre_mpi_local_size(void) {
    int size = 1;
    p_MPI_Comm_size(local_comm, &size);
    return size;
}

// MPI counts are int: longer arrays go in pieces.
static void reduce(void *values, long count, size_t size, MPI_Datatype type, MPI_Op op) {
    char *bytes = values;
    while (count > 0) {
        int piece = count > INT_MAX ? INT_MAX : (int)count;
        p_MPI_Allreduce(MPI_IN_PLACE, bytes, piece, type, op, WORLD);
        bytes += (size_t)piece * size;
        count -= piece;
    }
}

void genre_mpi_sum_floats(float *values, long count) { reduce(values, count, sizeof(float), h_ompi_mpi_float, h_ompi_mpi_op_sum); }
void genre_mpi_sum_doubles(double *values, long count) { reduce(values, count, sizeof(double), h_ompi_mpi_double, h_ompi_mpi_op_sum); }
void genre_mpi_max_doubles(double *values, long count) { reduce(values, count, sizeof(double), h_ompi_mpi_double, h_ompi_mpi_op_max); }
void genre_mpi_min_doubles(double *values, long count) { reduce(values, count, sizeof(double), h_ompi_mpi_double, h_ompi_mpi_op_min); }

// MPI_Barrier spins on a core while it waits; waiting ranks sleep here instead, leaving the
// cores to the ranks still working (filling the feature cache, timing a step).
void genre_mpi_barrier(void) {
    MPI_Request request;
    p_MPI_Ibarrier(WORLD, &request);
    int done = 0;
    p_MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    while (!done) {
        struct timespec pause = {0, 100000};  // 0.1 ms
        nanosleep(&pause, NULL);
        p_MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    }
}

void genre_mpi_abort(int code) { p_MPI_Abort(WORLD, code); }

void genre_mpi_finalize(void) {
    if (local_comm != NULL) p_MPI_Comm_free(&local_comm);
    p_MPI_Finalize();
}

double genre_mpi_time(void) { return p_MPI_Wtime(); }

void genre_mpi_library_version(char *buffer, int capacity) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    p_MPI_Get_library_version(version, &length);
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
