// libsndfile decodes MP3 through libmpg123 without mpg123's QUIET flag, and mpg123 then prints
// its notes on damaged frames ("[src/libmpg123/layer3.c:…] error: dequantization failed!") on
// stderr, without a file name, between genre's own lines. The genre executable exports this
// mpg123_new (Package.swift: --export-dynamic-symbol); the dynamic linker binds libsndfile's call
// to it, as the executable comes first in the lookup, and it makes the handle with libmpg123's
// own function and sets the flag. In a test or fuzz binary, which does not export it, libsndfile
// calls libmpg123 directly.

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

typedef struct mpg123_handle_struct mpg123_handle;
mpg123_handle *mpg123_new(const char *decoder, int *error);

static mpg123_handle *(*real_new)(const char *, int *);
static int (*real_param)(mpg123_handle *, int, long, double);
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void resolve(void) {
    // Already loaded with libsndfile (its dependency, in its own scope): found, not loaded again.
    void *library = dlopen("libmpg123.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (!library) library = dlopen("libmpg123.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
    real_new = (mpg123_handle *(*)(const char *, int *))dlsym(library, "mpg123_new");
    real_param = (int (*)(mpg123_handle *, int, long, double))dlsym(library, "mpg123_param");
}

mpg123_handle *mpg123_new(const char *decoder, int *error) {
    enum { MPG123_ERR = -1, MPG123_ADD_FLAGS = 2, MPG123_QUIET = 0x20 };  // mpg123.h
    pthread_once(&once, resolve);
    if (!real_new) {
        if (error) *error = MPG123_ERR;
        return NULL;
    }
    mpg123_handle *handle = real_new(decoder, error);
    if (handle && real_param) real_param(handle, MPG123_ADD_FLAGS, MPG123_QUIET, 0);
    return handle;
}
