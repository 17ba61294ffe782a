/// What `genre info` prints: container and encoding ("WAV (Microsoft), Signed 16 bit PCM",
/// "MPEG-4, AAC LC"), rate, channels, length.
public struct AudioInfo: Sendable {
    public let path: String
    public let format: String
    public let sampleRate: Int
    public let channels: Int
    /// As the header announces it (an estimate for compressed streams).
    public let frames: Int

    public var duration: Double { Double(frames) / Double(sampleRate) }

    public init(path: String) throws { try self.init(source: .file(path)) }

    public init(source: AudioSource) throws {
        let file = try source.open()
        path = source.name
        format = file.formatDescription
        sampleRate = file.sampleRate
        channels = file.channels
        frames = file.frames
    }
}
