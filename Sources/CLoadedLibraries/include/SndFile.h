#ifndef GENRE_SNDFILE_H
#define GENRE_SNDFILE_H

// libsndfile, loaded with dlopen the first time a file is read or written rather than when the
// process starts: it and the codecs it links (FLAC, Vorbis, Opus, mpg123, LAME) are about a
// millisecond of every start, commands that touch no audio included. Types and constants are
// libsndfile's own header; each genre_ function calls the function of the same name without the
// prefix. Call genre_sndfile_load first.

#include <sndfile.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libsndfile.so.1 once, from any thread. Returns 0, or -1 with the reason in
/// genre_sndfile_load_error().
int genre_sndfile_load(void);
const char *genre_sndfile_load_error(void);

SNDFILE *genre_sf_open(const char *path, int mode, SF_INFO *info);
SNDFILE *genre_sf_open_virtual(SF_VIRTUAL_IO *io, int mode, SF_INFO *info, void *user_data);
int genre_sf_close(SNDFILE *file);
int genre_sf_command(SNDFILE *file, int command, void *data, int size);
int genre_sf_error(SNDFILE *file);
const char *genre_sf_strerror(SNDFILE *file);
sf_count_t genre_sf_readf_float(SNDFILE *file, float *ptr, sf_count_t frames);
sf_count_t genre_sf_readf_short(SNDFILE *file, short *ptr, sf_count_t frames);
sf_count_t genre_sf_writef_float(SNDFILE *file, const float *ptr, sf_count_t frames);

#ifdef __cplusplus
}
#endif

#endif
