import Files

/// One open audio file read as interleaved float frames in [-1, 1]: libsndfile's `SoundFile` for
/// what libsndfile reads (the librosa contract), `FFmpegDecoder` for the rest. `AudioStream`,
/// `AudioLoader` and `AudioInfo` read every file through this.
protocol AudioDecoder: AnyObject {
    var path: String { get }
    var sampleRate: Int { get }
    var channels: Int { get }
    /// Frames the header announces (an estimate for compressed formats).
    var frames: Int { get }
    /// Container and encoding, as `genre info` prints them: "WAV (Microsoft), Signed 16 bit PCM",
    /// "MPEG-4, AAC LC".
    var formatDescription: String { get }
    /// Reads up to `maxFrames` interleaved frames into `buffer`; returns the frames read, fewer
    /// than `maxFrames` only at the end of the audio.
    func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) throws -> Int
}

/// Which library decodes a file: the one the container sniffer picks (with FFmpeg trying what
/// libsndfile refuses), or one of them alone (for fuzzing each on its own).
public enum AudioLibrary: Sendable {
    case automatic, libsndfile, ffmpeg
}

enum AudioDecoders {
    /// Opens `path` with the library the container sniffer picks. libsndfile goes first for the
    /// containers it reads; when it refuses one (AAC in CAF, MP3 in WAV, an AVI) FFmpeg gets a
    /// try, and libsndfile's reason is reported if FFmpeg cannot read it either. FFmpeg also
    /// takes over where libsndfile fails part-way (`ResumingDecoder`).
    static func open(path: String) throws -> any AudioDecoder {
        if let problem = FileProblem.check(path: path) {
            throw AudioError(path: path, problem: problem)
        }
        switch ContainerSniffer.library(path: path) {
        case .soundFile:
            do {
                return ResumingDecoder(try SoundFile(path: path)) { try FFmpegDecoder(path: path) }
            } catch let error as AudioError where error.problem.hasPrefix(SoundFile.unreadable) {
                if let decoder = try? FFmpegDecoder(path: path) { return decoder }
                throw error
            }
        case .ffmpeg:
            return try FFmpegDecoder(path: path)
        case nil:
            throw AudioError(path: path, problem: "\(SoundFile.unreadable) (format not recognised)")
        }
    }

    /// The same for a whole file held in memory (libsndfile's virtual I/O, FFmpeg's custom I/O);
    /// `name` stands for the path in errors.
    static func open(bytes: [UInt8], name: String, library: AudioLibrary = .automatic) throws -> any AudioDecoder {
        switch library {
        case .automatic: break
        case .libsndfile:
            // As for files, libsndfile only sees containers it reads (its MPEG fallback is noisy).
            guard ContainerSniffer.library(bytes: bytes) == .soundFile else {
                throw AudioError(path: name, problem: "\(SoundFile.unreadable) (format not recognised)")
            }
            return try SoundFile(bytes: bytes, name: name)
        case .ffmpeg: return try FFmpegDecoder(path: name, bytes: bytes)
        }
        switch ContainerSniffer.library(bytes: bytes) {
        case .soundFile:
            do {
                return ResumingDecoder(try SoundFile(bytes: bytes, name: name)) { try FFmpegDecoder(path: name, bytes: bytes) }
            } catch let error as AudioError where error.problem.hasPrefix(SoundFile.unreadable) {
                if let decoder = try? FFmpegDecoder(path: name, bytes: bytes) { return decoder }
                throw error
            }
        case .ffmpeg:
            return try FFmpegDecoder(path: name, bytes: bytes)
        case nil:
            throw AudioError(path: name, problem: "\(SoundFile.unreadable) (format not recognised)")
        }
    }
}
