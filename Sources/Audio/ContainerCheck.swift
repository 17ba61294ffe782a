import Foundation

/// Structural checks that name what is wrong with a damaged MPEG-4 or ASF file, where libavformat
/// only says "invalid data" or reads a cut-off file as a shorter one.
enum ContainerCheck {
    /// Why an MPEG-4/QuickTime file libavformat could not open is unreadable: a top-level atom
    /// that runs past the end of the file, or no `moov` atom. nil when the atoms look whole.
    static func quickTimeProblem(path: String) -> String? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let fileSize = try? file.seekToEnd() else { return nil }
        var offset: UInt64 = 0
        var foundMovie = false
        while offset + 8 <= fileSize {
            guard (try? file.seek(toOffset: offset)) != nil,
                  let head = try? file.read(upToCount: 16), head.count >= 8 else { return nil }
            let bytes = [UInt8](head)
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
            if offset + size > fileSize {
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
    static func asfProblem(path: String) -> String? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let head = try? file.read(upToCount: 30), head.count == 30, head.starts(with: asfHeader),
              let fileSize = try? file.seekToEnd() else { return nil }
        let headerSize = UInt64(littleEndianBytes: [UInt8](head)[16..<24])
        var offset: UInt64 = 30
        while offset + 24 <= min(headerSize, fileSize) {
            guard (try? file.seek(toOffset: offset)) != nil, let data = try? file.read(upToCount: 92), data.count >= 24 else { return nil }
            let object = [UInt8](data)
            let size = UInt64(littleEndianBytes: object[16..<24])
            guard size >= 24 else { return nil }
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

private extension UInt64 {
    init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
