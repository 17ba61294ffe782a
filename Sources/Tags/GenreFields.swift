import Basics
/// A file's genre fields by key; a key that is missing is a field the file does not have.
public typealias FieldValues = [String: [String]]

/// Where each format keeps the genre, and our provenance next to it.
public struct GenreSchema: Sendable, Equatable {
    /// The format's own genre field.
    public let genre: String
    /// Another genre field of the format, rewritten only where the file already has that tag so
    /// that readers of either agree: the ID3v1 genre of an MP3, Musepack or True Audio file (the
    /// first label; FFmpeg shows a True Audio file's ID3v1 tag rather than its APEv2), the RIFF INFO
    /// IGNR of a WAV (the labels joined by "; "; ffmpeg reads INFO rather than the ID3 chunk).
    public let mirror: (key: String, tag: String)?
    /// Free-form fields: the probability of each written label, and the checkpoint's short id.
    public let confidence: String
    public let checkpoint: String
    /// Whether several labels are several values of one field. WMA's are one value joined by
    /// "; " (the way Windows Media shows several genres): TagLib reads several WM/Genre
    /// attributes back in another order than written.
    public let multiValued: Bool

    /// Every field this tool reads, writes, journals and restores.
    public var keys: [String] { [genre] + (mirror.map { [$0.key] } ?? []) + [confidence, checkpoint] }

    public static let confidenceName = "GENRE_CONFIDENCE"
    public static let checkpointName = "GENRE_CHECKPOINT"

    public init(_ format: TagFormat) {
        let (c, k) = (Self.confidenceName, Self.checkpointName)
        switch format {
        case .mp3, .trueAudio: self.init(genre: "TCON", mirror: ("ID3v1", "ID3v1"), confidence: "TXXX:" + c, checkpoint: "TXXX:" + k)
        case .wav: self.init(genre: "TCON", mirror: ("IGNR", "INFO"), confidence: "TXXX:" + c, checkpoint: "TXXX:" + k)
        case .aiff: self.init(genre: "TCON", confidence: "TXXX:" + c, checkpoint: "TXXX:" + k)
        case .flac, .oggVorbis, .opus, .oggFLAC, .speex: self.init(genre: "GENRE", confidence: c, checkpoint: k)
        case .mp4: self.init(genre: "\u{A9}gen", confidence: "----:com.apple.iTunes:" + c, checkpoint: "----:com.apple.iTunes:" + k)
        case .asf: self.init(genre: "WM/Genre", confidence: c, checkpoint: k, multiValued: false)
        case .wavpack, .ape: self.init(genre: "Genre", confidence: c, checkpoint: k)
        case .musepack, .trueAudioAPE: self.init(genre: "Genre", mirror: ("ID3v1", "ID3v1"), confidence: c, checkpoint: k)
        }
    }

    init(genre: String, mirror: (String, String)? = nil, confidence: String, checkpoint: String, multiValued: Bool = true) {
        (self.genre, self.confidence, self.checkpoint, self.multiValued) = (genre, confidence, checkpoint, multiValued)
        self.mirror = mirror.map { (key: $0.0, tag: $0.1) }
    }

    public static func == (a: GenreSchema, b: GenreSchema) -> Bool { a.keys == b.keys && a.multiValued == b.multiValued }

    /// Several values as this format stores them in one field.
    public func values(_ list: [String]) -> [String] { multiValued ? list : [list.joined(separator: "; ")] }

    /// The genre a reader sees now: the format's own field, else the mirror.
    public func currentGenre(_ fields: FieldValues) -> [String]? { fields[genre] ?? mirror.flatMap { fields[$0.key] } }

    /// What the fields become for `labels` with their probabilities: the labels as the genre,
    /// the mirror where the file has its tag, and the provenance.
    public func target(current: FieldValues, hasMirrorTag: Bool, labels: [String], probabilities: [Float], checkpointID: String) -> FieldValues {
        var fields = current
        fields[genre] = values(labels)
        if let mirror, hasMirrorTag {
            fields[mirror.key] = mirror.key == "ID3v1" ? [labels.first ?? ""] : [labels.joined(separator: "; ")]
        }
        fields[confidence] = values(probabilities.map { Self.format($0) })
        fields[checkpoint] = [checkpointID]
        return fields
    }

    static func format(_ p: Float) -> String { String(cFormat: "%.4f", Double(p)) }
}

/// What a file holds now.
public struct TagState: Sendable {
    public var format: TagFormat
    public var fields: FieldValues
    /// Whether the file has the tag the schema's mirror lives in.
    public var hasMirrorTag: Bool
    public var schema: GenreSchema { GenreSchema(format) }
}

extension TagFile {
    public var schema: GenreSchema { GenreSchema(format) }

    /// The genre fields this file has now.
    public func genreFields() -> FieldValues {
        var fields: FieldValues = [:]
        for key in schema.keys { fields[key] = get(key) }
        return fields
    }

    public var state: TagState {
        TagState(format: format, fields: genreFields(), hasMirrorTag: schema.mirror.map { hasTag($0.tag) } ?? false)
    }

    /// Sets every genre field to `fields` (a missing key removes that field); fields that
    /// already hold those values are not touched.
    public func setGenreFields(_ fields: FieldValues) throws {
        for key in schema.keys where get(key) != fields[key] { try set(key, fields[key]) }
    }
}
