/// A file's genre fields by key; a key that is missing is a field the file does not have.
public typealias FieldValues = [String: [String]]

/// Where each format keeps the genre, and our provenance next to it.
public struct GenreSchema: Sendable, Equatable {
    /// The format's own genre field (multi-valued).
    public let genre: String
    /// Other genre fields of the format, rewritten only where the file already has them so
    /// that readers of either agree: the ID3v1 genre of an MP3, the RIFF INFO genre of a WAV.
    public let mirror: String?
    /// Free-form fields: the probability of each written label, and the checkpoint's short id.
    public let confidence: String
    public let checkpoint: String

    /// Every field this tool reads, writes, journals and restores.
    public var keys: [String] { [genre] + (mirror.map { [$0] } ?? []) + [confidence, checkpoint] }

    public static let confidenceName = "GENRE_CONFIDENCE"
    public static let checkpointName = "GENRE_CHECKPOINT"

    public init(_ format: TagFormat) {
        let (c, k) = (Self.confidenceName, Self.checkpointName)
        switch format {
        case .mp3: self.init(genre: "TCON", mirror: "ID3v1", confidence: "TXXX:" + c, checkpoint: "TXXX:" + k)
        case .wav: self.init(genre: "TCON", mirror: "IGNR", confidence: "TXXX:" + c, checkpoint: "TXXX:" + k)
        case .aiff: self.init(genre: "TCON", mirror: nil, confidence: "TXXX:" + c, checkpoint: "TXXX:" + k)
        case .flac, .oggVorbis, .opus, .oggFLAC: self.init(genre: "GENRE", mirror: nil, confidence: c, checkpoint: k)
        case .mp4:
            self.init(genre: "\u{A9}gen", mirror: nil,
                      confidence: "----:com.apple.iTunes:" + c, checkpoint: "----:com.apple.iTunes:" + k)
        case .asf: self.init(genre: "WM/Genre", mirror: nil, confidence: c, checkpoint: k)
        case .wavpack, .ape: self.init(genre: "Genre", mirror: nil, confidence: c, checkpoint: k)
        }
    }

    init(genre: String, mirror: String?, confidence: String, checkpoint: String) {
        (self.genre, self.mirror, self.confidence, self.checkpoint) = (genre, mirror, confidence, checkpoint)
    }

    /// What the fields become for `labels` with their probabilities: the labels as a
    /// multi-valued genre, the mirror (only where present) with the first label, provenance.
    public func target(current: FieldValues, labels: [String], probabilities: [Float], checkpointID: String) -> FieldValues {
        var fields = current
        fields[genre] = labels
        if let mirror, current[mirror] != nil { fields[mirror] = [labels.first ?? ""] }
        fields[confidence] = probabilities.map { Self.format($0) }
        fields[checkpoint] = [checkpointID]
        return fields
    }

    static func format(_ p: Float) -> String { String(format: "%.4f", Double(p)) }
}

extension TagFile {
    public var schema: GenreSchema { GenreSchema(format) }

    /// The genre fields this file has now.
    public func genreFields() -> FieldValues {
        var fields: FieldValues = [:]
        for key in schema.keys { fields[key] = get(key) }
        return fields
    }

    /// Sets every genre field to `fields` (a missing key removes that field); fields that
    /// already hold those values are not touched.
    public func setGenreFields(_ fields: FieldValues) throws {
        for key in schema.keys where get(key) != fields[key] { try set(key, fields[key]) }
    }
}
