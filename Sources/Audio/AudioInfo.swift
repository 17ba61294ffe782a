/// What `genre info` prints: container and encoding ("WAV (Microsoft), Signed 16 bit PCM",
/// "MPEG-4, AAC LC"), rate, channels, length.
public struct AudioInfo: Sendable {
    public let path: String
    public let format: String
    public let sampleRate: Int
    public let channels: Int
    /// As the header announces it (an estimate for compressed streams); counted by decoding when
    /// the header does not say (raw TrueHD, MLP).
    public let frames: Int

    public var duration: Double { Double(frames) / Double(sampleRate) }

    public init(path: String) throws { try self.init(source: .file(path)) }

    public init(source: AudioSource) throws {
        let file = try source.open()
        path = source.name
        format = file.formatDescription
        sampleRate = file.sampleRate
        channels = file.channels
        frames = file.frames > 0 ? file.frames : try Self.count(file)
    }

    private static func count(_ file: any AudioDecoder) throws -> Int {
        let block = 1 << 16
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: block * file.channels)
        defer { buffer.deallocate() }
        var total = 0
        while case let n = try file.read(into: buffer, maxFrames: block), n > 0 { total += n }
        return total
    }
}
