#ifndef GENRE_TAGLIB_H
#define GENRE_TAGLIB_H

// genre's TagLib plugin, libGenreTagLib.so (the CTagLib target: a C API over TagLib's classes,
// CTagLib.h), loaded with dlopen the first time a file's tags are read or written: linked,
// TagLib and the C++ runtime it needs cost every process ~1 ms of its start. The plugin is built
// beside the executable (`swift build` puts both in .build/<configuration>/) and is looked for
// there first, then on the library search path. Each genre_ function calls the function of the
// same name without the prefix. Call genre_ctaglib_load first.

#include "../../CTagLib/include/CTagLib.h"  // the plugin's API

#ifdef __cplusplus
extern "C" {
#endif

/// Loads the plugin once, from any thread. Returns 0, or -1 with the reason in
/// genre_ctaglib_load_error().
int genre_ctaglib_load(void);
const char *genre_ctaglib_load_error(void);

ctaglib_file *genre_ctaglib_open(const char *path, const char *type_path);
void genre_ctaglib_close(ctaglib_file *file);
ctaglib_format genre_ctaglib_file_format(const ctaglib_file *file);
int genre_ctaglib_get(ctaglib_file *file, const char *key, char ***values);
void genre_ctaglib_free_strings(char **values, int count);
int genre_ctaglib_set(ctaglib_file *file, const char *key, const char *const *values, int count);
int genre_ctaglib_has_tag(ctaglib_file *file, const char *kind);
int genre_ctaglib_save(ctaglib_file *file);

#ifdef __cplusplus
}
#endif

#endif
