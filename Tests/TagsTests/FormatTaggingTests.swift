import Foundation
import TagTestSupport
import Tags
import TestSupport
import XCTest

/// Every format the tagger writes, made by ffmpeg with other tags and cover art: the genre goes
/// into the format's own field (read back by TagLib and by ffprobe), everything else — other
/// tags, cover art, decoded audio — stays as it was, and undo restores the previous fields.
final class FormatTaggingTests: XCTestCase {
    var folder: URL!
    let others = ["title": "Song", "artist": "Someone", "album": "Album", "track": "3", "comment": "kept"]
    let provenanceKeys: Set<String> = ["genre_confidence", "genre_checkpoint"]

    override func setUp() { folder = makeTemporaryFolder("genre-tags") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func make(_ kind: Media.Kind, genre: String?, name: String = "song", tags: Bool = true) throws -> String {
        let source = path("source.wav"), cover = path("cover.png")
        if !FileManager.default.fileExists(atPath: source) {
            try Media.makeSource(source)
            try Media.makeCover(cover)
        }
        var metadata = tags ? others : [:]
        if let genre { metadata["genre"] = genre }
        let target = path("\(name).\(kind.ext)")
        try Media.encode(kind, from: source, to: target, metadata: metadata, cover: cover)
        return target
    }

    /// ffprobe's values of a tag: ffmpeg joins the values of a repeated Vorbis comment with ";",
    /// and WMA and WAV INFO hold them joined by "; ".
    func values(_ tags: [String: String], _ key: String) -> [String]? {
        tags[key].map { $0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func check(_ kind: Media.Kind, genre: String? = "Rock", otherTags: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let song = try make(kind, genre: genre, tags: otherTags)
        let tagsBefore = try Media.tags(song)
        let audioBefore = try Media.audioMD5(song)
        let coverBefore = try Media.coverMD5(song)
        XCTAssertEqual(coverBefore != nil, kind.cover, "\(kind): cover art as made by ffmpeg", file: file, line: line)
        XCTAssertEqual(tagsBefore["genre"], genre, "\(kind): genre as made by ffmpeg", file: file, line: line)

        let before = try GenreTagger.read(song)
        let schema = before.schema
        XCTAssertEqual(schema.currentGenre(before.fields), genre.map { [$0] }, "\(kind): genre read by TagLib", file: file, line: line)
        XCTAssertNil(before.fields[schema.confidence], file: file, line: line)

        let journal = try TagJournal(creating: path("journal.jsonl"))
        let change = try XCTUnwrap(GenreTagger.tag(song, labels: ["jazz", "blues"], probabilities: [0.71, 0.52],
                                                   checkpointID: "0123456789ab", journal: journal), file: file, line: line)

        // Read back by TagLib (a fresh open) and by ffprobe.
        let after = try GenreTagger.read(song).fields
        XCTAssertEqual(after[schema.genre], schema.values(["jazz", "blues"]), "\(kind): TagLib", file: file, line: line)
        XCTAssertEqual(after[schema.confidence], schema.values(["0.7100", "0.5200"]), "\(kind): TagLib", file: file, line: line)
        XCTAssertEqual(after[schema.checkpoint], ["0123456789ab"], "\(kind): TagLib", file: file, line: line)
        if kind.ext == "wav" {
            // The RIFF INFO genre follows wherever the file has an INFO chunk.
            XCTAssertEqual(after["IGNR"], before.hasMirrorTag ? ["jazz; blues"] : nil, file: file, line: line)
        }
        XCTAssertEqual(change.before, before.fields, file: file, line: line)
        XCTAssertEqual(change.after, after, file: file, line: line)

        // ffmpeg 5.1 reads only the first value of a multi-valued ID3v2.4 frame, MP4 item or APE
        // item; a WAV with a RIFF INFO chunk shows INFO, not the ID3 chunk (no provenance there).
        let tagsAfter = try Media.tags(song)
        let showsAll = ["flac", "ogg", "opus", "wma", "spx"].contains(kind.ext) || (kind.ext == "wav" && before.hasMirrorTag)
        let provenance = !(kind.ext == "wav" && before.hasMirrorTag)
        XCTAssertEqual(values(tagsAfter, "genre"), showsAll ? ["jazz", "blues"] : ["jazz"], "\(kind): ffprobe genre in \(tagsAfter)", file: file, line: line)
        if provenance {
            XCTAssertEqual(tagsAfter["genre_checkpoint"], "0123456789ab", "\(kind): ffprobe provenance in \(tagsAfter)", file: file, line: line)
            XCTAssertEqual(values(tagsAfter, "genre_confidence"), showsAll ? ["0.7100", "0.5200"] : ["0.7100"],
                           "\(kind): ffprobe provenance in \(tagsAfter)", file: file, line: line)
        }

        // Everything else as it was.
        let untouched = { (tags: [String: String]) in tags.filter { $0.key != "genre" && !self.provenanceKeys.contains($0.key) } }
        XCTAssertEqual(untouched(tagsAfter), untouched(tagsBefore), "\(kind): other tags", file: file, line: line)
        for (key, value) in others where otherTags && !(kind.ext == "aiff" && ["track", "comment"].contains(key)) {
            XCTAssertEqual(tagsAfter[key], value, "\(kind): \(key) in \(tagsAfter)", file: file, line: line)
        }
        XCTAssertEqual(try Media.audioMD5(song), audioBefore, "\(kind): decoded audio", file: file, line: line)
        XCTAssertEqual(try Media.coverMD5(song), coverBefore, "\(kind): cover art", file: file, line: line)
        XCTAssertTrue(Media.decodes(song), "\(kind): decodes without errors", file: file, line: line)

        if kind.ext == "mp3" {
            let head = [UInt8](try Data(contentsOf: URL(fileURLWithPath: song)).prefix(4))
            XCTAssertEqual(head, Array("ID3".utf8) + [4], "mp3: written as ID3v2.4", file: file, line: line)
        }

        // The journal holds the change; undo puts back exactly what was there.
        XCTAssertEqual(try TagJournal.read(journal.path), [change], file: file, line: line)
        XCTAssertEqual(try GenreTagger.undo(change), .restored, file: file, line: line)
        XCTAssertEqual(try GenreTagger.read(song).fields, before.fields, "\(kind): TagLib after undo", file: file, line: line)
        XCTAssertEqual(try Media.tags(song), tagsBefore, "\(kind): ffprobe after undo", file: file, line: line)
        XCTAssertEqual(try Media.audioMD5(song), audioBefore, "\(kind): decoded audio after undo", file: file, line: line)
        XCTAssertEqual(try Media.coverMD5(song), coverBefore, "\(kind): cover art after undo", file: file, line: line)
        XCTAssertEqual(try GenreTagger.undo(change), .alreadyRestored, file: file, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }, [],
                       "no temporary copy left", file: file, line: line)
    }

    func testMP3() throws { try check(Media.mp3) }
    func testFLAC() throws { try check(Media.flac) }
    func testOggVorbis() throws { try check(Media.ogg) }
    func testOpus() throws { try check(Media.opus) }
    func testM4A() throws { try check(Media.m4a) }
    func testWAV() throws { try check(Media.wav) }
    func testAIFF() throws { try check(Media.aiff) }
    func testWMA() throws { try check(Media.wma) }
    func testWavPack() throws { try check(Media.wavpack) }
    func testMusepack() throws { try check(Media.musepack) }
    func testSpeex() throws { try check(Media.speex) }
    /// ffmpeg's True Audio file keeps its tags in an APEv2 tag at the end: that tag is edited.
    func testTrueAudio() throws { try check(Media.trueAudio) }
    /// A True Audio file with no tag gets an ID3v2 tag, which ffprobe reads too.
    func testTrueAudioWithoutTags() throws { try check(Media.trueAudio, genre: nil, otherTags: false) }
    /// An ID3v2.3 tag is written back as ID3v2.4, its other frames kept.
    func testMP3WithID3v23() throws { try check(Media.Kind(ext: "mp3", codec: Media.mp3.codec + ["-id3v2_version", "3"], cover: true)) }
    /// A WAV with no RIFF INFO chunk: ffprobe reads the ID3 chunk, provenance included.
    func testWAVWithoutInfo() throws { try check(Media.wav, genre: nil, otherTags: false) }

    /// Files with no genre at all: undo removes every field the tagger added.
    func testNoPreviousGenre() throws {
        for kind in Media.all {
            try check(kind, genre: nil)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name != "source.wav" && name != "cover.png" {
                try FileManager.default.removeItem(atPath: path(name))
            }
        }
    }

    /// The format each extension opens as.
    func testFormats() throws {
        let expected: [String: TagFormat] = ["mp3": .mp3, "flac": .flac, "ogg": .oggVorbis, "opus": .opus, "m4a": .mp4,
                                             "wav": .wav, "aiff": .aiff, "wma": .asf, "wv": .wavpack, "mpc": .musepack,
                                             "spx": .speex, "tta": .trueAudioAPE]
        for kind in Media.all {
            XCTAssertEqual(try TagFile(path: try make(kind, genre: nil)).format, expected[kind.ext], kind.ext)
        }
        // Opus in a .ogg file, found by content.
        let opus = try make(Media.opus, genre: "Rock", name: "opus-in-ogg")
        try FileManager.default.moveItem(atPath: opus, toPath: path("opus.ogg"))
        XCTAssertEqual(try TagFile(path: path("opus.ogg")).format, .opus)
        // Speex in a .ogg file, as ffmpeg's ogg muxer makes it.
        let speex = try make(Media.Kind(ext: "ogg", codec: Media.speex.codec, cover: false), genre: "Rock", name: "speex")
        XCTAssertEqual(try TagFile(path: speex).format, .speex)
        // True Audio with no tag at all (no APEv2 tag).
        XCTAssertEqual(try TagFile(path: try make(Media.trueAudio, genre: nil, name: "bare", tags: false)).format, .trueAudio)
    }

    // MARK: ID3 tags in Musepack and True Audio files, made and read by id3lib's id3v2 tool.

    func id3Listing(_ song: String) throws -> String { String(decoding: try Media.run(["id3v2", "-l", song]).stdout, as: UTF8.self) }

    /// The bytes of `file` between the first `start` and the first `end` after it.
    func section(_ file: String, from start: String, to end: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let from = try XCTUnwrap(data.range(of: Data(start.utf8))).lowerBound
        return data[from..<(try XCTUnwrap(data.range(of: Data(end.utf8), in: from..<data.endIndex)).lowerBound)]
    }

    /// TagLib keeps a Musepack file's ID3v2 tag (invalid there, but written by some taggers) byte
    /// for byte, and its ID3v1 tag gets the first label. The audio is compared as bytes: ffmpeg
    /// 5.1 misreads the end of an SV8 stream followed by an ID3v1 tag ("Overread 8"), before
    /// tagging as after.
    func testMusepackKeepsID3Tags() throws {
        let song = try make(Media.musepack, genre: "Rock")
        try Media.run(["id3v2", "--artist", "Other", "--song", "Id3", "--genre", "17", song])  // ID3v2.3 and ID3v1
        let id3v2 = try section(song, from: "ID3", to: "MPCK"), audio = try section(song, from: "MPCK", to: "APETAGEX")
        let before = try GenreTagger.read(song)
        XCTAssertEqual(before.fields["ID3v1"], ["Rock"])
        XCTAssertTrue(before.hasMirrorTag)

        let change = try XCTUnwrap(GenreTagger.tag(song, labels: ["Jazz", "Blues"], probabilities: [0.7, 0.6], checkpointID: "0123456789ab"))
        let after = try GenreTagger.read(song).fields
        XCTAssertEqual(after["Genre"], ["Jazz", "Blues"])
        XCTAssertEqual(after["ID3v1"], ["Jazz"])
        XCTAssertEqual(after["GENRE_CHECKPOINT"], ["0123456789ab"])
        let listing = try id3Listing(song)
        XCTAssertTrue(listing.contains("Genre: Jazz (8)"), listing)
        XCTAssertTrue(listing.contains("TCON (Content type): Rock (17)"), "the ID3v2 tag as it was: \(listing)")
        XCTAssertEqual(try section(song, from: "ID3", to: "MPCK"), id3v2, "ID3v2 tag kept byte for byte")
        XCTAssertEqual(try section(song, from: "MPCK", to: "APETAGEX"), audio, "audio kept byte for byte")

        XCTAssertEqual(try GenreTagger.undo(change), .restored)
        XCTAssertEqual(try GenreTagger.read(song).fields, before.fields)
        XCTAssertTrue(try id3Listing(song).contains("Genre: Rock (17)"))
        XCTAssertEqual(try section(song, from: "MPCK", to: "APETAGEX"), audio)
    }

    /// An ID3v2 tag alone leaves the Musepack file as ffmpeg decodes it, the tag kept.
    func testMusepackWithID3v2() throws {
        let song = try make(Media.musepack, genre: "Rock")
        try Media.run(["id3v2", "--id3v2-only", "--genre", "17", song])
        let id3v2 = try section(song, from: "ID3", to: "MPCK"), audio = try Media.audioMD5(song)
        XCTAssertNotNil(try GenreTagger.tag(song, labels: ["Jazz"], probabilities: [0.7], checkpointID: "0123456789ab"))
        XCTAssertEqual(try Media.tags(song)["genre"], "Jazz", "ffprobe reads the APEv2 tag")
        XCTAssertEqual(try section(song, from: "ID3", to: "MPCK"), id3v2)
        XCTAssertEqual(try Media.audioMD5(song), audio)
        XCTAssertTrue(Media.decodes(song))
    }

    /// ffmpeg shows a True Audio file's ID3v1 tag rather than its APEv2 tag: both get the genre.
    func testTrueAudioWithID3v1() throws {
        let song = try make(Media.trueAudio, genre: "Rock")
        try Media.run(["id3v2", "--id3v1-only", "--song", "Id3", "--genre", "17", song])
        XCTAssertEqual(try Media.tags(song)["title"], "Id3", "ffprobe reads the ID3v1 tag")
        let before = try GenreTagger.read(song)
        XCTAssertEqual(before.format, .trueAudioAPE)

        let change = try XCTUnwrap(GenreTagger.tag(song, labels: ["Jazz", "Blues"], probabilities: [0.7, 0.6], checkpointID: "0123456789ab"))
        XCTAssertEqual(try GenreTagger.read(song).fields["Genre"], ["Jazz", "Blues"])
        XCTAssertEqual(try Media.tags(song), ["title": "Id3", "genre": "Jazz"])
        XCTAssertEqual(try GenreTagger.undo(change), .restored)
        XCTAssertEqual(try GenreTagger.read(song).fields, before.fields)
        XCTAssertEqual(try Media.tags(song)["genre"], "Rock")
    }

    /// A True Audio file with both an APEv2 tag (which ffmpeg shows) and an ID3v2 tag (which
    /// TagLib's readers show) is refused, unchanged.
    func testTrueAudioWithBothTagsIsRefused() throws {
        let song = try make(Media.trueAudio, genre: "Rock")
        try Media.run(["id3v2", "--id3v2-only", "--genre", "17", song])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: song))
        XCTAssertThrowsError(try GenreTagger.tag(song, labels: ["Jazz"], probabilities: [0.7], checkpointID: "0123456789ab")) {
            XCTAssertEqual(String(describing: $0), "\(song): True Audio file with both an ID3v2 and an APEv2 tag, which players read differently; not tagged")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: song)), bytes)
    }

    /// An APEv2 footer whose size reaches into the audio (or before the file) is not a tag to
    /// rewrite in place: saving would overwrite the audio bytes it claims (TagLib's WavPack and
    /// Musepack classes as well as our True Audio one).
    func testDamagedAPEFooterIsRefused() throws {
        for kind in [Media.wavpack, Media.musepack, Media.trueAudio] {
            for extra in [100, 1 << 30] { try checkDamagedAPEFooter(kind, extra: extra) }
        }
    }

    func checkDamagedAPEFooter(_ kind: Media.Kind, extra: Int) throws {
        let song = try make(kind, genre: "Rock", name: "damaged-\(extra)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: song))
        // The footer is the last 32 bytes; its tag size (after the header) is at offset 12.
        let field = bytes.count - 32 + 12
        let size = bytes[field..<field + 4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } + extra
        for i in 0..<4 { bytes[field + i] = UInt8(truncatingIfNeeded: size >> (8 * i)) }
        try bytes.write(to: URL(fileURLWithPath: song))
        XCTAssertThrowsError(try GenreTagger.tag(song, labels: ["Jazz"], probabilities: [0.7], checkpointID: "0123456789ab"),
                             "\(kind): size + \(extra)") {
            XCTAssertTrue(String(describing: $0).hasPrefix("\(song): not an audio file whose tags genre writes"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: song)), bytes, "\(kind): size + \(extra)")
    }
}
