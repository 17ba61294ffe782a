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

enum AudioDecoders {
    /// Opens `path` with the library the container sniffer picks. libsndfile goes first for the
    /// containers it reads; when it refuses one (AAC in CAF, MP3 in WAV, an AVI) FFmpeg gets a
    /// try, and libsndfile's reason is reported if FFmpeg cannot read it either.
    static func open(path: String) throws -> any AudioDecoder {
        if let problem = FileProblem.check(path: path) {
            throw AudioError(path: path, problem: problem)
        }
        switch ContainerSniffer.library(path: path) {
        case .soundFile:
            do {
                return try SoundFile(path: path)
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
}
