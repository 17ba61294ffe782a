import Files
import Glibc

/// Structural checks that name what is wrong with a damaged MPEG-4 or ASF file, where libavformat
/// only says "invalid data" or reads a cut-off file as a shorter one.
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
            guard type.allSatisfy({ (0x20...0x7E).contains($0) }) else { break }  // not an atom: stop looking
            let name = String(decoding: type, as: UTF8.self)
            if offset == 0, !ContainerSniffer.quickTimeAtomNames.contains(name) { return nil }  // not MPEG-4
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

    private static let asfHeader: [UInt8] = [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C]
    private static let asfFileProperties: [UInt8] = [0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65]

    /// An ASF (WMA) file shorter than the size its File Properties object announces; libavformat
    /// reads it as a shorter recording. nil for whole files, broadcast streams and other containers.
    static func asfProblem(_ file: RandomAccess) -> String? {
        let fileSize = file.size
        guard let head = file.read(at: 0, count: 30), head.count == 30, head.starts(with: asfHeader) else { return nil }
        let headerSize = UInt64(littleEndianBytes: head[16..<24])
        var offset: UInt64 = 30
        while offset <= min(headerSize, fileSize), min(headerSize, fileSize) - offset >= 24 {
            guard let object = file.read(at: offset, count: 92), object.count >= 24 else { return nil }
            let size = UInt64(littleEndianBytes: object[16..<24])
            guard size >= 24, size <= fileSize - offset else { return nil }
            if object.starts(with: asfFileProperties) {
                guard object.count >= 92 else { return nil }
                let declared = UInt64(littleEndianBytes: object[40..<48])
                let broadcast = object[88] & 1 != 0
                guard !broadcast, declared > fileSize else { return nil }
                return "truncated: the header announces \(declared) bytes, the file holds \(fileSize)"
            }
            offset += size
        }
        return nil
    }
}

/// A file on disk or in memory, read at any offset.
struct RandomAccess {
    let size: UInt64
    private let reader: (UInt64, Int) -> [UInt8]?

    func read(at offset: UInt64, count: Int) -> [UInt8]? { reader(offset, count) }

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
}

private extension UInt64 {
    init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
