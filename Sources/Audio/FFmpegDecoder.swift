internal import CLoadedLibraries
import Basics
import Glibc
import Files

/// Decodes what libsndfile does not read — AAC and ALAC in MPEG-4, ADTS AAC, WMA, WavPack, Monkey's
/// Audio, Musepack, AC-3, Opus and Vorbis in Matroska/WebM, the audio track of video files —
/// through FFmpeg's libavformat and libavcodec, one packet at a time.
///
/// The default audio stream (`av_find_best_stream`) is decoded with libavformat's and
/// libavcodec's default behaviour, as the `ffmpeg` CLI decodes it: edit lists applied, encoder
/// delay and the padding the container marks (skip-samples side data) trimmed; in MPEG-4, also
/// the encoder's padding past the edit list's end, which this FFmpeg still decodes (newer ones,
/// and gapless players, drop it); in Musepack SV8, all but the samples its stream header states,
/// as the reference decoder trims them (FFmpeg keeps the synthesis delay and the encoder's
/// padding). Samples of any format become interleaved floats the way libswresample converts them
/// (s16 → x / 32768, s32 → x / 2147483648).
/// Packets that fail to decode are skipped, as the CLI skips them; a file where nothing decodes,
/// where more than a tenth of the packets fail, or that ends well before its header says is an
/// error. libav's own logging is silenced: problems come back as one `AudioError` line.
final class FFmpegDecoder: AudioDecoder {
    let path: String
    let sampleRate: Int
    let channels: Int
    let frames: Int
    let formatDescription: String

    private let handles: Handles
    private let streamIndex: Int32
    /// Frames the container announces, when it states them rather than guessing from the bitrate.
    private let announcedFrames: Int?
    /// The file's bytes, for what `checkEnd` says of a file shorter than announced.
    private let container: RandomAccess?
    /// The frames to hand out at most: an MPEG-4 file's presentation length (its edit list's), past
    /// which an AAC encoder's padding follows (up to a frame of near-silence).
    private let presentedFrames: Int
    private var deliveredFrames = 0
    /// Decoded frames that come before the audio: in Musepack, the synthesis filter's delay and the
    /// beginning silence, which libmpcdec drops and FFmpeg's decoder gives.
    private let leadingFrames: Int
    /// Decoded frames past which no packet is read: a Musepack stream's last sample. After it come
    /// the encoder's padding and, when an ID3v1 tag follows the APEv2 tag, the tags, which
    /// libavformat reads as one more packet (decoded to noise) and then fails on.
    private let decodeLimit: Int
    /// The Musepack decoder's synthesis delay: libmpcdec's MPC_DECODER_SYNTH_DELAY.
    private static let musepackDelay = 481

    /// The decoded frame being handed out: `frameOffset` of its `frameLength` frames are taken.
    private var frameOffset = 0
    private var frameLength = 0
    /// A packet read and not yet taken by the decoder (the first one, read at open, or one refused
    /// with EAGAIN until the decoder's frames are drained).
    private var packetWaiting = false
    private var inputEnded = false
    private var flushed = false
    private var decoderEnded = false
    private var decodedFrames = 0
    private var packetsSent = 0
    private var badPackets = 0
    private var firstDecodeError: Int32 = 0
    /// Frames skipped for a rate or channel count other than the stream's, and the first change.
    private var changedFrames = 0
    private var formatChange: String?
    private var readError: Int32 = 0
    /// Set when a packet carries encryption information (MPEG Common Encryption).
    private var encrypted = false

    /// Bytes and microseconds libavformat may read to find the streams' parameters.
    private static let probeSize = "5000000"
    private static let analyzeDuration = "5000000"
    /// Zero bytes taken for unfilled space: a torrent's pieces are 256 KiB and more, where
    /// compressed audio, even silence, never holds so many zeros in a row.
    private static let unfilledSpace: UInt64 = 256 << 10

    /// Process-wide settings, made once: no log output, and no single allocation over 64 MB.
    /// libavformat sizes some buffers from the file's own headers (a WAV LIST/INFO chunk that
    /// claims 1.7 GB is allocated and zeroed whole); an audio file's packets, frames and tags
    /// need far less.
    private static let configured: Void = {
        genre_av_log_set_level(AV_LOG_QUIET)
        genre_av_max_alloc(64 << 20)
    }()

    /// The demuxer, decoder, packet and frame, freed together however far `init` got.
    private final class Handles {
        var format: UnsafeMutablePointer<AVFormatContext>?
        var codec: UnsafeMutablePointer<AVCodecContext>?
        var packet: UnsafeMutablePointer<AVPacket>? = genre_av_packet_alloc()
        var frame: UnsafeMutablePointer<AVFrame>? = genre_av_frame_alloc()
        /// Custom I/O over a file in memory (`memory` stays alive as long as it).
        var io: UnsafeMutablePointer<AVIOContext>?
        var memory: MemoryBytes?

        deinit {
            genre_av_frame_free(&frame)
            genre_av_packet_free(&packet)
            genre_avcodec_free_context(&codec)
            genre_avformat_close_input(&format)
            if io != nil {
                genre_av_freep(&io!.pointee.buffer)
                genre_avio_context_free(&io)
            }
        }
    }

    /// Opens `path`, or — with `bytes` — the whole file held in memory, through custom I/O; `path`
    /// then only names it in errors.
    init(path: String, bytes: [UInt8]? = nil) throws {
        func failure(_ problem: String) -> AudioError { AudioError(path: path, problem: problem) }
        // FFmpeg is loaded here, the first time a file needs it, not when the process starts.
        guard genre_ffmpeg_load() == 0 else { throw failure(String(cString: genre_ffmpeg_load_error())) }
        Self.configured
        self.path = path
        let handles = Handles()
        self.handles = handles
        guard handles.packet != nil, handles.frame != nil else { throw failure("cannot set up the decoder (out of memory)") }
        let container = bytes.map(RandomAccess.init(bytes:)) ?? RandomAccess(path: path)
        self.container = container
        func quickTimeProblem() -> String? { container.flatMap(ContainerCheck.quickTimeProblem) }

        // Containers that state their size, read by libavformat as shorter recordings when cut off.
        if let problem = container.flatMap(ContainerCheck.cutOffProblem) { throw failure(problem) }
        if let protection = container.flatMap(ContainerCheck.asfProtection) { throw failure(Self.protected(protection)) }
        if let bytes {
            let memory = MemoryBytes(bytes)
            handles.memory = memory
            guard let buffer = genre_av_malloc(MemoryInput.bufferSize),
                  let io = genre_avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), Int32(MemoryInput.bufferSize), 0,
                                              memory.opaque, MemoryInput.read, nil, MemoryInput.seek) else {
                throw failure("cannot set up the decoder (out of memory)")
            }
            handles.io = io
            guard let format = genre_avformat_alloc_context() else { throw failure("cannot set up the decoder (out of memory)") }
            format.pointee.pb = io
            format.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
            handles.format = format
        }
        var options: OpaquePointer? = nil
        genre_av_dict_set(&options, "probesize", Self.probeSize, 0)
        genre_av_dict_set(&options, "analyzeduration", Self.analyzeDuration, 0)
        // Files only: a container that names other inputs (a playlist) cannot reach the network,
        // a pipe or a device.
        genre_av_dict_set(&options, "protocol_whitelist", "file", 0)
        // On failure this frees the context and sets it to nil. The path goes as a `file:` URL:
        // FFmpeg would take a name like `Intro:Live.m4a` or `pipe:0.m4a` for a protocol.
        let status = bytes == nil
            ? FileSystemBytes.withPath("file:" + path) { genre_avformat_open_input(&handles.format, $0, nil, &options) }
            : genre_avformat_open_input(&handles.format, nil, nil, &options)
        genre_av_dict_free(&options)
        guard status >= 0, let format = handles.format else {
            throw failure(quickTimeProblem() ?? "\(SoundFile.unreadable) (\(Self.message(status)))")
        }
        // libavformat's name for the demuxer: "mov,mp4,m4a,3gp,3g2,mj2", "ogg", "caf", …
        let demuxer = String(cString: format.pointee.iformat.pointee.name)
        let mpeg4 = demuxer.hasPrefix("mov,")
        // A cut-off MPEG-4 file with its index first opens, and would read as a shorter recording.
        if mpeg4, let problem = quickTimeProblem() {
            throw failure(problem)
        }
        let found = genre_avformat_find_stream_info(format, nil)
        guard found >= 0 else {
            throw failure("\(SoundFile.unreadable) (no stream information: \(Self.message(found)))")
        }
        var decoder: UnsafePointer<AVCodec>? = nil
        let best = genre_av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0)
        guard best >= 0, let decoder else {
            if best == genre_averror_decoder_not_found() {
                throw failure("no decoder for its audio (\(Self.codecName(Self.firstAudioStream(format))))")
            }
            throw failure("no audio stream (\(Self.containerName(format)) file)")
        }
        streamIndex = best
        let stream = format.pointee.streams[Int(best)]!
        // An iTunes Store purchase's sample entry ('drms' for 'mp4a'); encrypted packets are found
        // as they are read (sendPacket).
        if stream.pointee.codecpar.pointee.codec_tag == Self.fourCC("drms") {
            throw failure(Self.protected("FairPlay, as the iTunes Store sold music until 2009"))
        }
        for i in 0..<Int(format.pointee.nb_streams) where i != Int(best) {
            format.pointee.streams[i]!.pointee.discard = AVDISCARD_ALL
        }

        handles.codec = genre_avcodec_alloc_context3(decoder)
        guard let context = handles.codec, genre_avcodec_parameters_to_context(context, stream.pointee.codecpar) >= 0 else {
            throw failure("cannot set up the decoder (out of memory)")
        }
        context.pointee.pkt_timebase = stream.pointee.time_base
        context.pointee.thread_count = 1
        let opening = genre_avcodec_open2(context, decoder, nil)
        guard opening >= 0 else {
            throw failure("cannot open the \(Self.codecName(stream)) decoder (\(Self.message(opening)))")
        }
        let rate = Int(context.pointee.sample_rate), count = Int(context.pointee.ch_layout.nb_channels)
        guard rate > 0, count > 0 else {
            throw failure("audio header is invalid (\(count) channels at \(rate) Hz)")
        }
        sampleRate = rate
        channels = count
        formatDescription = Self.describe(format, stream)

        // Length: the stream's duration, else the container's. An Ogg file's is taken from its
        // last page, which in a chained file (the Ogg files FFmpeg gets) counts only the last
        // link: unknown, so `genre info` decodes to count.
        var length = 0
        let ogg = demuxer == "ogg"
        if !ogg, stream.pointee.duration > 0 {
            length = Int(genre_av_rescale_q(stream.pointee.duration, stream.pointee.time_base, AVRational(num: 1, den: Int32(rate))))
        } else if !ogg, format.pointee.duration > 0 {
            length = Int(genre_av_rescale(format.pointee.duration, Int64(rate), Int64(AV_TIME_BASE)))
        }
        // A CAF file's length is its packets × 4096 frames for ALAC; its packet table says how
        // many of them are audio (the last packet is shorter).
        if demuxer == "caf", let valid = container.flatMap(ContainerCheck.cafValidFrames) {
            length = min(length, valid)
        }
        // FFmpeg counts a Musepack SV8 stream in whole blocks of up to 73728 frames, rounded down
        // (none in a shorter file); its stream header states the samples.
        let musepack = demuxer == "mpc8" ? container.flatMap(ContainerCheck.musepackStreamHeader) : nil
        if let musepack { length = musepack.samples - musepack.silence }
        // A length guessed from the bit rate (raw ADTS, an MP3 whose Xing header does not fit the
        // file) is none: unknown, so `genre info` decodes to count.
        frames = musepack == nil && format.pointee.duration_estimation_method == AVFMT_DURATION_FROM_BITRATE ? 0 : length
        announcedFrames = frames > 0 ? frames : nil
        presentedFrames = (mpeg4 && stream.pointee.duration > 0 || musepack != nil) && frames > 0 ? frames : .max
        leadingFrames = musepack.map { Self.musepackDelay + $0.silence } ?? 0
        decodeLimit = musepack.map { Self.musepackDelay + $0.samples } ?? .max

        // MPEG Common Encryption shows only in the packets' side data: the first packet is read
        // now and kept for the decoder, so that opening the file (`genre info`) names it too.
        _ = readPacket()
        if encrypted { throw failure(Self.protected("MPEG Common Encryption")) }
    }

    func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) throws -> Int {
        var filled = 0
        while filled < maxFrames {
            if frameOffset < frameLength {
                let n = min(maxFrames - filled, frameLength - frameOffset, presentedFrames - deliveredFrames)
                guard n > 0 else {
                    frameOffset = frameLength  // padding: decoded to the end (checkEnd), not handed out
                    continue
                }
                convert(from: frameOffset, count: n, into: buffer + filled * channels)
                frameOffset += n
                filled += n
                deliveredFrames += n
            } else if try !receiveFrame() {
                break
            }
        }
        return filled
    }

    /// Decodes the next frame into `frame`; false at the end of the stream.
    private func receiveFrame() throws -> Bool {
        guard let codec = handles.codec, let frame = handles.frame, !decoderEnded else { return false }
        var failuresInARow = 0
        while true {
            if encrypted { throw AudioError(path: path, problem: Self.protected("MPEG Common Encryption")) }
            let status = genre_avcodec_receive_frame(codec, frame)
            if status >= 0 {
                guard frame.pointee.nb_samples > 0 else { continue }
                guard Int(frame.pointee.sample_rate) == sampleRate, Int(frame.pointee.ch_layout.nb_channels) == channels else {
                    // A damaged frame header (bit rot in an MP3) can claim another rate: skipped
                    // like a frame that does not decode. Many of them are a real change (checkEnd).
                    func layout(_ channels: Int, _ rate: Int) -> String { "\(channels) channel\(channels == 1 ? "" : "s") at \(rate) Hz" }
                    formatChange = formatChange ?? "the audio changes from \(layout(channels, sampleRate)) to "
                        + "\(layout(Int(frame.pointee.ch_layout.nb_channels), Int(frame.pointee.sample_rate))) part-way"
                    changedFrames += 1
                    continue
                }
                frameLength = Int(frame.pointee.nb_samples)
                frameOffset = min(frameLength, max(0, leadingFrames - decodedFrames))
                decodedFrames += frameLength
                return true
            } else if status == genre_averror_eagain(), sendPacket() {
                continue
            } else if status == genre_averror_eagain() || status == genre_averror_eof() {
                decoderEnded = true
                try checkEnd()
                return false
            } else {
                // A frame that fails to decode is skipped, as the ffmpeg CLI skips it.
                noteBadPacket(status)
                failuresInARow += 1
                if failuresInARow > 10_000 { throw AudioError(path: path, problem: "decoding failed (\(Self.message(status)))") }
            }
        }
    }

    /// Sends the next packet of the chosen stream, or the end-of-stream flush; false when even
    /// the flush has been sent, so a decoder that still asks for input cannot loop forever.
    private func sendPacket() -> Bool {
        guard let codec = handles.codec, let packet = handles.packet else { return false }
        while true {
            if inputEnded {
                guard !flushed else { return false }
                flushed = true
                _ = genre_avcodec_send_packet(codec, nil)
                return true
            }
            if !packetWaiting {
                guard readPacket() else { continue }
                if encrypted { return true }
            }
            let status = genre_avcodec_send_packet(codec, packet)
            // The decoder has frames to give first: the packet stays waiting (readPacket set it so).
            if status == genre_averror_eagain() { return true }
            packetWaiting = false
            genre_av_packet_unref(packet)
            packetsSent += 1
            if status >= 0 { return true }
            noteBadPacket(status)  // skipped; on to the next packet
        }
    }

    /// Reads the chosen stream's next packet into `handles.packet`, to be sent next
    /// (`packetWaiting`); false at the end of the input or on a read error (`inputEnded`,
    /// `readError`). A packet with encryption information is dropped and sets `encrypted`.
    private func readPacket() -> Bool {
        guard let format = handles.format, let packet = handles.packet, decodedFrames < decodeLimit else {
            inputEnded = true  // nothing (more) to read: sendPacket flushes instead of asking again
            return false
        }
        while true {
            let status = genre_av_read_frame(format, packet)
            if status < 0 {
                if status != genre_averror_eof() { readError = status }
                inputEnded = true
                return false
            }
            guard packet.pointee.stream_index == streamIndex else {
                genre_av_packet_unref(packet)
                continue
            }
            let sideData = UnsafeBufferPointer(start: packet.pointee.side_data, count: Int(packet.pointee.side_data_elems))
            if sideData.contains(where: { $0.type == AV_PKT_DATA_ENCRYPTION_INFO }) {
                encrypted = true
                genre_av_packet_unref(packet)
                return true
            }
            packetWaiting = true
            return true
        }
    }

    private func noteBadPacket(_ status: Int32) {
        if badPackets == 0 { firstDecodeError = status }
        badPackets += 1
    }

    /// At the end of the stream: nothing decoded, too many bad packets, or a stream that ends
    /// well before the container said it would, are errors.
    private func checkEnd() throws {
        func failure(_ problem: String) -> AudioError { AudioError(path: path, problem: problem) }
        if let formatChange, changedFrames * 10 > packetsSent { throw failure(formatChange) }
        if decodedFrames == 0 {
            if badPackets > 0 {
                throw failure("decoding failed (no packet of \(packetsSent) decodes: \(Self.message(firstDecodeError)))")
            }
            if readError != 0 { throw failure("decoding failed (\(Self.message(readError)))") }
            throw failure("no audio frames (the file holds no decodable audio)")
        }
        if badPackets * 10 > packetsSent {
            throw failure("damaged: \(badPackets) of \(packetsSent) packets do not decode (\(Self.message(firstDecodeError)))")
        }
        let heldFrames = max(0, decodedFrames - leadingFrames)
        if let announcedFrames, announcedFrames - heldFrames > max(8192, announcedFrames / 50) {
            let seconds = { (frames: Int) in String(cFormat: "%.2f s", Double(frames) / Double(self.sampleRate)) }
            let shortfall = "the header announces \(seconds(announcedFrames)) of audio, the file holds \(seconds(heldFrames))"
            // A download client's unfilled space (a torrent stopped halfway) reads as missing audio.
            if let container, let zeros = container.zeroRun(atLeast: Self.unfilledSpace) {
                throw failure("incomplete: \(zeros.count) bytes of zeros from byte \(zeros.at) of \(container.size) "
                    + "(a download that never finished); \(shortfall)")
            }
            throw failure("truncated: " + shortfall)
        }
        if readError != 0, readError != genre_averror_invaliddata() {
            throw failure("decoding failed (\(Self.message(readError)))")
        }
    }

    /// Copies `count` frames from `offset` of the current frame into `output`, interleaved, as
    /// libswresample converts each sample format to float.
    private func convert(from offset: Int, count: Int, into output: UnsafeMutablePointer<Float>) {
        guard let frame = handles.frame else { return }
        let channels = self.channels
        let sampleFormat = AVSampleFormat(rawValue: frame.pointee.format)
        let planar = genre_av_sample_fmt_is_planar(sampleFormat) != 0
        let data = frame.pointee.extended_data!
        // Planar float stereo (what FFmpeg's AAC, MP3 and Vorbis decoders give) interleaved in
        // one loop, which LLVM vectorises; channel by channel the stores go one value at a time.
        if planar, channels == 2, genre_av_get_packed_sample_fmt(sampleFormat) == AV_SAMPLE_FMT_FLT {
            let left = UnsafeRawPointer(data[0]!).assumingMemoryBound(to: Float.self) + offset
            let right = UnsafeRawPointer(data[1]!).assumingMemoryBound(to: Float.self) + offset
            for i in 0..<count {
                output[2 * i] = left[i]
                output[2 * i + 1] = right[i]
            }
            return
        }
        for c in 0..<channels {
            let base = UnsafeRawPointer(data[planar ? c : 0]!)
            let stride = planar ? 1 : channels
            let first = planar ? offset : offset * channels + c
            func copy<T>(_: T.Type, _ toFloat: (T) -> Float) {
                let source = base.assumingMemoryBound(to: T.self) + first
                for i in 0..<count { output[i * channels + c] = toFloat(source[i * stride]) }
            }
            switch genre_av_get_packed_sample_fmt(sampleFormat) {
            case AV_SAMPLE_FMT_FLT: copy(Float.self) { $0 }
            case AV_SAMPLE_FMT_S16: copy(Int16.self) { Float($0) * (1 / 32768) }
            case AV_SAMPLE_FMT_S32: copy(Int32.self) { Float($0) * (1 / 2147483648) }
            case AV_SAMPLE_FMT_DBL: copy(Double.self) { Float($0) }
            case AV_SAMPLE_FMT_U8: copy(UInt8.self) { Float(Int32($0) - 0x80) * (1 / 128) }
            case AV_SAMPLE_FMT_S64: copy(Int64.self) { Float($0) * (1 / 9223372036854775808) }
            default: for i in 0..<count { output[i * channels + c] = 0 }
            }
        }
    }

    // MARK: Names and messages

    static func message(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if genre_av_strerror(status, &buffer, buffer.count) < 0 { return "error \(status)" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return SoundFile.tidy(String(decoding: bytes, as: UTF8.self))
    }

    private static func firstAudioStream(_ format: UnsafeMutablePointer<AVFormatContext>) -> UnsafeMutablePointer<AVStream>? {
        (0..<Int(format.pointee.nb_streams)).lazy.compactMap { format.pointee.streams[$0] }
            .first { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO }
    }

    /// "MPEG-4, AAC LC", "Matroska/WebM, Opus", "WavPack".
    private static func describe(_ format: UnsafeMutablePointer<AVFormatContext>, _ stream: UnsafeMutablePointer<AVStream>) -> String {
        let container = containerName(format), codec = codecName(stream)
        return codec.hasPrefix(container) ? codec : "\(container), \(codec)"
    }

    static func containerName(_ format: UnsafeMutablePointer<AVFormatContext>) -> String {
        let name = String(cString: format.pointee.iformat.pointee.name)
        if name.hasPrefix("mov,") {
            let brand = genre_av_dict_get(format.pointee.metadata, "major_brand", nil, 0).map { String(cString: $0.pointee.value) }
            return brand == "qt  " ? "QuickTime" : "MPEG-4"
        }
        let names = [
            "matroska,webm": "Matroska/WebM", "asf": "ASF", "aac": "ADTS", "wv": "WavPack", "ape": "Monkey's Audio",
            "mpc": "Musepack", "mpc8": "Musepack", "ac3": "AC-3", "eac3": "E-AC-3", "ogg": "Ogg", "wav": "WAV", "caf": "CAF",
            "mp3": "MPEG audio", "flac": "FLAC", "flv": "FLV", "avi": "AVI", "mpeg": "MPEG-PS", "mpegts": "MPEG-TS",
            "tta": "TTA", "aiff": "AIFF", "w64": "Sony Wave64",
        ]
        if let known = names[name] { return known }
        if let long = format.pointee.iformat.pointee.long_name { return String(cString: long) }
        return name
    }

    /// What is said of a file whose audio a store's copy protection encrypts (it would decode to
    /// errors or noise, which would read as a damaged file).
    static func protected(_ protection: String) -> String {
        "protected by DRM (\(protection)): its audio is encrypted and cannot be decoded"
    }

    /// A codec tag as libavformat stores one: the first character in the lowest byte.
    static func fourCC(_ code: String) -> UInt32 { code.utf8.reversed().reduce(0) { $0 << 8 | UInt32($1) } }

    static func codecName(_ stream: UnsafeMutablePointer<AVStream>?) -> String {
        guard let parameters = stream?.pointee.codecpar else { return "unknown codec" }
        let id = parameters.pointee.codec_id
        let name = genre_avcodec_get_name(id).map { String(cString: $0) } ?? "unknown"
        let bits = Int(parameters.pointee.bits_per_raw_sample)
        let depth = bits > 0 ? " \(bits)-bit" : ""
        switch name {
        case "aac":
            let profile = genre_avcodec_profile_name(id, parameters.pointee.profile).map { String(cString: $0) }
            guard let profile else { return "AAC" }
            return profile.hasPrefix("HE-AAC") ? profile : "AAC \(profile)"
        case "alac": return "ALAC" + depth
        case "flac": return "FLAC" + depth
        case "wavpack": return "WavPack" + depth
        case "ape": return "Monkey's Audio" + depth
        case "tta": return "TTA" + depth
        case "wmalossless": return "WMA Lossless" + depth
        case "wmav1": return "WMA v1"
        case "wmav2": return "WMA v2"
        case "wmapro": return "WMA Pro"
        case "wmavoice": return "WMA Voice"
        case "opus": return "Opus"
        case "vorbis": return "Vorbis"
        case "mp3": return "MP3"
        case "mp2": return "MP2"
        case "ac3": return "AC-3"
        case "eac3": return "E-AC-3"
        case "dts": return "DTS"
        case "musepack7": return "Musepack SV7"
        case "musepack8": return "Musepack SV8"
        default:
            if let descriptor = genre_avcodec_descriptor_get(id), let long = descriptor.pointee.long_name { return String(cString: long) }
            return name
        }
    }
}

/// libavformat's custom I/O callbacks over a `MemoryBytes`; `opaque` points at it.
private enum MemoryInput {
    static let bufferSize = 32768

    static let read: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = { opaque, buffer, size in
        let input = MemoryBytes.from(opaque)
        guard let buffer, size > 0 else { return 0 }
        guard input.remaining > 0 else { return genre_averror_eof() }
        return Int32(input.read(into: buffer, count: Int(size)))
    }

    static let seek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { opaque, offset, whence in
        let input = MemoryBytes.from(opaque)
        let whence = whence & ~Int32(AVSEEK_FORCE)
        if whence == Int32(AVSEEK_SIZE) { return Int64(input.bytes.count) }
        return input.seek(offset, whence: whence).map(Int64.init) ?? -1
    }
}
