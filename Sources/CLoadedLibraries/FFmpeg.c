#include "FFmpeg.h"
#include "Loading.h"

#define GENRE_LIBRARY "FFmpeg"

// Every function the decoder calls: (library, result, name, parameters, arguments).
#define GENRE_FFMPEG_FUNCTIONS(X) \
    X(util, void, av_log_set_level, (int level), (level)) \
    X(util, void, av_max_alloc, (size_t max), (max)) \
    X(util, int, av_strerror, (int errnum, char *errbuf, size_t errbuf_size), (errnum, errbuf, errbuf_size)) \
    X(util, int, av_dict_set, (AVDictionary **pm, const char *key, const char *value, int flags), (pm, key, value, flags)) \
    X(util, AVDictionaryEntry *, av_dict_get, (const AVDictionary *m, const char *key, const AVDictionaryEntry *prev, int flags), (m, key, prev, flags)) \
    X(util, void, av_dict_free, (AVDictionary **m), (m)) \
    X(util, int, av_sample_fmt_is_planar, (enum AVSampleFormat sample_fmt), (sample_fmt)) \
    X(util, enum AVSampleFormat, av_get_packed_sample_fmt, (enum AVSampleFormat sample_fmt), (sample_fmt)) \
    X(util, int64_t, av_rescale_q, (int64_t a, AVRational bq, AVRational cq), (a, bq, cq)) \
    X(util, int64_t, av_rescale, (int64_t a, int64_t b, int64_t c), (a, b, c)) \
    X(util, AVFrame *, av_frame_alloc, (void), ()) \
    X(util, void, av_frame_free, (AVFrame **frame), (frame)) \
    X(util, void *, av_malloc, (size_t size), (size)) \
    X(util, void, av_freep, (void *ptr), (ptr)) \
    X(codec, AVPacket *, av_packet_alloc, (void), ()) \
    X(codec, void, av_packet_free, (AVPacket **pkt), (pkt)) \
    X(codec, void, av_packet_unref, (AVPacket *pkt), (pkt)) \
    X(codec, AVCodecContext *, avcodec_alloc_context3, (const AVCodec *codec), (codec)) \
    X(codec, void, avcodec_free_context, (AVCodecContext **avctx), (avctx)) \
    X(codec, int, avcodec_parameters_to_context, (AVCodecContext *codec, const AVCodecParameters *par), (codec, par)) \
    X(codec, int, avcodec_open2, (AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options), (avctx, codec, options)) \
    X(codec, int, avcodec_send_packet, (AVCodecContext *avctx, const AVPacket *avpkt), (avctx, avpkt)) \
    X(codec, int, avcodec_receive_frame, (AVCodecContext *avctx, AVFrame *frame), (avctx, frame)) \
    X(codec, const char *, avcodec_get_name, (enum AVCodecID id), (id)) \
    X(codec, const char *, avcodec_profile_name, (enum AVCodecID codec_id, int profile), (codec_id, profile)) \
    X(codec, const AVCodecDescriptor *, avcodec_descriptor_get, (enum AVCodecID id), (id)) \
    X(format, int, avformat_open_input, (AVFormatContext **ps, const char *url, const AVInputFormat *fmt, AVDictionary **options), (ps, url, fmt, options)) \
    X(format, int, avformat_find_stream_info, (AVFormatContext *ic, AVDictionary **options), (ic, options)) \
    X(format, void, avformat_close_input, (AVFormatContext **s), (s)) \
    X(format, int, av_find_best_stream, (AVFormatContext *ic, enum AVMediaType type, int wanted_stream_nb, int related_stream, const AVCodec **decoder_ret, int flags), (ic, type, wanted_stream_nb, related_stream, decoder_ret, flags)) \
    X(format, int, av_read_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt)) \
    X(format, AVFormatContext *, avformat_alloc_context, (void), ()) \
    X(format, AVIOContext *, avio_alloc_context, (unsigned char *buffer, int buffer_size, int write_flag, void *opaque, \
        int (*read_packet)(void *opaque, uint8_t *buf, int buf_size), \
        int (*write_packet)(void *opaque, GENRE_AVIO_WRITE_BUFFER buf, int buf_size), \
        int64_t (*seek)(void *opaque, int64_t offset, int whence)), \
        (buffer, buffer_size, write_flag, opaque, read_packet, write_packet, seek)) \
    X(format, void, avio_context_free, (AVIOContext **s), (s))

GENRE_FFMPEG_FUNCTIONS(GENRE_POINTER)
GENRE_FFMPEG_FUNCTIONS(GENRE_WRAPPER)

#define GENRE_SONAME(name, major) "lib" #name ".so." AV_STRINGIFY(major)

GENRE_LOADER(ffmpeg)

static void load(void) {
    // libavformat needs libavcodec needs libavutil: the same order the dynamic linker would take.
    GENRE_OPEN(util, GENRE_SONAME(avutil, LIBAVUTIL_VERSION_MAJOR))
    GENRE_OPEN(codec, GENRE_SONAME(avcodec, LIBAVCODEC_VERSION_MAJOR))
    GENRE_OPEN(format, GENRE_SONAME(avformat, LIBAVFORMAT_VERSION_MAJOR))
    GENRE_FFMPEG_FUNCTIONS(GENRE_LOOKUP)
    status = 0;
}
