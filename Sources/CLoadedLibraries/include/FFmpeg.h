#ifndef GENRE_FFMPEG_H
#define GENRE_FFMPEG_H

// FFmpeg's libavutil, libavcodec and libavformat, loaded with dlopen the first time a file needs
// them rather than when the process starts: linked, they and the ~120 libraries libavcodec pulls
// in (video codecs, TLS, X11, cairo...) cost tens of milliseconds at every start. The types and
// constants are FFmpeg's own headers; each genre_ function calls the FFmpeg function of the same
// name without the prefix. Call genre_ffmpeg_load first.

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <libavutil/samplefmt.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads the three libraries (the sonames of the headers built against) once, from any thread.
/// Returns 0, or -1 with the reason in genre_ffmpeg_load_error().
int genre_ffmpeg_load(void);
const char *genre_ffmpeg_load_error(void);

// Error codes are function-like macros, which Swift does not import.
static inline int genre_averror_eof(void) { return AVERROR_EOF; }
static inline int genre_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int genre_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int genre_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int genre_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }

void genre_av_log_set_level(int level);
void genre_av_max_alloc(size_t max);
int genre_av_strerror(int errnum, char *errbuf, size_t errbuf_size);
int genre_av_dict_set(AVDictionary **pm, const char *key, const char *value, int flags);
AVDictionaryEntry *genre_av_dict_get(const AVDictionary *m, const char *key, const AVDictionaryEntry *prev, int flags);
void genre_av_dict_free(AVDictionary **m);
int genre_av_sample_fmt_is_planar(enum AVSampleFormat sample_fmt);
enum AVSampleFormat genre_av_get_packed_sample_fmt(enum AVSampleFormat sample_fmt);
int64_t genre_av_rescale_q(int64_t a, AVRational bq, AVRational cq);
int64_t genre_av_rescale(int64_t a, int64_t b, int64_t c);
AVFrame *genre_av_frame_alloc(void);
void genre_av_frame_free(AVFrame **frame);
void *genre_av_malloc(size_t size);
void genre_av_freep(void *ptr);

AVPacket *genre_av_packet_alloc(void);
void genre_av_packet_free(AVPacket **pkt);
void genre_av_packet_unref(AVPacket *pkt);
AVCodecContext *genre_avcodec_alloc_context3(const AVCodec *codec);
void genre_avcodec_free_context(AVCodecContext **avctx);
int genre_avcodec_parameters_to_context(AVCodecContext *codec, const AVCodecParameters *par);
int genre_avcodec_open2(AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options);
int genre_avcodec_send_packet(AVCodecContext *avctx, const AVPacket *avpkt);
int genre_avcodec_receive_frame(AVCodecContext *avctx, AVFrame *frame);
const char *genre_avcodec_get_name(enum AVCodecID id);
const char *genre_avcodec_profile_name(enum AVCodecID codec_id, int profile);
const AVCodecDescriptor *genre_avcodec_descriptor_get(enum AVCodecID id);

int genre_avformat_open_input(AVFormatContext **ps, const char *url, const AVInputFormat *fmt, AVDictionary **options);
int genre_avformat_find_stream_info(AVFormatContext *ic, AVDictionary **options);
void genre_avformat_close_input(AVFormatContext **s);
int genre_av_find_best_stream(AVFormatContext *ic, enum AVMediaType type, int wanted_stream_nb, int related_stream,
                              const AVCodec **decoder_ret, int flags);
int genre_av_read_frame(AVFormatContext *s, AVPacket *pkt);

// Custom I/O, for files already in memory. libavformat 61 (FFmpeg 7) made write_packet's buffer const.
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define GENRE_AVIO_WRITE_BUFFER const uint8_t *
#else
#define GENRE_AVIO_WRITE_BUFFER uint8_t *
#endif
AVFormatContext *genre_avformat_alloc_context(void);
AVIOContext *genre_avio_alloc_context(unsigned char *buffer, int buffer_size, int write_flag, void *opaque,
                                      int (*read_packet)(void *opaque, uint8_t *buf, int buf_size),
                                      int (*write_packet)(void *opaque, GENRE_AVIO_WRITE_BUFFER buf, int buf_size),
                                      int64_t (*seek)(void *opaque, int64_t offset, int whence));
void genre_avio_context_free(AVIOContext **s);

#ifdef __cplusplus
}
#endif

#endif
