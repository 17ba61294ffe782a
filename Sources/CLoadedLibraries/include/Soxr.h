#ifndef GENRE_SOXR_H
#define GENRE_SOXR_H

// libsoxr, loaded with dlopen the first time audio is resampled (it links OpenMP's runtime, which
// a process that never resamples need not map). Types and constants are libsoxr's own header;
// each genre_ function calls the function of the same name without the prefix. Call
// genre_soxr_load first.

#include <soxr.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libsoxr.so.0 once, from any thread. Returns 0, or -1 with the reason in
/// genre_soxr_load_error().
int genre_soxr_load(void);
const char *genre_soxr_load_error(void);

soxr_t genre_soxr_create(double input_rate, double output_rate, unsigned num_channels, soxr_error_t *error,
                         soxr_io_spec_t const *io_spec, soxr_quality_spec_t const *quality_spec,
                         soxr_runtime_spec_t const *runtime_spec);
void genre_soxr_delete(soxr_t resampler);
soxr_error_t genre_soxr_process(soxr_t resampler, soxr_in_t in, size_t ilen, size_t *idone, soxr_out_t out, size_t olen,
                                size_t *odone);
soxr_io_spec_t genre_soxr_io_spec(soxr_datatype_t itype, soxr_datatype_t otype);
soxr_quality_spec_t genre_soxr_quality_spec(unsigned long recipe, unsigned long flags);

#ifdef __cplusplus
}
#endif

#endif
