#include "SndFile.h"
#include "Loading.h"

#define GENRE_LIBRARY "libsndfile"

#define GENRE_SNDFILE_FUNCTIONS(X) \
    X(lib, SNDFILE *, sf_open, (const char *path, int mode, SF_INFO *info), (path, mode, info)) \
    X(lib, SNDFILE *, sf_open_virtual, (SF_VIRTUAL_IO *io, int mode, SF_INFO *info, void *user_data), (io, mode, info, user_data)) \
    X(lib, int, sf_close, (SNDFILE *file), (file)) \
    X(lib, int, sf_command, (SNDFILE *file, int command, void *data, int size), (file, command, data, size)) \
    X(lib, int, sf_error, (SNDFILE *file), (file)) \
    X(lib, const char *, sf_strerror, (SNDFILE *file), (file)) \
    X(lib, sf_count_t, sf_readf_float, (SNDFILE *file, float *ptr, sf_count_t frames), (file, ptr, frames)) \
    X(lib, sf_count_t, sf_readf_short, (SNDFILE *file, short *ptr, sf_count_t frames), (file, ptr, frames)) \
    X(lib, sf_count_t, sf_writef_float, (SNDFILE *file, const float *ptr, sf_count_t frames), (file, ptr, frames))

GENRE_SNDFILE_FUNCTIONS(GENRE_POINTER)
GENRE_SNDFILE_FUNCTIONS(GENRE_WRAPPER)

GENRE_LOADER(sndfile)

static void load(void) {
    GENRE_OPEN(lib, "libsndfile.so.1")
    GENRE_SNDFILE_FUNCTIONS(GENRE_LOOKUP)
    status = 0;
}
