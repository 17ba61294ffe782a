#include "Soxr.h"
#include "Loading.h"

#define GENRE_LIBRARY "libsoxr"

#define GENRE_SOXR_FUNCTIONS(X) \
    X(lib, soxr_t, soxr_create, (double input_rate, double output_rate, unsigned num_channels, soxr_error_t *error, \
        soxr_io_spec_t const *io_spec, soxr_quality_spec_t const *quality_spec, soxr_runtime_spec_t const *runtime_spec), \
        (input_rate, output_rate, num_channels, error, io_spec, quality_spec, runtime_spec)) \
    X(lib, void, soxr_delete, (soxr_t resampler), (resampler)) \
    X(lib, soxr_error_t, soxr_process, (soxr_t resampler, soxr_in_t in, size_t ilen, size_t *idone, soxr_out_t out, size_t olen, \
        size_t *odone), (resampler, in, ilen, idone, out, olen, odone)) \
    X(lib, soxr_io_spec_t, soxr_io_spec, (soxr_datatype_t itype, soxr_datatype_t otype), (itype, otype)) \
    X(lib, soxr_quality_spec_t, soxr_quality_spec, (unsigned long recipe, unsigned long flags), (recipe, flags))

GENRE_SOXR_FUNCTIONS(GENRE_POINTER)
GENRE_SOXR_FUNCTIONS(GENRE_WRAPPER)

GENRE_LOADER(soxr)

static void load(void) {
    GENRE_OPEN(lib, "libsoxr.so.0")
    GENRE_SOXR_FUNCTIONS(GENRE_LOOKUP)
    status = 0;
}
