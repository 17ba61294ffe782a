#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/samplefmt.h>

// Error codes are function-like macros, which Swift does not import.
static inline int genre_averror_eof(void) { return AVERROR_EOF; }
static inline int genre_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int genre_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int genre_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int genre_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
