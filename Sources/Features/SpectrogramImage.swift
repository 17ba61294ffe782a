internal import CZlib
import Files

/// PNG image of a spectrogram: the magma colour map (librosa's default for dB), low
/// frequencies at the bottom, time left to right, one pixel per frame and mel bin.
public enum SpectrogramImage {
    /// Magma sampled at 33 evenly spaced points (matplotlib's table); interpolated linearly.
    static let magma: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 4), (3, 3, 18), (10, 8, 34), (19, 13, 52),
        (29, 17, 71), (41, 17, 90), (54, 16, 107), (68, 15, 118),
        (81, 18, 124), (93, 23, 127), (106, 28, 129), (118, 33, 129),
        (131, 38, 129), (144, 42, 129), (156, 46, 127), (170, 51, 125),
        (183, 55, 121), (196, 60, 117), (208, 65, 111), (220, 72, 105),
        (231, 82, 99), (239, 93, 94), (245, 107, 92), (249, 121, 93),
        (252, 137, 97), (253, 152, 105), (254, 167, 114), (254, 182, 124),
        (254, 196, 136), (254, 211, 149), (253, 226, 163), (252, 240, 178),
        (252, 253, 191),
    ]

    /// RGB colour of t in [0, 1].
    static func colour(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let x = min(max(t, 0), 1) * Float(magma.count - 1)
        let i = min(Int(x), magma.count - 2)
        let f = x - Float(i)
        let a = magma[i], b = magma[i + 1]
        func mix(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Float(p) + (Float(q) - Float(p)) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// PNG bytes: 8-bit RGB, colours scaled from the spectrogram's minimum to its maximum.
    public static func png(_ spectrogram: Spectrogram) -> [UInt8] {
        let width = spectrogram.frames, height = spectrogram.nMels
        let (low, high) = spectrogram.extremes
        let scale: Float = high > low ? 1 / (high - low) : 0
        var raw = [UInt8](repeating: 0, count: height * (1 + 3 * width))
        spectrogram.values.withUnsafeBufferPointer { v in
            raw.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let mel = height - 1 - y  // top row is the highest band
                    let row = y * (1 + 3 * width)  // first byte of a row: filter type 0
                    for x in 0..<width {
                        let (r, g, b) = colour((v[mel * width + x] - low) * scale)
                        out[row + 1 + 3 * x] = r
                        out[row + 2 + 3 * x] = g
                        out[row + 3 + 3 * x] = b
                    }
                }
            }
        }
        return encode(filteredRows: raw, width: width, height: height)
    }

    /// PNG bytes of an 8-bit RGB image: `rgb` holds `height` rows of `width` pixels, top row first,
    /// three bytes (red, green, blue) per pixel. For plots drawn elsewhere.
    public static func png(rgb: [UInt8], width: Int, height: Int) -> [UInt8] {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3, "RGB image of \(width)×\(height) needs \(width * height * 3) bytes")
        var raw = [UInt8](repeating: 0, count: height * (1 + 3 * width))
        for y in 0..<height {
            raw.replaceSubrange((y * (1 + 3 * width) + 1)..<((y + 1) * (1 + 3 * width)), with: rgb[(y * 3 * width)..<((y + 1) * 3 * width)])
        }
        return encode(filteredRows: raw, width: width, height: height)
    }

    /// Rows each prefixed with filter type 0, as PNG bytes.
    private static func encode(filteredRows raw: [UInt8], width: Int, height: Int) -> [UInt8] {
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8-bit depth, RGB, deflate, adaptive filtering, no interlace
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", deflate(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    public static func write(_ spectrogram: Spectrogram, to path: String) throws {
        try AtomicFile.write(png(spectrogram), to: path)
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        png.appendBigEndian(UInt32(data.count))
        let typed = Array(type.utf8) + data
        png += typed
        let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        png.appendBigEndian(UInt32(crc))
    }

    private static func deflate(_ data: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { dst in
            data.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &length, src.baseAddress, uLong(src.count), 6)
            }
        }
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        return Array(out[0..<Int(length)])
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)])
    }
}
