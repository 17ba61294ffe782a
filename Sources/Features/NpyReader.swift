import Basics
import Files
import Glibc

/// Reads the float32 C-order `.npy` files that `NpyWriter` writes.
public enum NpyReader {
    public static func read(path: String) throws -> (values: [Float], shape: [Int]) {
        try read(bytes: FileBytes.read(path: path), path: path)
    }

    /// Parses the bytes of a `.npy` file; `path` names it in errors.
    public static func read(bytes: [UInt8], path: String = "<memory>") throws -> (values: [Float], shape: [Int]) {
        let layout = try layout(head: bytes, fileSize: bytes.count, path: path)
        let values = bytes[layout.body...].withUnsafeBytes { raw in
            (0..<layout.count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        return (values, layout.shape)
    }

    /// Where the floats of a `.npy` file of `fileSize` bytes start, its shape and its number of
    /// floats, from the file's first bytes (`head`: at least its header); the size must match.
    public static func layout(head bytes: [UInt8], fileSize: Int, path: String) throws -> (body: Int, shape: [Int], count: Int) {
        func fail(_ problem: String) -> FileError { FileError(path: path, problem: problem) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("not a .npy file")
        }
        // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
        let (headerStart, headerLength): (Int, Int) = bytes[6] == 1
            ? (10, Int(bytes[8]) | Int(bytes[9]) << 8)
            : (12, bytes.count >= 12 ? bytes[8..<12].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } : Int.max)
        guard headerLength <= bytes.count - headerStart else { throw fail("truncated .npy header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.firstRange(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw fail("unsupported .npy header (float32, C order expected)")
        }
        let fields = header[open.upperBound..<close].split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        let shape = fields.compactMap { Int($0) }
        guard shape.count == fields.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw fail("invalid .npy shape (\(header[open.upperBound..<close]))")
        }
        let body = headerStart + headerLength
        let available = (fileSize - body) / 4
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= available else {
                throw fail("truncated .npy data (\(fileSize - body) bytes for shape \(shape))")
            }
            count = product
        }
        guard fileSize - body == 4 * count else { throw fail("truncated .npy data (\(fileSize - body) bytes for \(count) floats)") }
        return (body, shape, count)
    }

    public static func spectrogram(path: String) throws -> Spectrogram {
        let (values, shape) = try read(path: path)
        return try spectrogram(values: values, shape: shape, path: path)
    }

    /// A `[n_mels, frames]` spectrogram from the bytes of a `.npy` file.
    public static func spectrogram(bytes: [UInt8], path: String = "<memory>") throws -> Spectrogram {
        let (values, shape) = try read(bytes: bytes, path: path)
        return try spectrogram(values: values, shape: shape, path: path)
    }

    private static func spectrogram(values: [Float], shape: [Int], path: String) throws -> Spectrogram {
        guard shape.count == 2 else { throw FileError(path: path, problem: "expected a 2-D array, got shape \(shape)") }
        return Spectrogram(nMels: shape[0], frames: shape[1], values: values)
    }
}
