#ifndef GENRE_LOADING_H
#define GENRE_LOADING_H

// The pattern of every library here. A list macro names each function the project calls as
// X(library handle, result, name, (parameters), (arguments)); from it come a pointer per
// function, typed by the library's own declaration (a changed signature fails to compile), the
// genre_ wrapper that calls through it, and the dlsym that fills it. A file defines
// GENRE_LIBRARY (its name in messages), then GENRE_LOADER(prefix) and the `load` it declares,
// which opens the library with GENRE_OPEN, fills the pointers with GENRE_LOOKUP and sets
// `status` to 0.

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define GENRE_POINTER(lib, result, name, parameters, arguments) static __typeof__(&name) p_##name;

#define GENRE_WRAPPER(lib, result, name, parameters, arguments) \
    result genre_##name parameters { return p_##name arguments; }

#define GENRE_LOOKUP(lib, result, name, parameters, arguments) \
    if (!(p_##name = (__typeof__(&name))dlsym(lib, #name))) { \
        snprintf(problem, sizeof problem, "cannot load " GENRE_LIBRARY " (no %s in it)", #name); \
        return; \
    }

// genre_<prefix>_load() runs `load` once, from any thread, and returns 0 or -1;
// genre_<prefix>_load_error() says why.
#define GENRE_LOADER(prefix) \
    static pthread_once_t once = PTHREAD_ONCE_INIT; \
    static int status = -1; \
    static char problem[512] = GENRE_LIBRARY " was not loaded"; \
    static void load(void); \
    int genre_##prefix##_load(void) { \
        pthread_once(&once, load); \
        return status; \
    } \
    const char *genre_##prefix##_load_error(void) { return problem; }

// dlopen with the reason on failure.
#define GENRE_OPEN(handle, soname) \
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL); \
    if (!handle) { \
        snprintf(problem, sizeof problem, "cannot load " GENRE_LIBRARY " (%s)", dlerror()); \
        return; \
    }

#endif
