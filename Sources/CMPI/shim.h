// MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, ...) are macros Swift cannot import; Sources/CMPIShim
// wraps the few calls training needs in a C API. This module only carries MPI's pkg-config flags
// (include path, -lmpi) to the targets that depend on it.
