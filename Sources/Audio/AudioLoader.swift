/// Whole-file decoding: `librosa.load(path, sr=sampleRate, mono=True)`.
public enum AudioLoader {
    /// Mono samples in [-1, 1] at `sampleRate` (nil keeps the file's rate).
    public static func load(path: String, sampleRate: Int? = 22050) throws -> [Float] {
        try AudioStream(path: path, sampleRate: sampleRate).readAll()
    }

    /// The same from a whole file held in memory; `name` stands for the path in errors.
    public static func load(bytes: [UInt8], name: String = "<memory>", sampleRate: Int? = 22050) throws -> [Float] {
        try AudioStream(bytes: bytes, name: name, sampleRate: sampleRate).readAll()
    }

    /// Every channel at the file's own rate, as [channel][frame] (`librosa.load(sr=None, mono=False)`).
    public static func loadChannels(path: String) throws -> (channels: [[Float]], sampleRate: Int) {
        let file = try AudioDecoders.open(path: path)
        let blockFrames = 65536
        var interleaved = [Float](repeating: 0, count: blockFrames * file.channels)
        var channels = [[Float]](repeating: [], count: file.channels)
        while true {
            let n = try interleaved.withUnsafeMutableBufferPointer { try file.read(into: $0.baseAddress!, maxFrames: blockFrames) }
            for c in 0..<file.channels {
                channels[c].append(contentsOf: stride(from: c, to: n * file.channels, by: file.channels).lazy.map { interleaved[$0] })
            }
            if n < blockFrames { break }
        }
        guard let first = channels.first, !first.isEmpty else {
            throw AudioError(path: path, problem: "no audio frames (the file holds no decodable audio)")
        }
        return (channels, file.sampleRate)
    }
}
