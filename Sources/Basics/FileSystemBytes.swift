#if canImport(Glibc)
import Glibc
#endif

/// File names on Linux are bytes, and not all of them are UTF-8: music copied from older systems
/// keeps names in Latin-1 and the like (`caf\xE9.mp3`). A `String` decoded the usual way turns
/// such a byte into U+FFFD and the file can no longer be opened, so paths — and text that
/// carries them: arguments, folder listings, lists and result files read back — are decoded
/// here without loss: each byte that is not part of valid UTF-8 becomes the private-use scalar
/// U+10FF00 + byte (Python's "surrogateescape" does the same with U+DC00 + byte, which a Swift
/// string cannot hold). Turning the string back into bytes — for the system's calls, or for
/// output — restores the byte. A name that really holds a scalar of that range (U+10FF80 and
/// up, never seen in practice) is escaped byte by byte, so any name comes back as it was.
public enum FileSystemBytes {
    /// The first of the scalars that stand for a single byte (0x80–0xFF).
    static let escapeBase: UInt32 = 0x10FF00

    /// The scalar that stands for `byte` (only bytes 0x80–0xFF are ever escaped).
    public static func escape(_ byte: UInt8) -> Unicode.Scalar { Unicode.Scalar(escapeBase + UInt32(byte))! }

    /// The byte a scalar stands for; nil for every other scalar.
    public static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
        scalar.value >= escapeBase + 0x80 ? UInt8(truncatingIfNeeded: scalar.value) : nil
    }

    /// Bytes as a string, losslessly (see the type's note).
    public static func string(_ bytes: some Collection<UInt8>) -> String {
        // Valid UTF-8 without an escape scalar in it (an escape starts F4 8F BE or F4 8F BF) is
        // every ordinary name: taken as it is.
        if !bytes.contains(0xF4), let text = String(validating: bytes, as: UTF8.self) { return text }
        var scalars = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var start = bytes.startIndex
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if escapedByte(scalar) != nil {
                    encoded.forEach { scalars.append(escape($0)) }
                } else {
                    scalars.append(scalar)
                }
                start = bytes.index(start, offsetBy: encoded.count)
            case .error(let length):
                let end = bytes.index(start, offsetBy: length)
                bytes[start..<end].forEach { scalars.append(escape($0)) }
                start = end
            case .emptyInput:
                return String(scalars)
            }
        }
    }

    /// The bytes a string decoded by `string(_:)` came from (its UTF-8 when it holds no escape).
    public static func bytes(_ text: String) -> [UInt8] {
        guard text.utf8.contains(0xF4) else { return Array(text.utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let byte = escapedByte(scalar) { bytes.append(byte) } else { bytes += String(scalar).utf8 }
        }
        return bytes
    }

    /// Calls `body` with the path as the NUL-terminated bytes the system's calls take.
    public static func withPath<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        guard path.utf8.contains(0xF4) else { return try path.withCString(body) }
        let bytes = self.bytes(path).map { CChar(bitPattern: $0) } + [0]
        return try bytes.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// The process's arguments (the program's name first), decoded without loss.
    public static func arguments() -> [String] {
        (0..<Int(CommandLine.argc)).map { i in
            guard let argument = CommandLine.unsafeArgv[i] else { return "" }
            return string(UnsafeBufferPointer(start: argument, count: strlen(argument)).lazy.map { UInt8(bitPattern: $0) })
        }
    }
}
