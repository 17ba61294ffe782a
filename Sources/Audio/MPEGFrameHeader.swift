/// The four-byte header that opens every MPEG-1/2/2.5 audio frame (layers I–III): enough of it
/// to know the frame's length, so that a run of frames can be told from bytes that only happen
/// to hold a sync word.
public struct MPEGFrameHeader: Equatable, Sendable {
    public let version: Int  // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
    public let layer: Int  // 3 layer I, 2 layer II, 1 layer III
    public let sampleRate: Int
    /// The whole frame in bytes, header included.
    public let length: Int
    /// Single channel (channel mode 3), which shortens layer III's side information.
    public let mono: Bool
    /// The longest frame: layer II at 160 kbit/s and 8 kHz, padded.
    static let longestFrame = 2881

    public init?<Bytes: RandomAccessCollection>(_ bytes: Bytes) where Bytes.Element == UInt8, Bytes.Index == Int {
        guard bytes.count >= 4 else { return nil }
        let b = bytes.startIndex
        let (b1, b2) = (bytes[b + 1], bytes[b + 2])
        guard bytes[b] == 0xFF, b1 & 0xE0 == 0xE0 else { return nil }
        version = Int(b1 >> 3 & 3)
        layer = Int(b1 >> 1 & 3)
        let bitrateIndex = Int(b2 >> 4), rateIndex = Int(b2 >> 2 & 3), padding = Int(b2 >> 1 & 1)
        mono = bytes[b + 3] >> 6 == 3
        // Reserved version, layer or rate; free-format frames (index 0) carry no length.
        guard version != 1, layer != 0, rateIndex != 3, (1...14).contains(bitrateIndex) else { return nil }
        sampleRate = [44100, 48000, 32000][rateIndex] >> (version == 3 ? 0 : version == 2 ? 1 : 2)
        let table: [Int]
        switch (version == 3, layer) {
        case (true, 3): table = [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
        case (true, 2): table = [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
        case (true, _): table = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        case (false, 3): table = [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
        case (false, _): table = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        }
        let bitrate = table[bitrateIndex - 1] * 1000
        switch layer {
        case 3: length = (12 * bitrate / sampleRate + padding) * 4
        case 2: length = 144 * bitrate / sampleRate + padding
        default: length = (version == 3 ? 144 : 72) * bitrate / sampleRate + padding
        }
    }

    /// Samples per channel in one frame.
    public var samplesPerFrame: Int { layer == 3 ? 384 : layer == 1 && version != 3 ? 576 : 1152 }

    /// What a Xing or Info header (LAME, FFmpeg: in the side information of the first frame) or
    /// a VBRI header (Fraunhofer: 32 bytes in) says of the stream, each when present: its frames,
    /// counting the header's own, and its bytes from the header's frame on.
    public struct LengthHeader: Equatable, Sendable {
        public let frames: Int?
        public let bytes: Int?
    }

    /// The length header in `frame` (the first frame's bytes), or nil when it holds none.
    public func lengthHeader<Bytes: RandomAccessCollection>(in frame: Bytes) -> LengthHeader? where Bytes.Element == UInt8, Bytes.Index == Int {
        func word(_ at: Int) -> Int? {
            guard at + 4 <= frame.count else { return nil }
            return (0..<4).reduce(0) { $0 << 8 | Int(frame[frame.startIndex + at + $1]) }
        }
        func tag(_ at: Int, _ name: String) -> Bool {
            at + 4 <= frame.count && frame[(frame.startIndex + at)..<(frame.startIndex + at + 4)].elementsEqual(name.utf8)
        }
        let xing = 4 + (version == 3 ? (mono ? 17 : 32) : (mono ? 9 : 17))
        if layer == 1, tag(xing, "Xing") || tag(xing, "Info"), let flags = word(xing + 4) {
            let frames = flags & 1 != 0 ? word(xing + 8) : nil
            let bytes = flags & 2 != 0 ? word(xing + 8 + (flags & 1 != 0 ? 4 : 0)) : nil
            return LengthHeader(frames: frames.map { $0 + 1 }, bytes: bytes)
        }
        if tag(36, "VBRI") { return LengthHeader(frames: word(36 + 14).map { $0 + 1 }, bytes: word(36 + 10)) }
        return nil
    }

    /// The header of the frame at `start` in `file` and the length header that frame holds, or
    /// nil when no frame starts there.
    static func frame(of file: RandomAccess, at start: UInt64) -> (header: MPEGFrameHeader, length: LengthHeader?)? {
        guard let bytes = file.read(at: start, count: longestFrame), let header = MPEGFrameHeader(bytes) else { return nil }
        return (header, header.lengthHeader(in: bytes.prefix(header.length)))
    }

    /// The samples per channel of the MPEG audio in `file` counted frame by frame, when its first
    /// frame holds no length header that counts them (nil otherwise, or when the frames break off).
    static func uncountedStreamSamples(_ file: RandomAccess) -> Int? {
        let start = ContainerSniffer.afterID3v2Tags(file)
        guard let first = frame(of: file, at: start), first.length?.frames == nil,
              let frames = framesToTheEnd(of: file, from: start) else { return nil }
        return frames * first.header.samplesPerFrame
    }

    /// Where the first run of `frames` back-to-back frames of one version, layer and rate starts
    /// in `bytes`, or nil. Four frames in a row is what decoders take as found (mpg123, FFmpeg's
    /// probe); chance bytes pass one header check in a few thousand tries and four chained ones
    /// practically never.
    static func firstRun(in bytes: [UInt8], frames: Int = 4) -> Int? {
        var start = 0
        while start + 4 <= bytes.count {
            defer { start += 1 }
            guard bytes[start] == 0xFF, let first = MPEGFrameHeader(bytes[start..<start + 4]) else { continue }
            var offset = start + first.length, found = 1
            while found < frames, offset + 4 <= bytes.count, let next = MPEGFrameHeader(bytes[offset..<offset + 4]),
                  next.version == first.version, next.layer == first.layer, next.sampleRate == first.sampleRate {
                offset += next.length
                found += 1
            }
            if found == frames { return start }
        }
        return nil
    }

    /// How many frames follow each other from `start` to the end of `file`, with only the tags
    /// that may follow audio after them (ID3v1, APEv2, Lyrics3, an appended ID3v2) and the last
    /// frame possibly cut short; nil when they break off before. Reads the file in 64 KiB pieces.
    static func framesToTheEnd(of file: RandomAccess, from start: UInt64) -> Int? {
        let trailers = ["TAG", "APETAGEX", "LYRICS", "ID3"].map { Array($0.utf8) }
        var (position, first, count): (UInt64, MPEGFrameHeader?, Int) = (start, nil, 0)
        var (piece, pieceStart): ([UInt8], UInt64) = ([], 0)
        while file.size >= 4, position <= file.size - 4 {
            if position < pieceStart || position + 8 > pieceStart + UInt64(piece.count) {
                (piece, pieceStart) = (file.read(at: position, count: 64 << 10) ?? [], position)
                guard piece.count >= 4 else { return nil }
            }
            let at = Int(position - pieceStart)
            let bytes = Array(piece[at..<min(at + 8, piece.count)])
            guard let header = MPEGFrameHeader(bytes), first.map({ $0.layer == header.layer && $0.sampleRate == header.sampleRate }) ?? true else {
                return first != nil && trailers.contains { bytes.starts(with: $0) } ? count : nil
            }
            first = first ?? header
            position += UInt64(header.length)
            count += 1
        }
        return first != nil ? count : nil
    }
}
