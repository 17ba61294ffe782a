/// What `genre info` prints: container and encoding, rate, channels, length.
public struct AudioInfo: Sendable {
    public let path: String
    public let format: String
    public let sampleRate: Int
    public let channels: Int
    /// As the header announces it (libsndfile's estimate for compressed streams).
    public let frames: Int

    public var duration: Double { Double(frames) / Double(sampleRate) }

    public init(path: String) throws {
        let file = try SoundFile(path: path)
        self.path = path
        format = file.formatDescription
        sampleRate = file.sampleRate
        channels = file.channels
        frames = file.frames
    }
}
