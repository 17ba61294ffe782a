import Basics
import Foundation
import XCTest

/// File names that are not UTF-8 survive the trip into a String and back, byte for byte, and
/// JSON carries them as Python writes them.
final class FileSystemBytesTests: XCTestCase {
    func testEveryByteStringComesBackAsItWas() {
        var generator = SystemRandomNumberGenerator()
        var cases: [[UInt8]] = [
            [], Array("plain/ascii.wav".utf8), Array("Beyoncé – Déjà vu 🎸.flac".utf8),
            [0x63, 0x61, 0x66, 0xE9, 0x2E, 0x6D, 0x70, 0x33],  // "caf\xE9.mp3", Latin-1
            [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x8E], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xFF, 0xFE],  // cut, surrogate, overlong
            Array("\u{10FF80}\u{10FFFF}\u{10FEFF}".utf8),  // names that really hold the escapes' scalars
            [0xF4, 0x8F, 0xBE], [0xF4, 0x90, 0x80, 0x80],  // a cut escape, a scalar past U+10FFFF
        ]
        for _ in 0..<2000 {
            cases.append((0..<Int.random(in: 1...24, using: &generator)).map { _ in
                // Mostly high bytes, where UTF-8's rules are.
                Bool.random(using: &generator) ? UInt8.random(in: 0x80...0xFF, using: &generator) : UInt8.random(in: 1...0x7F, using: &generator)
            })
        }
        for bytes in cases {
            let text = FileSystemBytes.string(bytes)
            XCTAssertEqual(FileSystemBytes.bytes(text), bytes, "\(bytes)")
            XCTAssertEqual(FileSystemBytes.withPath(text) { Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map(UInt8.init(bitPattern:)) },
                           bytes, "\(bytes)")
            if let valid = String(validating: bytes, as: UTF8.self), !valid.unicodeScalars.contains(where: { $0.value >= 0x10FF80 }) {
                XCTAssertEqual(text, valid, "valid UTF-8 is read as it is")
            }
        }
        // Each undecodable byte is one scalar, so a name keeps its length and its extension.
        let latin1 = FileSystemBytes.string([0x63, 0x61, 0x66, 0xE9, 0x2E, 0x6D, 0x70, 0x33])
        XCTAssertEqual(latin1.unicodeScalars.count, 8)
        XCTAssertEqual(Path.fileExtension(latin1), "mp3")
        XCTAssertFalse(latin1.contains("\u{FFFD}"))
    }

    /// JSON writes such a byte as `\udcXX` — what Python's `json` writes for a name read with
    /// `os.fsdecode`, and turns back into the byte — and reads it back to the same string.
    func testJSONCarriesUndecodableBytesAsPythonDoes() throws {
        let name = FileSystemBytes.string(Array("music/caf".utf8) + [0xE9] + Array(".wav".utf8))
        let text = JSON.object(["path": .string(name)]).text
        XCTAssertEqual(text, #"{"path":"music/caf\udce9.wav"}"#)
        XCTAssertEqual(try JSON(parsing: text.utf8).object?["path"]?.string, name)
        // Python, where it is installed, reads the path to the same bytes.
        if let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile(atPath:)) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", "import json, os, sys; sys.stdout.buffer.write(os.fsencode(json.loads(sys.argv[1])['path']))", text]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let bytes = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            XCTAssertEqual(Array(bytes), FileSystemBytes.bytes(name))
        }
        // Other lone surrogates are still refused.
        for refused in [#"["\udc00"]"#, #"["\udc7f"]"#, #"["\udd00"]"#, #"["\ud800"]"#] {
            XCTAssertThrowsError(try JSON(parsing: refused.utf8), refused)
        }
    }
}
