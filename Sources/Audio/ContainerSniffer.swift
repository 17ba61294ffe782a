import Foundation

/// Recognises audio containers by their first bytes.
///
/// libsndfile hands data it does not recognise to its MPEG decoder as a last resort, and mpg123
/// then prints resync notes on stderr for random bytes. Files are only passed to libsndfile when
/// they start like a container it reads, which keeps bad input to one clear error line.
enum ContainerSniffer {
    private static let magics: [[UInt8]] = [
        "RIFF", "RIFX", "RF64", "FORM", ".snd", "dns.", "fLaC", "OggS", "caff", "NIST", "Crea",
        "riff", "MATL", "2BIT", "#!AMR", "wvpk", "ajkg", "SDS", "LM89", "ARMa",
    ].map { Array($0.utf8) } + [
        [0x64, 0xA3, 0x01, 0x00], [0x00, 0x01, 0xA3, 0x64],  // IRCAM
        [0x64, 0xA3, 0x02, 0x00], [0x00, 0x02, 0xA3, 0x64],
        [0x64, 0xA3, 0x03, 0x00], [0x00, 0x03, 0xA3, 0x64],
        [0x64, 0xA3, 0x04, 0x00], [0x00, 0x04, 0xA3, 0x64],
    ]

    /// True when `path` starts like a container libsndfile reads or like an MPEG stream.
    static func looksLikeAudio(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return true }  // let sf_open explain
        defer { try? handle.close() }
        return looksLikeAudio(head: [UInt8]((try? handle.read(upToCount: 16)) ?? Data()))
    }

    /// True when a file's first bytes (16 are enough) start like a container libsndfile reads or
    /// like an MPEG stream.
    static func looksLikeAudio(head: [UInt8]) -> Bool {
        if magics.contains(where: { head.starts(with: $0) }) { return true }
        if head.starts(with: Array("ID3".utf8)) { return true }
        // An MPEG audio frame: 11 sync bits, a valid version, layer and bitrate.
        if head.count >= 4, head[0] == 0xFF, head[1] & 0xE0 == 0xE0,
           (head[1] >> 3) & 0x3 != 1, (head[1] >> 1) & 0x3 != 0, head[2] >> 4 != 0xF {
            return true
        }
        return false
    }
}
