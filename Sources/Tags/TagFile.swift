import Basics
import CLoadedLibraries
import Files
import Glibc

/// The kinds of file whose tags TagLib writes here.
public enum TagFormat: String, Sendable, CaseIterable {
    case mp3, flac, oggVorbis = "ogg-vorbis", opus, oggFLAC = "ogg-flac", mp4, wav, aiff, asf, wavpack, ape, musepack, speex
    /// True Audio tagged with ID3v2 (TagLib's way), and with the APEv2 tag FFmpeg and foobar2000 write.
    case trueAudio = "true-audio", trueAudioAPE = "true-audio-ape"

    init?(_ format: ctaglib_format) {
        switch format {
        case CTAGLIB_MPEG: self = .mp3
        case CTAGLIB_FLAC: self = .flac
        case CTAGLIB_OGG_VORBIS: self = .oggVorbis
        case CTAGLIB_OGG_OPUS: self = .opus
        case CTAGLIB_OGG_FLAC: self = .oggFLAC
        case CTAGLIB_MP4: self = .mp4
        case CTAGLIB_WAV: self = .wav
        case CTAGLIB_AIFF: self = .aiff
        case CTAGLIB_ASF: self = .asf
        case CTAGLIB_WAVPACK: self = .wavpack
        case CTAGLIB_APE: self = .ape
        case CTAGLIB_MPC: self = .musepack
        case CTAGLIB_OGG_SPEEX: self = .speex
        case CTAGLIB_TRUE_AUDIO: self = .trueAudio
        case CTAGLIB_TRUE_AUDIO_APE: self = .trueAudioAPE
        default: return nil
        }
    }
}

/// One audio file opened through TagLib, its fields named in the format's own terms (see
/// CTagLib.h): read with `get`, changed with `set`, written with `save`.
public final class TagFile {
    private let handle: OpaquePointer
    public let path: String
    public let format: TagFormat

    /// Opens `path`, choosing the format from `typePath`'s extension (default: `path`'s) and
    /// then from the content. Errors are one line naming `path`.
    public init(path: String, typePath: String? = nil) throws {
        guard let info = FileSystem.status(path) else {
            throw FileError(path: path, problem: errno == ENOENT ? FileProblem.missing(path) : "cannot read file (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw FileError(path: path, problem: info.isDirectory ? "is a directory" : "not a regular file")
        }
        guard FileSystem.access(path, R_OK) == 0 else { throw FileError(path: path, problem: "permission denied") }
        do { try Self.loadTagLib() } catch { throw FileError(path: path, problem: String(describing: error)) }
        guard let handle = FileSystemBytes.withPath(path, { genre_ctaglib_open($0, typePath) }) else {
            throw FileError(path: path, problem: Self.notWritable)
        }
        guard let format = TagFormat(genre_ctaglib_file_format(handle)) else {
            genre_ctaglib_close(handle)
            throw FileError(path: path, problem: Self.notWritable)
        }
        (self.handle, self.path, self.format) = (handle, path, format)
        // FFmpeg would show the APEv2 genre and TagLib's readers the ID3v2 one, whichever we wrote.
        if format == .trueAudioAPE && hasTag("ID3v2") {
            throw FileError(path: path, problem: "True Audio file with both an ID3v2 and an APEv2 tag, which players read differently; not tagged")
        }
    }

    deinit { genre_ctaglib_close(handle) }

    /// Why a file cannot be tagged, naming what can be: the format is not one of these, or the
    /// file is damaged past what TagLib reads.
    static let notWritable = "not an audio file whose tags genre writes "
        + "(MP3, FLAC, Ogg Vorbis, Opus, Ogg FLAC, MP4/M4A, WAV, AIFF, WMA, WavPack, Monkey's Audio, Musepack, Speex, True Audio, as TagLib reads them)"

    /// Loads genre's TagLib plugin, libGenreTagLib.so, from beside the executable (or the
    /// library search path) the first time; the error says where it looked and why it failed.
    public static func loadTagLib() throws {
        guard genre_ctaglib_load() == 0 else { throw TagLibUnavailable(description: String(cString: genre_ctaglib_load_error())) }
    }

    public struct TagLibUnavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The values of field `key`, or nil when the file has no such field.
    public func get(_ key: String) -> [String]? {
        var values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = genre_ctaglib_get(handle, key, &values)
        guard count >= 0 else { return nil }
        defer { genre_ctaglib_free_strings(values, count) }
        return (0..<Int(count)).map { String(cString: values![$0]!) }
    }

    /// Sets field `key` to `values`; nil removes it.
    public func set(_ key: String, _ values: [String]?) throws {
        let status: Int32
        if let values, values.isEmpty {
            status = genre_ctaglib_set(handle, key, nil, 0)
        } else if let values {
            var copies = values.map { strdup($0) }
            defer { copies.forEach { free($0) } }
            status = copies.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
                    genre_ctaglib_set(handle, key, $0, Int32(values.count))
                }
            }
        } else {
            status = genre_ctaglib_set(handle, key, nil, -1)
        }
        guard status == 0 else { throw FileError(path: path, problem: "\(format.rawValue) files have no field \(key)") }
    }

    /// Whether the file has a tag of `kind` ("ID3v1" in MP3, Musepack and True Audio, "ID3v2" in
    /// True Audio, "INFO" in WAV).
    public func hasTag(_ kind: String) -> Bool { genre_ctaglib_has_tag(handle, kind) != 0 }

    /// Writes the changed tags into the file.
    public func save() throws {
        guard genre_ctaglib_save(handle) == 0 else { throw FileError(path: path, problem: "TagLib could not save the tags") }
    }
}
