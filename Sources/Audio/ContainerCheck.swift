internal import CZlib
import Files
import Glibc

/// Structural checks that name what is wrong with a damaged MPEG-4 or ASF file, where libavformat
/// only says "invalid data" or reads a cut-off file as a shorter one, and that keep libsndfile
/// away from the WAV chunks it would never finish reading.
enum ContainerCheck {
    /// Why an MPEG-4/QuickTime file libavformat could not open is unreadable: a top-level atom
    /// that runs past the end of the file, or no `moov` atom. nil when the atoms look whole.
    static func quickTimeProblem(_ file: RandomAccess) -> String? {
        let fileSize = file.size
        var offset: UInt64 = 0
        var foundMovie = false
        while fileSize - offset >= 8 {
            guard let bytes = file.read(at: offset, count: 16), bytes.count >= 8 else { return nil }
            let type = bytes[4..<8]
            let name = String(decoding: type, as: UTF8.self)
            if offset == 0, !ContainerSniffer.quickTimeAtomNames.contains(name) { return nil }  // not MPEG-4
            guard type.allSatisfy({ (0x20...0x7E).contains($0) }) else { break }  // not an atom: stop looking
            var size = UInt64(bigEndianBytes: bytes[0..<4])
            if size == 1 {
                guard bytes.count >= 16 else { return "truncated in the header of its '\(name)' atom" }
                size = UInt64(bigEndianBytes: bytes[8..<16])
            } else if size == 0 {
                size = fileSize - offset
            }
            guard size >= 8 else { return "damaged: its '\(name)' atom has an impossible size (\(size) bytes)" }
            if size > fileSize - offset {
                return "truncated: its '\(name)' atom announces \(size) bytes, the file holds \(fileSize - offset) of them"
            }
            if name == "moov" { foundMovie = true }
            offset += size
        }
        return foundMovie ? nil : "no 'moov' atom (the index of an MPEG-4 file; it was cut off or never finished)"
    }

    /// Why an MPEG audio file reads short: fewer frames than its Xing, Info or VBRI header
    /// announces (a download cut off; libsndfile reads a shorter recording, with a note from
    /// mpg123 on stderr). nil for other files, and for streams that announce nothing (most
    /// constant-bit-rate files without an Info header) or whose frames break off (damage).
    static func mpegProblem(_ file: RandomAccess) -> String? {
        let start = ContainerSniffer.afterID3v2Tags(file)
        guard let (header, length) = MPEGFrameHeader.frame(of: file, at: start), let announced = length?.frames,
              let held = MPEGFrameHeader.framesToTheEnd(of: file, from: start), held + 2 < announced else { return nil }
        let seconds = { (frames: Int) in String(cFormat: "%.1f s", Double(frames * header.samplesPerFrame) / Double(header.sampleRate)) }
        return "truncated: its header announces \(announced) frames (\(seconds(announced))) of audio, the file holds \(held) (\(seconds(held)))"
    }

    /// Why an Ogg file reads short: it ends inside a page (a download cut off) or holds zeros
    /// where pages should be (a download never finished), which libsndfile and FFmpeg both read
    /// as a shorter recording. nil for other files.
    static func oggProblem(_ file: RandomAccess) -> String? {
        guard file.read(at: 0, count: 4) == Array("OggS".utf8) else { return nil }
        let pages = OggPages(file)
        if let cut = pages.cutPage { return "truncated: its last Ogg page announces \(cut.announced) bytes, the file holds \(cut.held) of them" }
        if let zeros = pages.zeros {
            return "incomplete: \(zeros.count) bytes of zeros from byte \(zeros.at) of \(file.size), where Ogg pages should be (a download that never finished)"
        }
        return nil
    }

    /// Why libsndfile must not open a WAV (RIFF, RIFX or RF64) file: a data chunk that announces
    /// 0 bytes with the recording after it (a recorder that stopped before it wrote the sizes;
    /// libsndfile reads no audio, FFmpeg reads to the end), or a LIST chunk it would walk
    /// forever. libsndfile 1.2 steps through a LIST chunk's sub-chunks in 32-bit arithmetic: a
    /// sub-chunk of 2 GiB or more (4294967287 bytes, say) wraps it into a step backwards onto the
    /// same sub-chunk, and past a sub-chunk that runs over the LIST chunk's end it reads on into
    /// whatever follows. nil when every LIST chunk's sub-chunks fit it (or there is none).
    ///
    /// libsndfile skips ID3v2 tags before the header, and not always to the byte the tag's size
    /// names (a fuzzed file with a 0-byte tag was read from 2 bytes further on), so every WAVE
    /// header that starts within 64 bytes after the tags is looked at.
    static func waveListProblem(_ file: RandomAccess) -> String? {
        var tagsEnd: UInt64 = 0
        while let tag = file.read(at: tagsEnd, count: 10), tag.count == 10, tag.starts(with: Array("ID3".utf8)) {
            tagsEnd += tag[6..<10].reduce(0) { $0 << 7 | UInt64($1 & 0x7F) } + 10
        }
        guard let window = file.read(at: tagsEnd, count: 64 + 12), window.count >= 12 else { return nil }
        for start in 0...(window.count - 12) where ["RIFF", "RIFX", "RF64"].contains(where: { window[start..<start + 4].elementsEqual($0.utf8) })
            && window[start + 8..<start + 12].elementsEqual("WAVE".utf8) {
            if let problem = listProblem(wave: file.dropping(tagsEnd + UInt64(start))) { return problem }
        }
        return nil
    }

    /// `waveListProblem` for the WAVE file that starts at the first byte of `file`.
    private static func listProblem(wave file: RandomAccess) -> String? {
        guard let head = file.read(at: 0, count: 12), head.count == 12 else { return nil }
        let bigEndian = head.starts(with: Array("RIFX".utf8))
        func size(_ bytes: ArraySlice<UInt8>) -> UInt64 {
            bigEndian ? UInt64(bigEndianBytes: bytes) : UInt64(littleEndianBytes: bytes)
        }
        var offset: UInt64 = 12
        var rf64DataSize: UInt64?
        // Real files hold a handful of chunks; past a few thousand the rest is not looked at.
        for _ in 0..<4096 {
            guard file.size >= 8, offset <= file.size - 8, let header = file.read(at: offset, count: 8), header.count == 8 else { return nil }
            let id = header[0..<4]
            var length = size(header[4..<8])
            if id.elementsEqual("ds64".utf8), let sizes = file.read(at: offset + 8, count: 16), sizes.count == 16 {
                rf64DataSize = UInt64(littleEndianBytes: sizes[8..<16])
            }
            if id.elementsEqual("data".utf8), length == 0xFFFF_FFFF, let rf64DataSize { length = rf64DataSize }
            if id.elementsEqual("data".utf8), length == 0, file.size - offset - 8 >= 4096 {
                return "its data chunk announces 0 bytes and \(file.size - offset - 8) follow it (a recording whose header was never finished)"
            }
            if id.elementsEqual("LIST".utf8), let problem = subChunkProblem(file, listStart: offset + 8, length: length, size: size) {
                return "damaged LIST chunk: " + problem
            }
            // An RF64 data size can be anything up to 2^64 − 1.
            let (step, overflow) = length.addingReportingOverflow(8 + (length & 1))
            let (next, past) = offset.addingReportingOverflow(step)
            guard !overflow, !past else { return nil }
            offset = next
        }
        return nil
    }

    /// The first sub-chunk of the LIST chunk at `start` (`length` bytes as its header says) that
    /// libsndfile could not get past, described; list types (INFO, adtl) stand alone.
    private static func subChunkProblem(_ file: RandomAccess, listStart start: UInt64, length: UInt64,
                                        size: (ArraySlice<UInt8>) -> UInt64) -> String? {
        guard length > 8, start <= file.size else { return nil }  // libsndfile skips such a chunk whole
        let end = start + min(length, file.size - start)
        var position = start
        var count = 0
        while end - position >= 4 {
            count += 1
            guard count <= 4096 else { return "more than 4096 sub-chunks" }
            guard let header = file.read(at: position, count: 8), header.count >= 4 else { return nil }
            let id = String(decoding: header[0..<4].map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            if id == "INFO" || id == "adtl" {
                position += 4
                continue
            }
            guard header.count == 8, end - position >= 8 else { return "its '\(id)' sub-chunk is cut off at the chunk's end" }
            let subLength = size(header[4..<8])
            guard subLength < 0x7FFF_FFFF else { return "its '\(id)' sub-chunk claims \(subLength) bytes" }
            let next = position + 8 + subLength + (subLength & 1)
            guard next <= end else { return "its '\(id)' sub-chunk runs past the chunk's end" }
            position = next
        }
        return nil
    }

    private static let asfHeader: [UInt8] = [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C]
    private static let asfFileProperties: [UInt8] = [0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65]

    /// Windows Media DRM's header objects: Content Encryption and Extended Content Encryption.
    private static let asfEncryption: [[UInt8]] = [
        [0xFB, 0xB3, 0x11, 0x22, 0x23, 0xBD, 0xD2, 0x11, 0xB4, 0xB7, 0x00, 0xC0, 0x4F, 0xB9, 0xBF, 0x2B],
        [0x14, 0xE6, 0x8A, 0x29, 0x22, 0x26, 0x17, 0x4C, 0xB9, 0x35, 0xDA, 0xE0, 0x7E, 0xE9, 0x28, 0x9C],
    ]

    /// An ASF (WMA) file shorter than the size its File Properties object announces; libavformat
    /// reads it as a shorter recording. nil for whole files, broadcast streams and other containers.
    static func asfProblem(_ file: RandomAccess) -> String? {
        guard let object = asfHeaderObject(file, where: { $0.starts(with: asfFileProperties) }), object.count >= 92 else { return nil }
        let declared = UInt64(littleEndianBytes: object[40..<48])
        let broadcast = object[88] & 1 != 0
        guard !broadcast, declared > file.size else { return nil }
        return "truncated: the header announces \(declared) bytes, the file holds \(file.size)"
    }

    /// The copy protection of an ASF (WMA) file whose header holds a Windows Media DRM object.
    static func asfProtection(_ file: RandomAccess) -> String? {
        let encrypted = asfHeaderObject(file) { object in asfEncryption.contains { object.starts(with: $0) } } != nil
        return encrypted ? "Windows Media DRM, as subscription stores sold WMA" : nil
    }

    /// The first object of an ASF header (its first 92 bytes at most) that `matches`, the
    /// objects walked while their sizes fit the file.
    private static func asfHeaderObject(_ file: RandomAccess, where matches: (ArraySlice<UInt8>) -> Bool) -> ArraySlice<UInt8>? {
        let fileSize = file.size
        guard let head = file.read(at: 0, count: 30), head.count == 30, head.starts(with: asfHeader) else { return nil }
        let headerSize = UInt64(littleEndianBytes: head[16..<24])
        var offset: UInt64 = 30
        while offset <= min(headerSize, fileSize), min(headerSize, fileSize) - offset >= 24 {
            guard let object = file.read(at: offset, count: 92), object.count >= 24 else { return nil }
            let size = UInt64(littleEndianBytes: object[16..<24])
            guard size >= 24, size <= fileSize - offset else { return nil }
            if matches(object[...]) { return object[...] }
            offset += size
        }
        return nil
    }
}

extension ContainerCheck {
    /// Why a file reads short, in the containers that say how long they are and that libsndfile
    /// or FFmpeg would read as a shorter recording when cut off; both decoders ask before opening.
    static func cutOffProblem(_ file: RandomAccess) -> String? {
        let checks = [asfProblem, dsdProblem, oggProblem, mpegProblem, cafProblem, declaredSizeProblem]
        return checks.lazy.compactMap { $0(file) }.first
    }

    /// A CAF file whose chunks run past its end (a data chunk of size -1 runs to the end by
    /// definition); libsndfile refuses it as malformed and FFmpeg reads a shorter recording.
    static func cafProblem(_ file: RandomAccess) -> String? {
        guard let last = cafChunks(file)?.last, !(last.name == "data" && last.size == .max), last.size > file.size - last.start else {
            return nil
        }
        return "truncated: its '\(last.name)' chunk announces \(last.size) bytes, the file holds \(file.size - last.start) of them"
    }

    /// The frames a CAF file's packet table ('pakt') says are audio: the packets' frames less the
    /// encoder's priming and remainder (ALAC's last packet is shorter than its 4096 frames).
    static func cafValidFrames(_ file: RandomAccess) -> Int? {
        guard let table = cafChunks(file)?.first(where: { $0.name == "pakt" }), table.size >= 24,
              let bytes = file.read(at: table.start, count: 24), bytes.count == 24 else { return nil }
        let valid = UInt64(bigEndianBytes: bytes[8..<16])
        return valid > 0 && valid < UInt64(Int.max) ? Int(valid) : nil
    }

    /// A CAF file's chunks in order — name, where its data starts, its size — up to the first that
    /// runs past the end of the file or, a 'data' chunk of size -1, to it; nil for other files.
    private static func cafChunks(_ file: RandomAccess) -> [(name: String, start: UInt64, size: UInt64)]? {
        guard file.read(at: 0, count: 4) == Array("caff".utf8) else { return nil }
        var chunks: [(name: String, start: UInt64, size: UInt64)] = []
        var offset: UInt64 = 8
        while file.size >= 12, offset <= file.size - 12, let header = file.read(at: offset, count: 12), header.count == 12 {
            let chunk = (name: String(decoding: header[0..<4], as: UTF8.self), start: offset + 12, size: UInt64(bigEndianBytes: header[4..<12]))
            chunks.append(chunk)
            if chunk.size > file.size - chunk.start { break }  // the size -1 of a 'data' chunk that runs to the end included
            offset = chunk.start + chunk.size
        }
        return chunks
    }

    /// What a Musepack SV8 file's stream header ('SH' packet) states: its samples, and the
    /// beginning silence among them (which the reference decoder drops; mpccut writes it). nil for
    /// other files and for a header whose CRC, version or counts are wrong.
    static func musepackStreamHeader(_ file: RandomAccess) -> (samples: Int, silence: Int)? {
        var offset = ContainerSniffer.afterID3v2Tags(file)
        guard file.read(at: offset, count: 4) == Array("MPCK".utf8) else { return nil }
        offset += 4
        // The stream header comes first; packets before it (none from mpcenc) are stepped over, a few at most.
        for _ in 0..<16 {
            guard let head = file.read(at: offset, count: 10), head.count > 2, let size = musepackNumber(head[2...]),
                  size.value >= 2 + size.length, !head.starts(with: Array("AP".utf8)) else { return nil }
            guard head.starts(with: Array("SH".utf8)) else {
                guard size.value <= file.size - offset else { return nil }
                offset += UInt64(size.value)
                continue
            }
            // A CRC of what follows it, the version (8), the two numbers, then rate and channels.
            guard size.value <= 64, let packet = file.read(at: offset, count: size.value), packet.count == size.value else { return nil }
            let body = packet[(2 + size.length)...]
            guard body.count >= 5, UInt32(UInt64(bigEndianBytes: body.prefix(4))) == crc32(body.dropFirst(4)),
                  body[body.startIndex + 4] == 8, let samples = musepackNumber(body.dropFirst(5)),
                  let silence = musepackNumber(body.dropFirst(5 + samples.length)), silence.value < samples.value else { return nil }
            return (samples.value, silence.value)
        }
        return nil
    }

    /// A Musepack number and its length in bytes: 7 bits a byte, most significant first, the top
    /// bit set on all but the last. At most 8 bytes (56 bits, more than any file holds).
    private static func musepackNumber(_ bytes: ArraySlice<UInt8>) -> (value: Int, length: Int)? {
        var value = 0
        for (i, byte) in bytes.prefix(8).enumerated() {
            value = value << 7 | Int(byte & 0x7F)
            if byte & 0x80 == 0 { return (value, i + 1) }
        }
        return nil
    }

    /// zlib's CRC-32, as Musepack's stream header carries it.
    private static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        let crc = bytes.withUnsafeBufferPointer { CZlib.crc32(0, $0.baseAddress, uInt($0.count)) }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// A Sony Wave64, RF64 or Sun AU file shorter than its header announces (Wave64's RIFF size,
    /// RF64's in its ds64 chunk, AU's data offset and size); libsndfile reads it as a shorter
    /// recording. Writers that stream leave 0 or all ones, which announce nothing.
    static func declaredSizeProblem(_ file: RandomAccess) -> String? {
        let wave64: [UInt8] = [0x72, 0x69, 0x66, 0x66, 0x2E, 0x91, 0xCF, 0x11, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00]
        guard let head = file.read(at: 0, count: 28), head.count == 28 else { return nil }
        let (size, before): (UInt64, UInt64)  // the size announced, and the bytes before what it counts
        if head.starts(with: wave64) {
            (size, before) = (UInt64(littleEndianBytes: head[16..<24]), 0)
        } else if head.starts(with: Array("RF64".utf8)), head[12..<16].elementsEqual("ds64".utf8) {
            (size, before) = (UInt64(littleEndianBytes: head[20..<28]), 8)
        } else if head.starts(with: Array(".snd".utf8)), UInt64(bigEndianBytes: head[8..<12]) != 0xFFFF_FFFF {
            (size, before) = (UInt64(bigEndianBytes: head[8..<12]), UInt64(bigEndianBytes: head[4..<8]))
        } else {
            return nil
        }
        let (sum, overflow) = size.addingReportingOverflow(before)
        let declared = overflow ? UInt64.max : sum
        guard size != .max, declared > file.size else { return nil }
        return "truncated: the header announces \(declared) bytes, the file holds \(file.size)"
    }

    /// A DSD file (DSF or DSDIFF) shorter than the size its first chunk announces; libavformat
    /// reads it as a shorter recording. nil for whole files and other containers.
    static func dsdProblem(_ file: RandomAccess) -> String? {
        guard let head = file.read(at: 0, count: 20), head.count == 20 else { return nil }
        let declared: UInt64
        if head.starts(with: Array("DSD ".utf8)) {
            declared = UInt64(littleEndianBytes: head[12..<20])  // DSF: the whole file's size
        } else if head.starts(with: Array("FRM8".utf8)) {
            let (total, overflow) = UInt64(bigEndianBytes: head[4..<12]).addingReportingOverflow(12)  // DSDIFF: the form chunk's
            declared = overflow ? .max : total
        } else {
            return nil
        }
        guard declared > file.size else { return nil }
        return "truncated: the header announces \(declared) bytes, the file holds \(file.size)"
    }
}

/// A file on disk or in memory, read at any offset.
struct RandomAccess {
    let size: UInt64
    private let reader: (UInt64, Int) -> [UInt8]?

    func read(at offset: UInt64, count: Int) -> [UInt8]? { reader(offset, count) }

    /// The file from `offset` on (empty past its end).
    func dropping(_ offset: UInt64) -> RandomAccess {
        guard offset > 0 else { return self }
        let reader = reader
        return RandomAccess(size: size - min(offset, size)) { at, count in
            let (shifted, overflow) = at.addingReportingOverflow(offset)
            return overflow ? [] : reader(shifted, count)
        }
    }

    private init(size: UInt64, reader: @escaping (UInt64, Int) -> [UInt8]?) {
        (self.size, self.reader) = (size, reader)
    }

    init?(path: String) {
        guard let file = ReadOnlyFile(path: path) else { return nil }
        size = file.size
        reader = file.read(at:count:)  // the file closes when the last closure holding it goes
    }

    init(bytes: [UInt8]) {
        size = UInt64(bytes.count)
        reader = { offset, count in
            guard offset <= UInt64(bytes.count) else { return [] }
            return Array(bytes[Int(offset)...].prefix(count))
        }
    }

    /// How many zero bytes follow each other from `offset`.
    func zeros(at offset: UInt64) -> UInt64 {
        var position = offset
        while position < size, let piece = read(at: position, count: 64 << 10), !piece.isEmpty {
            let run = piece.firstIndex { $0 != 0 } ?? piece.count
            position += UInt64(run)
            if run < piece.count { break }
        }
        return position - offset
    }

    /// The first run of at least `minimum` zero bytes, or nil: space a download client set aside
    /// and never filled. Reads the file in 1 MiB pieces up to the run's end.
    func zeroRun(atLeast minimum: UInt64) -> (at: UInt64, count: UInt64)? {
        var (position, runStart, runLength) = (UInt64(0), UInt64(0), UInt64(0))
        while position < size, let piece = read(at: position, count: 1 << 20), !piece.isEmpty {
            for (i, byte) in piece.enumerated() {
                if byte == 0 {
                    if runLength == 0 { runStart = position + UInt64(i) }
                    runLength += 1
                } else {
                    if runLength >= minimum { return (runStart, runLength) }
                    runLength = 0
                }
            }
            position += UInt64(piece.count)
        }
        return runLength >= minimum ? (runStart, runLength) : nil
    }
}

private extension UInt64 {
    init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
