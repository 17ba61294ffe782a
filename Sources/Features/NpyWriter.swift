import Files

/// NumPy `.npy` (format 1.0) for float32 arrays, loadable with `numpy.load`.
public enum NpyWriter {
    /// The header for a little-endian float32 C-order array of `shape`, padded to 64 bytes.
    public static func header(shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let prefix = 10  // magic (6) + version (2) + header length (2)
        while (prefix + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        let length = UInt16(dict.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(dict.utf8)
    }

    /// Writes `values` with `shape` atomically to `path`.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try stage(values, shape: shape, to: path).commit()
    }

    public static func write(_ spectrogram: Spectrogram, to path: String) throws {
        try stage(spectrogram, to: path).commit()
    }

    /// The file written and flushed beside `path`, put in place by `commit()`.
    public static func stage(_ values: [Float], shape: [Int], to path: String) throws -> AtomicFile.Staged {
        precondition(values.count == shape.reduce(1, *), "values do not match shape \(shape)")
        let head = header(shape: shape)
        return try head.withUnsafeBytes { headBytes in
            try values.withUnsafeBytes { body in try AtomicFile.Staged(parts: [headBytes, body], to: path) }
        }
    }

    public static func stage(_ spectrogram: Spectrogram, to path: String) throws -> AtomicFile.Staged {
        try stage(spectrogram.values, shape: [spectrogram.nMels, spectrogram.frames], to: path)
    }
}
