#ifndef CTAGLIB_H
#define CTAGLIB_H

// A small C API over TagLib's format-specific classes, for reading and writing a few named
// fields of a file's own tag. Keys name fields in the format's own terms:
//   MPEG / AIFF / WAV / True Audio (ID3v2): "TCON", "TXXX:<description>"; WAV also "IGNR"
//     (RIFF INFO genre)
//   FLAC / Ogg Vorbis / Opus / Ogg FLAC / Speex: Vorbis comment field names ("GENRE", ...)
//   MP4: item names ("©gen", "----:com.apple.iTunes:<name>")
//   ASF: attribute names ("WM/Genre", ...)
//   WavPack / APE / Musepack / True Audio with an APEv2 tag: APE item names ("GENRE", ...)
//   MPEG / Musepack / True Audio (either kind) also "ID3v1": the ID3v1 genre, present only when
//     the file has an ID3v1 tag
// Strings are UTF-8.

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CTAGLIB_UNKNOWN = 0,
    CTAGLIB_MPEG,
    CTAGLIB_FLAC,
    CTAGLIB_OGG_VORBIS,
    CTAGLIB_OGG_OPUS,
    CTAGLIB_OGG_FLAC,
    CTAGLIB_MP4,
    CTAGLIB_WAV,
    CTAGLIB_AIFF,
    CTAGLIB_ASF,
    CTAGLIB_WAVPACK,
    CTAGLIB_APE,
    CTAGLIB_MPC,
    CTAGLIB_OGG_SPEEX,
    /// True Audio with no APEv2 tag: tagged with ID3v2, as TagLib does.
    CTAGLIB_TRUE_AUDIO,
    /// True Audio with an APEv2 tag at the end (FFmpeg's, foobar2000's): that tag is edited.
    CTAGLIB_TRUE_AUDIO_APE,
} ctaglib_format;

typedef struct ctaglib_file ctaglib_file;

/// Opens `path`; the format is chosen from the extension of `type_path` (or `path` when NULL),
/// then from the content. NULL when TagLib cannot open it as a tagged audio file.
ctaglib_file *ctaglib_open(const char *path, const char *type_path);
void ctaglib_close(ctaglib_file *file);
ctaglib_format ctaglib_file_format(const ctaglib_file *file);

/// The values of field `key`: their count (>= 0) with `*values` set to a malloc'd array of
/// malloc'd strings (free with ctaglib_free_strings), or -1 when the field is absent.
int ctaglib_get(ctaglib_file *file, const char *key, char ***values);
void ctaglib_free_strings(char **values, int count);

/// Sets field `key` to `count` values; a negative count removes the field. 0 on success,
/// -1 when the format has no such field.
int ctaglib_set(ctaglib_file *file, const char *key, const char *const *values, int count);

/// Whether the file has a tag of `kind`: "ID3v1" (MPEG, Musepack, True Audio), "ID3v2" (True
/// Audio) or "INFO" (WAV's RIFF INFO chunk).
int ctaglib_has_tag(ctaglib_file *file, const char *kind);

/// Writes the changed tags into the file (ID3v2 as version 2.4); other tags are kept.
/// 0 on success.
int ctaglib_save(ctaglib_file *file);

#ifdef __cplusplus
}
#endif

#endif
