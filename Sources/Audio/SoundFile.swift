internal import CLoadedLibraries
import Basics
import Files
import Glibc

/// An open libsndfile handle for reading; closed in `deinit`.
/// Reads interleaved float samples in [-1, 1], as libsndfile normalises them.
final class SoundFile: AudioDecoder {
    static let unreadable = "not a readable audio file"
    /// How a read that fails part-way begins (`ResumingDecoder` hands the rest to FFmpeg).
    static let decodingFailed = "decoding failed"

    let path: String
    let sampleRate: Int
    let channels: Int
    /// Frames the header announces (libsndfile's estimate for compressed streams).
    let frames: Int
    let format: Int32
    private let handle: OpaquePointer

    /// Bytes a from-memory handle reads; kept alive as long as the handle.
    private let memory: MemoryBytes?

    /// Opens `path`, which `AudioDecoders.open` has checked to be a readable file in a container
    /// libsndfile reads.
    convenience init(path: String) throws {
        try SoundFile.loadLibrary(for: path)
        let file = RandomAccess(path: path)
        if let file { try SoundFile.checkContainer(file, path: path) }
        var info = SF_INFO()
        let handle = FileSystemBytes.withPath(path) { genre_sf_open($0, Int32(SFM_READ), &info) }
        try self.init(handle: handle, info: info, path: path, memory: nil, file: file)
    }

    /// Reads a whole file held in memory through libsndfile's virtual I/O; `name` stands for the
    /// path in errors. `AudioDecoders.open(bytes:name:)` has checked the container.
    convenience init(bytes: [UInt8], name: String) throws {
        try SoundFile.loadLibrary(for: name)
        let file = RandomAccess(bytes: bytes)
        try SoundFile.checkContainer(file, path: name)
        let memory = MemoryBytes(bytes)
        var io = SF_VIRTUAL_IO(get_filelen: MemoryFile.length, seek: MemoryFile.seek, read: MemoryFile.read,
                               write: MemoryFile.write, tell: MemoryFile.tell)
        var info = SF_INFO()
        let handle = genre_sf_open_virtual(&io, Int32(SFM_READ), &info, memory.opaque)
        try self.init(handle: handle, info: info, path: name, memory: memory, file: file)
    }

    private init(handle: OpaquePointer?, info: SF_INFO, path: String, memory: MemoryBytes?, file: RandomAccess?) throws {
        guard let handle else {
            let reason = String(cString: genre_sf_strerror(nil))
            throw AudioError(path: path, problem: "\(SoundFile.unreadable) (\(SoundFile.tidy(reason)))")
        }
        guard info.channels > 0, info.samplerate > 0 else {
            genre_sf_close(handle)
            throw AudioError(path: path, problem: "audio header is invalid (\(info.channels) channels at \(info.samplerate) Hz)")
        }
        if let problem = SoundFile.truncation(handle) {
            genre_sf_close(handle)
            throw AudioError(path: path, problem: problem)
        }
        // For an MP3 without a Xing or Info header libsndfile guesses the length from the first
        // frame's bit rate, and stops reading there: 2.9 s of a 20 s variable-bit-rate file. Such
        // a file is counted frame by frame, and left to FFmpeg when the guess falls short.
        let mpeg = info.format & Int32(SF_FORMAT_TYPEMASK) == Int32(SF_FORMAT_MPEG)
        let counted = mpeg ? file.flatMap(MPEGFrameHeader.uncountedStreamSamples) : nil
        if let counted, counted > Int(info.frames) + 2 * 1152 {
            genre_sf_close(handle)
            throw AudioError(path: path, problem: "\(SoundFile.unreadable) (libsndfile would stop at \(info.frames) of its \(counted) "
                + "samples, guessing a variable-bit-rate MP3's length from its first frame)")
        }
        self.path = path
        self.handle = handle
        self.memory = memory
        self.sampleRate = Int(info.samplerate)
        self.channels = Int(info.channels)
        // SF_COUNT_MAX is libsndfile's "unknown" (an Ogg file cut off before its last page).
        self.frames = counted ?? (info.frames == Int64.max ? 0 : Int(info.frames))
        self.format = info.format
    }

    deinit { genre_sf_close(handle) }

    /// A WAV header libsndfile would read forever (`ContainerCheck.waveListProblem`) is refused
    /// before it opens the file, and FFmpeg then gets a try as with any file libsndfile refuses;
    /// a cut-off file that both would read as a shorter one is an error.
    private static func checkContainer(_ file: RandomAccess, path: String) throws {
        if let problem = ContainerCheck.waveListProblem(file) {
            throw AudioError(path: path, problem: "\(unreadable) (\(problem))")
        }
        if let problem = ContainerCheck.cutOffProblem(file) { throw AudioError(path: path, problem: problem) }
    }

    /// Loads libsndfile (once per process); a missing library is an error about `path`.
    static func loadLibrary(for path: String) throws {
        guard genre_sndfile_load() == 0 else { throw AudioError(path: path, problem: String(cString: genre_sndfile_load_error())) }
    }

    /// Reads up to `maxFrames` interleaved frames into `buffer`; returns frames read (0 at the end).
    func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) throws -> Int {
        let n = isPCM16 ? readPCM16(into: buffer, maxFrames: maxFrames) : Int(genre_sf_readf_float(handle, buffer, sf_count_t(maxFrames)))
        if n < maxFrames, genre_sf_error(handle) != 0 {
            let reason = String(cString: genre_sf_strerror(handle))
            throw AudioError(path: path, problem: "\(SoundFile.decodingFailed) (\(SoundFile.tidy(reason)))")
        }
        return n
    }

    /// 16-bit PCM (WAV, AIFF, AU: GTZAN's format, and most uncompressed music) is read as the
    /// integers it holds and scaled here, eight at a time: libsndfile's own conversion to float
    /// is a scalar loop, a tenth of a 44.1 kHz stereo WAV's `genre features`. The values are
    /// libsndfile's, which normalises by 1/32768 too (both steps are exact).
    private var isPCM16: Bool { format & Int32(SF_FORMAT_SUBMASK) == Int32(SF_FORMAT_PCM_16) }
    private var integers: [Int16] = []

    private func readPCM16(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
        let count = maxFrames * channels
        if integers.count < count { integers = [Int16](repeating: 0, count: count) }
        return integers.withUnsafeMutableBufferPointer { integers in
            let n = Int(genre_sf_readf_short(handle, integers.baseAddress!, sf_count_t(maxFrames)))
            for i in 0..<max(0, n) * channels { buffer[i] = Float(integers[i]) * 0x1p-15 }
            return n
        }
    }

    /// "WAV (Microsoft), Signed 16 bit PCM"-style description.
    var formatDescription: String {
        func name(_ command: Int32, _ format: Int32) -> String? {
            var info = SF_FORMAT_INFO()
            info.format = format
            guard genre_sf_command(nil, command, &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
                  let cName = info.name else { return nil }
            return String(cString: cName)
        }
        let major = name(Int32(SFC_GET_FORMAT_INFO), format & Int32(SF_FORMAT_TYPEMASK)) ?? "unknown container"
        let minor = name(Int32(SFC_GET_FORMAT_INFO), format & Int32(SF_FORMAT_SUBMASK)) ?? "unknown encoding"
        return "\(major), \(minor)"
    }

    /// libsndfile reads a cut-off WAV or AIFF as a shorter file and only notes it in its log,
    /// as `data : 88200 (should be 44078)`. Streaming writers leave placeholder sizes
    /// (0 or all ones) that are not truncation.
    private static func truncation(_ handle: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 16384)
        let length = Int(genre_sf_command(handle, Int32(SFC_GET_LOG_INFO), &buffer, Int32(buffer.count)))
        guard length > 0 else { return nil }
        let log = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        for line in log.split(separator: "\n") {
            let fields = line.split(whereSeparator: { " :()".contains($0) })
            guard fields.count >= 5, ["data", "SSND"].contains(fields[0]), fields[2] == "should", fields[3] == "be",
                  let declared = Int(fields[1]), let actual = Int(fields[4]) else { continue }
            if declared > actual, declared < 0xFFFF_FF00 {
                return "truncated: the header announces \(declared) bytes of audio, the file holds \(actual)"
            }
        }
        return nil
    }

    /// libsndfile's messages end with a full stop and sometimes a newline.
    static func tidy(_ message: String) -> String {
        var s = message.trimmingWhitespace()
        while s.hasSuffix(".") { s.removeLast() }
        return s.prefix(1).lowercased() + s.dropFirst()
    }
}

/// libsndfile's virtual I/O callbacks over a `MemoryBytes`; `user_data` points at it.
private enum MemoryFile {
    static let length: sf_vio_get_filelen = { data in sf_count_t(MemoryBytes.from(data).bytes.count) }

    static let seek: sf_vio_seek = { offset, whence, data in
        MemoryBytes.from(data).seek(Int64(offset), whence: whence).map(sf_count_t.init) ?? -1
    }

    static let read: sf_vio_read = { destination, count, data in
        guard let destination, count > 0 else { return 0 }
        return sf_count_t(MemoryBytes.from(data).read(into: destination, count: Int(count)))
    }

    static let write: sf_vio_write = { _, _, _ in 0 }

    static let tell: sf_vio_tell = { data in sf_count_t(MemoryBytes.from(data).position) }
}
