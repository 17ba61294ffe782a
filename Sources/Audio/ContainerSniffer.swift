import Files
import Glibc

/// Recognises audio containers by their first bytes and picks the library that decodes them.
///
/// libsndfile hands data it does not recognise to its MPEG decoder as a last resort, and mpg123
/// then prints resync notes on stderr for random bytes. Files are only passed to libsndfile when
/// they start like a container it reads, and to FFmpeg when they start like one of the formats
/// libsndfile does not read (MP4/QuickTime, ADTS AAC, ASF/WMA, Matroska/WebM, WavPack, Monkey's
/// Audio, Musepack, AC-3, DTS, TrueHD, DSD, …); anything else is refused, which keeps bad input to
/// one clear line. MPEG audio after bytes that are not (a ripper's padding, a cut stream) is found
/// by its run of frames, and MPEG audio whose frames break off (damage in the middle) is found by
/// walking them; both go to FFmpeg, which resynchronises where libsndfile would not. So does a
/// chained Ogg file, of which libsndfile reads only the first link.
enum ContainerSniffer {
    enum Library: Equatable {
        /// libsndfile: the librosa contract, first for everything it reads.
        case soundFile
        /// FFmpeg's libavformat and libavcodec.
        case ffmpeg
    }

    private static let soundFileMagics: [[UInt8]] = [
        "RIFF", "RIFX", "RF64", "FORM", ".snd", "dns.", "fLaC", "OggS", "caff", "NIST", "Crea",
        "riff", "MATL", "2BIT", "#!AMR", "ajkg", "SDS", "LM89", "ARMa",
    ].map { Array($0.utf8) } + [
        [0x64, 0xA3, 0x01, 0x00], [0x00, 0x01, 0xA3, 0x64],  // IRCAM
        [0x64, 0xA3, 0x02, 0x00], [0x00, 0x02, 0xA3, 0x64],
        [0x64, 0xA3, 0x03, 0x00], [0x00, 0x03, 0xA3, 0x64],
        [0x64, 0xA3, 0x04, 0x00], [0x00, 0x04, 0xA3, 0x64],
    ]

    private static let ffmpegMagics: [[UInt8]] = [
        "wvpk",  // WavPack
        "MAC ",  // Monkey's Audio
        "MPCK", "MP+",  // Musepack SV8, SV7
        "TTA1",  // True Audio
        "ADIF",  // AAC in ADIF
        "FLV",
        "DSD ", "FRM8",  // DSD: Sony's DSF, Philips' DSDIFF
        "DTSHDHDR",  // DTS-HD
    ].map { Array($0.utf8) } + [
        [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11],  // ASF (WMA, WMV)
        [0x1A, 0x45, 0xDF, 0xA3],  // EBML: Matroska, WebM
        [0x0B, 0x77],  // AC-3, E-AC-3
        [0x00, 0x00, 0x01, 0xBA],  // MPEG program stream
        [0x7F, 0xFE, 0x80, 0x01], [0xFE, 0x7F, 0x01, 0x80],  // DTS, 16-bit words big- and little-endian
        [0x1F, 0xFF, 0xE8, 0x00], [0xFF, 0x1F, 0x00, 0xE8],  // DTS, 14-bit words
    ]

    /// The major sync of TrueHD and MLP, at byte 4 (after the first access unit's header).
    private static let losslessPackingSyncs: [[UInt8]] = [[0xF8, 0x72, 0x6F, 0xBA], [0xF8, 0x72, 0x6F, 0xBB]]

    /// How far into a file without a recognised start a run of MPEG audio frames is looked for.
    static let mpegSearchBytes = 64 << 10
    private static let mpegSearchWindow = mpegSearchBytes + 4 * MPEGFrameHeader.longestFrame

    /// Atom types that open an MPEG-4 or QuickTime file, at byte 4.
    static let quickTimeAtomNames = ["ftyp", "moov", "mdat", "free", "skip", "wide", "pnot"]
    private static let quickTimeAtoms: [[UInt8]] = quickTimeAtomNames.map { Array($0.utf8) }

    /// The library for `path`, or nil when its first bytes match no container either reads.
    static func library(path: String) -> Library? {
        guard let file = RandomAccess(path: path) else { return .soundFile }  // let sf_open explain
        return library(file)
    }

    /// The same for a whole file held in memory.
    static func library(bytes: [UInt8]) -> Library? { library(RandomAccess(bytes: bytes)) }

    /// Where the audio starts: after the ID3v2 tags that can sit before MPEG audio, ADTS AAC or
    /// FLAC (two of them, from taggers that add one rather than edit the first; up to 16).
    static func afterID3v2Tags(_ file: RandomAccess) -> UInt64 {
        var start: UInt64 = 0
        for _ in 0..<16 {
            guard let head = file.read(at: start, count: 10), head.count == 10, head.starts(with: Array("ID3".utf8)) else { break }
            start += head[6..<10].reduce(0) { $0 << 7 | UInt64($1 & 0x7F) } + 10 + (head[5] & 0x10 != 0 ? 10 : 0)
        }
        return start
    }

    private static func library(_ file: RandomAccess) -> Library? {
        let start = afterID3v2Tags(file)
        let head = file.read(at: start, count: 16) ?? []
        switch library(head: head) {
        case .soundFile? where MPEGFrameHeader(head) != nil:
            // MPEG audio: libsndfile's mpg123 gives up on frames that break off (printing its
            // notes on stderr), where FFmpeg skips the damage as players do.
            guard MPEGFrameHeader.framesToTheEnd(of: file, from: start) != nil else { return .ffmpeg }
            return mpg123WarnsOfLength(file, audioStart: start) ? .ffmpeg : .soundFile
        case .soundFile? where head.starts(with: Array("OggS".utf8)):
            return OggPages(file).chained ? .ffmpeg : .soundFile
        case let found?:
            return found
        case nil:
            // MPEG audio whose first frame is not at the start: four frames in a row within the
            // first `mpegSearchBytes`, for FFmpeg.
            if let run = MPEGFrameHeader.firstRun(in: file.read(at: start, count: mpegSearchWindow) ?? []), run <= mpegSearchBytes {
                return .ffmpeg
            }
            return start > 0 ? .soundFile : nil  // a tagged file: libsndfile says what is wrong
        }
    }

    /// Whether mpg123 would print "Warning: Xing stream size off by more than 1%" on stderr: the
    /// bytes a Xing header announces differ by more than 1 % of the file from the file less its
    /// leading ID3v2 tags and an ID3v1 tag (an APEv2 tag with cover art after the audio, say).
    private static func mpg123WarnsOfLength(_ file: RandomAccess, audioStart start: UInt64) -> Bool {
        guard let bytes = MPEGFrameHeader.frame(of: file, at: start)?.length?.bytes else { return false }
        let id3v1 = file.size >= 128 && file.read(at: file.size - 128, count: 3) == Array("TAG".utf8)
        let length = Int(file.size) - (id3v1 ? 128 : 0)
        return abs(length - Int(start) - bytes) * 100 > length
    }

    static func library(head: [UInt8]) -> Library? {
        if soundFileMagics.contains(where: { head.starts(with: $0) }) { return .soundFile }
        if ffmpegMagics.contains(where: { head.starts(with: $0) }) { return .ffmpeg }
        if head.count >= 8, quickTimeAtoms.contains(where: { head[4..<8].elementsEqual($0) }) { return .ffmpeg }
        if head.count >= 8, losslessPackingSyncs.contains(where: { head[4..<8].elementsEqual($0) }) { return .ffmpeg }
        if head.count >= 4, head[0] == 0xFF, head[1] & 0xE0 == 0xE0 {
            let layer = (head[1] >> 1) & 0x3
            // ADTS AAC: 12 sync bits, layer 0, a valid sampling-frequency index.
            if head[1] & 0xF0 == 0xF0, layer == 0, (head[2] >> 2) & 0xF < 13 { return .ffmpeg }
            // An MPEG audio frame: 11 sync bits, a valid version, layer and bitrate.
            if (head[1] >> 3) & 0x3 != 1, layer != 0, head[2] >> 4 != 0xF { return .soundFile }
        }
        return nil
    }
}
