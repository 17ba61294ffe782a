#include "CTagLib.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <aifffile.h>
#include <apefile.h>
#include <apefooter.h>
#include <apeitem.h>
#include <apetag.h>
#include <asffile.h>
#include <asftag.h>
#include <fileref.h>
#include <flacfile.h>
#include <id3v1tag.h>
#include <id3v2tag.h>
#include <infotag.h>
#include <mp4file.h>
#include <mp4tag.h>
#include <mpcfile.h>
#include <mpegfile.h>
#include <oggflacfile.h>
#include <opusfile.h>
#include <speexfile.h>
#include <textidentificationframe.h>
#include <trueaudiofile.h>
#include <vorbisfile.h>
#include <wavfile.h>
#include <wavpackfile.h>
#include <xiphcomment.h>

using namespace TagLib;

struct ctaglib_file {
    std::unique_ptr<File> file;
    ctaglib_format format = CTAGLIB_UNKNOWN;
    // Which of an MPEG / WAV file's tags were changed, so that only those are written.
    bool id3v1Changed = false;
    bool infoChanged = false;
    // A True Audio file's APEv2 tag, which TagLib's TrueAudio class does not see: where it
    // starts and how long it is, header and footer included.
    std::unique_ptr<APE::Tag> trueAudioAPE;
    long trueAudioAPEStart = 0;
    unsigned int trueAudioAPESize = 0;
};

namespace {

String utf8(const char *text) { return String(text, String::UTF8); }

std::string lowerExtension(const char *path) {
    std::string name(path);
    auto slash = name.find_last_of('/');
    if (slash != std::string::npos) name = name.substr(slash + 1);
    auto dot = name.find_last_of('.');
    if (dot == std::string::npos) return "";
    std::string ext = name.substr(dot + 1);
    for (auto &c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

File *makeFile(ctaglib_format format, const char *path) {
    switch (format) {
    case CTAGLIB_MPEG: return new MPEG::File(path, true, AudioProperties::Fast);
    case CTAGLIB_FLAC: return new FLAC::File(path, true, AudioProperties::Fast);
    case CTAGLIB_OGG_VORBIS: return new Ogg::Vorbis::File(path, true, AudioProperties::Fast);
    case CTAGLIB_OGG_OPUS: return new Ogg::Opus::File(path, true, AudioProperties::Fast);
    case CTAGLIB_OGG_FLAC: return new Ogg::FLAC::File(path, true, AudioProperties::Fast);
    case CTAGLIB_MP4: return new MP4::File(path, true, AudioProperties::Fast);
    case CTAGLIB_WAV: return new RIFF::WAV::File(path, true, AudioProperties::Fast);
    case CTAGLIB_AIFF: return new RIFF::AIFF::File(path, true, AudioProperties::Fast);
    case CTAGLIB_ASF: return new ASF::File(path, true, AudioProperties::Fast);
    case CTAGLIB_WAVPACK: return new WavPack::File(path, true, AudioProperties::Fast);
    case CTAGLIB_APE: return new APE::File(path, true, AudioProperties::Fast);
    case CTAGLIB_MPC: return new MPC::File(path, true, AudioProperties::Fast);
    case CTAGLIB_OGG_SPEEX: return new Ogg::Speex::File(path, true, AudioProperties::Fast);
    case CTAGLIB_TRUE_AUDIO: return new TrueAudio::File(path, true, AudioProperties::Fast);
    default: return nullptr;
    }
}

// Opens `path` as `format`: a file TagLib parses whose audio properties it finds (TagLib takes
// any bytes for an MPEG file with no tag; it finds no MPEG frame in them).
File *make(ctaglib_format format, const char *path) {
    File *file = makeFile(format, path);
    if (file && (!file->isValid() || !file->audioProperties() || file->audioProperties()->sampleRate() <= 0)) {
        delete file;
        return nullptr;
    }
    return file;
}

ctaglib_format formatOf(File *file) {
    if (dynamic_cast<MPEG::File *>(file)) return CTAGLIB_MPEG;
    if (dynamic_cast<FLAC::File *>(file)) return CTAGLIB_FLAC;
    if (dynamic_cast<Ogg::Vorbis::File *>(file)) return CTAGLIB_OGG_VORBIS;
    if (dynamic_cast<Ogg::Opus::File *>(file)) return CTAGLIB_OGG_OPUS;
    if (dynamic_cast<Ogg::FLAC::File *>(file)) return CTAGLIB_OGG_FLAC;
    if (dynamic_cast<MP4::File *>(file)) return CTAGLIB_MP4;
    if (dynamic_cast<RIFF::WAV::File *>(file)) return CTAGLIB_WAV;
    if (dynamic_cast<RIFF::AIFF::File *>(file)) return CTAGLIB_AIFF;
    if (dynamic_cast<ASF::File *>(file)) return CTAGLIB_ASF;
    if (dynamic_cast<WavPack::File *>(file)) return CTAGLIB_WAVPACK;
    if (dynamic_cast<APE::File *>(file)) return CTAGLIB_APE;
    if (dynamic_cast<MPC::File *>(file)) return CTAGLIB_MPC;
    if (dynamic_cast<Ogg::Speex::File *>(file)) return CTAGLIB_OGG_SPEEX;
    if (dynamic_cast<TrueAudio::File *>(file)) return CTAGLIB_TRUE_AUDIO;
    return CTAGLIB_UNKNOWN;
}

ID3v2::Tag *id3v2(ctaglib_file *f) {
    switch (f->format) {
    case CTAGLIB_MPEG: return static_cast<MPEG::File *>(f->file.get())->ID3v2Tag(true);
    case CTAGLIB_WAV: return static_cast<RIFF::WAV::File *>(f->file.get())->ID3v2Tag();
    case CTAGLIB_AIFF: return static_cast<RIFF::AIFF::File *>(f->file.get())->tag();
    case CTAGLIB_TRUE_AUDIO: return static_cast<TrueAudio::File *>(f->file.get())->ID3v2Tag(true);
    default: return nullptr;
    }
}

Ogg::XiphComment *xiph(ctaglib_file *f) {
    switch (f->format) {
    case CTAGLIB_FLAC: return static_cast<FLAC::File *>(f->file.get())->xiphComment(true);
    case CTAGLIB_OGG_VORBIS: return static_cast<Ogg::Vorbis::File *>(f->file.get())->tag();
    case CTAGLIB_OGG_OPUS: return static_cast<Ogg::Opus::File *>(f->file.get())->tag();
    case CTAGLIB_OGG_FLAC: return static_cast<Ogg::FLAC::File *>(f->file.get())->tag();
    case CTAGLIB_OGG_SPEEX: return static_cast<Ogg::Speex::File *>(f->file.get())->tag();
    default: return nullptr;
    }
}

APE::Tag *ape(ctaglib_file *f) {
    switch (f->format) {
    case CTAGLIB_WAVPACK: return static_cast<WavPack::File *>(f->file.get())->APETag(true);
    case CTAGLIB_APE: return static_cast<APE::File *>(f->file.get())->APETag(true);
    case CTAGLIB_MPC: return static_cast<MPC::File *>(f->file.get())->APETag(true);
    case CTAGLIB_TRUE_AUDIO_APE: return f->trueAudioAPE.get();
    default: return nullptr;
    }
}

template <class Format> ID3v1::Tag *existingID3v1(File *file) {
    auto *f = static_cast<Format *>(file);
    return f->hasID3v1Tag() ? f->ID3v1Tag() : nullptr;
}

// The file's ID3v1 tag, where the format has one and the file has it (never created).
ID3v1::Tag *id3v1(ctaglib_file *f) {
    switch (f->format) {
    case CTAGLIB_MPEG: return existingID3v1<MPEG::File>(f->file.get());
    case CTAGLIB_MPC: return existingID3v1<MPC::File>(f->file.get());
    case CTAGLIB_TRUE_AUDIO:
    case CTAGLIB_TRUE_AUDIO_APE: return existingID3v1<TrueAudio::File>(f->file.get());
    default: return nullptr;
    }
}

// The APEv2 tag at the end of a file (before any ID3v1 tag), as its footer describes it.
// Saving replaces the bytes the footer claims, TagLib's own classes included: a claim that
// reaches before the file, or to a header that is not there, would have a tag written over audio.
struct APEFooter {
    enum { none, valid, damaged } state = none;
    long start = 0;
    unsigned int size = 0;  // header and footer included
    long footer = 0;
};

APEFooter findAPEFooter(File *file, bool hasID3v1) {
    APEFooter result;
    result.footer = file->length() - APE::Footer::size() - (hasID3v1 ? 128 : 0);
    if (result.footer < 0) return result;
    file->seek(result.footer);
    ByteVector bytes = file->readBlock(APE::Footer::size());
    if (!bytes.startsWith(APE::Tag::fileIdentifier())) return result;
    APE::Footer footer(bytes);
    result.size = footer.completeTagSize();
    result.start = result.footer + APE::Footer::size() - static_cast<long>(result.size);
    result.state = APEFooter::damaged;
    if (result.start < 0) return result;
    if (footer.headerPresent()) {
        file->seek(result.start);
        if (file->readBlock(8) != APE::Tag::fileIdentifier()) return result;
    }
    result.state = APEFooter::valid;
    return result;
}

template <class Format> APEFooter apeFooterOf(File *file) {
    return findAPEFooter(file, static_cast<Format *>(file)->hasID3v1Tag());
}

// The APEv2 footer of a file whose APEv2 tag genre writes (none for other formats). True Audio
// is among them: FFmpeg's tta muxer and foobar2000 keep its tags in an APEv2 tag at the end,
// which TagLib's TrueAudio class ignores and FFmpeg shows instead of an ID3v2 tag.
APEFooter writableAPEFooter(ctaglib_format format, File *file) {
    switch (format) {
    case CTAGLIB_WAVPACK: return apeFooterOf<WavPack::File>(file);
    case CTAGLIB_APE: return apeFooterOf<APE::File>(file);
    case CTAGLIB_MPC: return apeFooterOf<MPC::File>(file);
    case CTAGLIB_TRUE_AUDIO: return apeFooterOf<TrueAudio::File>(file);
    default: return APEFooter();
    }
}

// "TXXX:<description>" → the description; anything else → empty with isTXXX false.
bool userTextKey(const std::string &key, String &description) {
    if (key.rfind("TXXX:", 0) != 0) return false;
    description = utf8(key.c_str() + 5);
    return true;
}

int giveStrings(const StringList &list, char ***values) {
    int count = static_cast<int>(list.size());
    char **out = static_cast<char **>(std::malloc(sizeof(char *) * (count > 0 ? count : 1)));
    int i = 0;
    for (const auto &s : list) out[i++] = strdup(s.toCString(true));
    *values = out;
    return count;
}

}  // namespace

extern "C" {

ctaglib_file *ctaglib_open(const char *path, const char *type_path) {
    std::string ext = lowerExtension(type_path ? type_path : path);
    ctaglib_format candidates[4] = {CTAGLIB_UNKNOWN, CTAGLIB_UNKNOWN, CTAGLIB_UNKNOWN, CTAGLIB_UNKNOWN};
    if (ext == "mp3" || ext == "mp2" || ext == "mpga") candidates[0] = CTAGLIB_MPEG;
    else if (ext == "flac") candidates[0] = CTAGLIB_FLAC;
    else if (ext == "ogg") {
        candidates[0] = CTAGLIB_OGG_VORBIS; candidates[1] = CTAGLIB_OGG_OPUS; candidates[2] = CTAGLIB_OGG_FLAC; candidates[3] = CTAGLIB_OGG_SPEEX;
    }
    else if (ext == "oga") {
        candidates[0] = CTAGLIB_OGG_FLAC; candidates[1] = CTAGLIB_OGG_VORBIS; candidates[2] = CTAGLIB_OGG_OPUS; candidates[3] = CTAGLIB_OGG_SPEEX;
    }
    else if (ext == "opus") candidates[0] = CTAGLIB_OGG_OPUS;
    else if (ext == "m4a" || ext == "m4b" || ext == "m4p" || ext == "mp4" || ext == "3g2" || ext == "m4r") candidates[0] = CTAGLIB_MP4;
    else if (ext == "wav" || ext == "wave") candidates[0] = CTAGLIB_WAV;
    else if (ext == "aif" || ext == "aiff" || ext == "aifc") candidates[0] = CTAGLIB_AIFF;
    else if (ext == "wma" || ext == "asf") candidates[0] = CTAGLIB_ASF;
    else if (ext == "wv") candidates[0] = CTAGLIB_WAVPACK;
    else if (ext == "ape") candidates[0] = CTAGLIB_APE;
    else if (ext == "mpc") candidates[0] = CTAGLIB_MPC;
    else if (ext == "spx") candidates[0] = CTAGLIB_OGG_SPEEX;
    else if (ext == "tta") candidates[0] = CTAGLIB_TRUE_AUDIO;

    std::unique_ptr<File> file;
    for (auto format : candidates) {
        if (format == CTAGLIB_UNKNOWN) break;
        file.reset(make(format, path));
        if (file) break;
    }
    if (!file) {
        // Unknown extension or content that does not match it: TagLib's own detection.
        FileRef ref(path, false);
        if (ref.isNull() || !ref.file()->isValid()) return nullptr;
        ctaglib_format format = formatOf(ref.file());
        if (format == CTAGLIB_UNKNOWN) return nullptr;
        file.reset(make(format, path));
        if (!file) return nullptr;
    }
    auto *result = new ctaglib_file;
    result->format = formatOf(file.get());
    result->file = std::move(file);
    APEFooter ape = writableAPEFooter(result->format, result->file.get());
    if (ape.state == APEFooter::damaged) {
        delete result;
        return nullptr;
    }
    if (result->format == CTAGLIB_TRUE_AUDIO && ape.state == APEFooter::valid) {
        // Read with TagLib's APE classes and written back in place, as TagLib's WavPack class does.
        result->trueAudioAPE.reset(new APE::Tag(result->file.get(), ape.footer));
        result->trueAudioAPEStart = ape.start;
        result->trueAudioAPESize = ape.size;
        result->format = CTAGLIB_TRUE_AUDIO_APE;
    }
    return result;
}

void ctaglib_close(ctaglib_file *file) { delete file; }

ctaglib_format ctaglib_file_format(const ctaglib_file *file) { return file->format; }

void ctaglib_free_strings(char **values, int count) {
    if (!values) return;
    for (int i = 0; i < count; i++) std::free(values[i]);
    std::free(values);
}

int ctaglib_get(ctaglib_file *f, const char *cKey, char ***values) {
    *values = nullptr;
    std::string key(cKey);
    if (key == "ID3v1") {
        auto *tag = id3v1(f);
        if (!tag || tag->genre().isEmpty()) return -1;
        return giveStrings(StringList(tag->genre()), values);
    }
    if (f->format == CTAGLIB_WAV && key == "IGNR") {
        auto *wav = static_cast<RIFF::WAV::File *>(f->file.get());
        if (!wav->hasInfoTag()) return -1;
        const auto &fields = wav->InfoTag()->fieldListMap();
        auto it = fields.find("IGNR");
        if (it == fields.end()) return -1;
        return giveStrings(StringList(it->second), values);
    }
    if (auto *tag = id3v2(f)) {
        String description;
        if (userTextKey(key, description)) {
            auto *frame = ID3v2::UserTextIdentificationFrame::find(tag, description);
            if (!frame) return -1;
            StringList fields = frame->fieldList();
            if (!fields.isEmpty()) fields.erase(fields.begin());  // the description itself
            return giveStrings(fields, values);
        }
        if (key.size() != 4) return -1;
        const auto &frames = tag->frameListMap()[ByteVector(key.c_str(), 4)];
        if (frames.isEmpty()) return -1;
        StringList all;
        for (auto *frame : frames) {
            if (auto *text = dynamic_cast<ID3v2::TextIdentificationFrame *>(frame)) all.append(text->fieldList());
            else all.append(frame->toString());
        }
        return giveStrings(all, values);
    }
    if (auto *comment = xiph(f)) {
        const auto &fields = comment->fieldListMap();
        auto it = fields.find(utf8(cKey).upper());
        if (it == fields.end()) return -1;
        return giveStrings(it->second, values);
    }
    if (auto *tag = ape(f)) {
        const auto &items = tag->itemListMap();
        auto it = items.find(utf8(cKey).upper());
        if (it == items.end()) return -1;
        return giveStrings(it->second.values(), values);
    }
    if (f->format == CTAGLIB_MP4) {
        auto *tag = static_cast<MP4::File *>(f->file.get())->tag();
        if (!tag || !tag->contains(utf8(cKey))) return -1;
        return giveStrings(tag->item(utf8(cKey)).toStringList(), values);
    }
    if (f->format == CTAGLIB_ASF) {
        auto *tag = static_cast<ASF::File *>(f->file.get())->tag();
        const auto &attributes = tag->attributeListMap();
        auto it = attributes.find(utf8(cKey));
        if (it == attributes.end() || it->second.isEmpty()) return -1;
        StringList all;
        for (const auto &attribute : it->second) all.append(attribute.toString());
        return giveStrings(all, values);
    }
    return -1;
}

int ctaglib_set(ctaglib_file *f, const char *cKey, const char *const *cValues, int count) {
    std::string key(cKey);
    StringList list;
    for (int i = 0; i < count; i++) list.append(utf8(cValues[i]));
    bool remove = count < 0;

    if (key == "ID3v1") {
        auto *tag = id3v1(f);
        if (!tag) return remove ? 0 : -1;  // never creates an ID3v1 tag
        tag->setGenre(remove || list.isEmpty() ? String() : list.front());
        f->id3v1Changed = true;
        return 0;
    }
    if (f->format == CTAGLIB_WAV && key == "IGNR") {
        auto *wav = static_cast<RIFF::WAV::File *>(f->file.get());
        if (remove) wav->InfoTag()->removeField("IGNR");
        else wav->InfoTag()->setFieldText("IGNR", list.toString("; "));
        f->infoChanged = true;
        return 0;
    }
    if (auto *tag = id3v2(f)) {
        String description;
        if (userTextKey(key, description)) {
            while (auto *frame = ID3v2::UserTextIdentificationFrame::find(tag, description)) tag->removeFrame(frame);
            if (remove) return 0;
            auto *frame = new ID3v2::UserTextIdentificationFrame(String::UTF8);
            frame->setDescription(description);
            frame->setText(list);
            tag->addFrame(frame);
            return 0;
        }
        if (key.size() != 4 || key[0] != 'T') return -1;
        ByteVector id(key.c_str(), 4);
        tag->removeFrames(id);
        if (remove) return 0;
        auto *frame = new ID3v2::TextIdentificationFrame(id, String::UTF8);
        frame->setText(list);
        tag->addFrame(frame);
        return 0;
    }
    if (auto *comment = xiph(f)) {
        String name = utf8(cKey).upper();
        comment->removeFields(name);
        for (const auto &value : list) comment->addField(name, value, false);
        return 0;
    }
    if (auto *tag = ape(f)) {
        tag->removeItem(utf8(cKey));
        if (!remove) tag->setItem(utf8(cKey), APE::Item(utf8(cKey), list));
        return 0;
    }
    if (f->format == CTAGLIB_MP4) {
        auto *tag = static_cast<MP4::File *>(f->file.get())->tag();
        if (!tag) return -1;
        if (remove) tag->removeItem(utf8(cKey));
        else tag->setItem(utf8(cKey), MP4::Item(list));
        return 0;
    }
    if (f->format == CTAGLIB_ASF) {
        auto *tag = static_cast<ASF::File *>(f->file.get())->tag();
        tag->removeItem(utf8(cKey));
        for (const auto &value : list) tag->addAttribute(utf8(cKey), ASF::Attribute(value));
        return 0;
    }
    return -1;
}

int ctaglib_has_tag(ctaglib_file *f, const char *kind) {
    std::string name(kind);
    if (name == "ID3v1") return id3v1(f) ? 1 : 0;
    if ((f->format == CTAGLIB_TRUE_AUDIO || f->format == CTAGLIB_TRUE_AUDIO_APE) && name == "ID3v2")
        return static_cast<TrueAudio::File *>(f->file.get())->hasID3v2Tag() ? 1 : 0;
    if (f->format == CTAGLIB_WAV && name == "INFO") return static_cast<RIFF::WAV::File *>(f->file.get())->hasInfoTag() ? 1 : 0;
    return 0;
}

int ctaglib_save(ctaglib_file *f) {
    bool ok = false;
    switch (f->format) {
    case CTAGLIB_MPEG: {
        // Only the ID3v2 tag (and an existing ID3v1 tag we changed); nothing else is stripped or duplicated.
        int tags = MPEG::File::ID3v2 | (f->id3v1Changed ? MPEG::File::ID3v1 : 0);
        ok = static_cast<MPEG::File *>(f->file.get())->save(tags, File::StripNone, ID3v2::v4, File::DoNotDuplicate);
        break;
    }
    case CTAGLIB_WAV: {
        auto tags = static_cast<RIFF::WAV::File::TagTypes>(RIFF::WAV::File::ID3v2 | (f->infoChanged ? RIFF::WAV::File::Info : 0));
        ok = static_cast<RIFF::WAV::File *>(f->file.get())->save(tags, File::StripNone, ID3v2::v4);
        break;
    }
    case CTAGLIB_AIFF:
        ok = static_cast<RIFF::AIFF::File *>(f->file.get())->save(ID3v2::v4);
        break;
    case CTAGLIB_TRUE_AUDIO:
        ok = static_cast<TrueAudio::File *>(f->file.get())->save();
        break;
    case CTAGLIB_TRUE_AUDIO_APE:
        // An ID3v1 tag in place first (TagLib writes no ID3v2 tag here: the file has none and
        // the empty one is not written), then the APEv2 tag before it, as TagLib's WavPack does.
        ok = !f->id3v1Changed || f->file->save();
        if (ok) f->file->insert(f->trueAudioAPE->render(), f->trueAudioAPEStart, f->trueAudioAPESize);
        break;
    default:
        ok = f->file->save();
    }
    return ok ? 0 : -1;
}

}  // extern "C"
