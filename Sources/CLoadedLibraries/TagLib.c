#include "TagLib.h"
#include "Loading.h"

#include <string.h>
#include <unistd.h>

#define GENRE_LIBRARY "genre's TagLib plugin"
#define GENRE_PLUGIN "libGenreTagLib.so"

#define GENRE_CTAGLIB_FUNCTIONS(X) \
    X(lib, ctaglib_file *, ctaglib_open, (const char *path, const char *type_path), (path, type_path)) \
    X(lib, void, ctaglib_close, (ctaglib_file *file), (file)) \
    X(lib, ctaglib_format, ctaglib_file_format, (const ctaglib_file *file), (file)) \
    X(lib, int, ctaglib_get, (ctaglib_file *file, const char *key, char ***values), (file, key, values)) \
    X(lib, void, ctaglib_free_strings, (char **values, int count), (values, count)) \
    X(lib, int, ctaglib_set, (ctaglib_file *file, const char *key, const char *const *values, int count), \
        (file, key, values, count)) \
    X(lib, int, ctaglib_has_tag, (ctaglib_file *file, const char *kind), (file, kind)) \
    X(lib, int, ctaglib_save, (ctaglib_file *file), (file))

GENRE_CTAGLIB_FUNCTIONS(GENRE_POINTER)
GENRE_CTAGLIB_FUNCTIONS(GENRE_WRAPPER)

GENRE_LOADER(ctaglib)

static void load(void) {
    // Beside the executable first (the plugin is built with it), then the library search path.
    char beside[4096];
    ssize_t length = readlink("/proc/self/exe", beside, sizeof beside - sizeof GENRE_PLUGIN);
    if (length > 0) beside[length] = 0;
    char *slash = length > 0 ? strrchr(beside, '/') : NULL;
    void *lib = NULL;
    if (slash) {
        memcpy(slash + 1, GENRE_PLUGIN, sizeof GENRE_PLUGIN);
        lib = dlopen(beside, RTLD_NOW | RTLD_LOCAL);
        if (!lib) snprintf(problem, sizeof problem, "cannot load " GENRE_LIBRARY " (%s)", dlerror());
    }
    if (!lib && !(lib = dlopen(GENRE_PLUGIN, RTLD_NOW | RTLD_LOCAL))) {
        if (!slash) snprintf(problem, sizeof problem, "cannot load " GENRE_LIBRARY " (%s)", dlerror());
        return;
    }
    GENRE_CTAGLIB_FUNCTIONS(GENRE_LOOKUP)
    status = 0;
}
