internal import CLoadedLibraries
import Files
import Basics
import Glibc

/// Sample encodings for writing.
/// Sample encodings for the lossless containers; .ogg, .opus and .mp3 pick their own codec.
public enum AudioEncoding: Sendable, CaseIterable {
    case pcm8, pcm16, pcm24, pcm32, float32
}

/// Writes audio through libsndfile, block by block. The container follows the extension
/// (.wav, .flac, .aiff, .au, .ogg, .opus, .mp3); the file appears only when `finish()` succeeds
/// (a temporary file in the same folder, then rename), so a failed write leaves nothing behind.
public final class AudioFileWriter {
    public let path: String
    public let channels: Int
    private let temporary: String
    private var handle: OpaquePointer?

    public init(path: String, sampleRate: Int, channels: Int = 1, encoding: AudioEncoding = .pcm16) throws {
        let ext = Path.fileExtension(path).lowercased()
        let container: Int32
        switch ext {
        case "wav": container = Int32(SF_FORMAT_WAV)
        case "flac": container = Int32(SF_FORMAT_FLAC)
        case "aif", "aiff": container = Int32(SF_FORMAT_AIFF)
        case "au": container = Int32(SF_FORMAT_AU)
        case "ogg", "opus": container = Int32(SF_FORMAT_OGG)
        case "mp3": container = Int32(SF_FORMAT_MPEG)
        default: throw AudioError(path: path, problem: "cannot write '.\(ext)' files (use .wav, .flac, .aiff, .au, .ogg, .opus or .mp3)")
        }
        let subtype: Int32
        switch (ext, encoding) {
        case ("ogg", _): subtype = Int32(SF_FORMAT_VORBIS)
        case ("opus", _): subtype = Int32(SF_FORMAT_OPUS)
        case ("mp3", _): subtype = Int32(SF_FORMAT_MPEG_LAYER_III)
        case ("flac", .float32), ("flac", .pcm32), (_, .pcm24): subtype = Int32(SF_FORMAT_PCM_24)
        case ("wav", .pcm8): subtype = Int32(SF_FORMAT_PCM_U8)  // WAV's 8-bit PCM is unsigned
        case (_, .pcm8): subtype = Int32(SF_FORMAT_PCM_S8)
        case (_, .pcm16): subtype = Int32(SF_FORMAT_PCM_16)
        case (_, .pcm32): subtype = Int32(SF_FORMAT_PCM_32)
        case (_, .float32): subtype = Int32(SF_FORMAT_FLOAT)
        }
        self.path = path
        self.channels = channels
        temporary = Path.join(Path.parent(path), "." + Path.lastComponent(path))
            + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try SoundFile.loadLibrary(for: path)
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = container | subtype
        guard let handle = FileSystemBytes.withPath(temporary, { genre_sf_open($0, Int32(SFM_WRITE), &info) }) else {
            throw AudioError(path: path, problem: "cannot create audio file (\(String(cString: genre_sf_strerror(nil))))")
        }
        // Clip rather than wrap around when converting to integers.
        genre_sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        self.handle = handle
    }

    deinit {
        if let handle {
            genre_sf_close(handle)
            FileSystem.unlink(temporary)
        }
    }

    /// Appends interleaved frames.
    public func write(_ samples: [Float]) throws {
        guard let handle else { throw AudioError(path: path, problem: "already finished") }
        precondition(samples.count % channels == 0, "samples are not whole frames")
        let frames = samples.count / channels
        let written = samples.withUnsafeBufferPointer { genre_sf_writef_float(handle, $0.baseAddress, sf_count_t(frames)) }
        guard written == frames else {
            throw AudioError(path: path, problem: "writing audio failed (\(String(cString: genre_sf_strerror(handle))))")
        }
    }

    /// Closes the file and moves it into place.
    public func finish() throws {
        guard let handle else { return }
        self.handle = nil
        guard genre_sf_close(handle) == 0, FileSystem.rename(temporary, path) == 0 else {
            FileSystem.unlink(temporary)
            throw AudioError(path: path, problem: "writing audio failed")
        }
    }
}

public enum AudioWriter {
    /// Writes a whole signal of interleaved frames in one go.
    public static func write(samples: [Float], sampleRate: Int, channels: Int = 1, to path: String,
                             encoding: AudioEncoding = .pcm16) throws {
        let writer = try AudioFileWriter(path: path, sampleRate: sampleRate, channels: channels, encoding: encoding)
        try writer.write(samples)
        try writer.finish()
    }
}
