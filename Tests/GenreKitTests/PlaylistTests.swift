import Basics
import Files
import Foundation
import GenreKit
import TestSupport
import XCTest

/// Playlists given where audio files are expected: entries as players read them.
final class PlaylistTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-playlist") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func touch(_ name: String) throws {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: url.path, contents: Data([1]))
    }

    func write(_ name: String, _ text: String) throws -> String {
        try touch(name)
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        return path(name)
    }

    /// Extended M3U written on Windows: a byte-order mark, CRLF, comments and #EXTINF lines,
    /// entries relative to the playlist's folder (with `\`), absolute, as file:// URLs and
    /// folders; a stream's URL is kept to be reported.
    func testM3UEntriesResolveAsPlayersResolveThem() throws {
        for name in ["music/a/one.mp3", "music/a/two words.flac", "music/b/three.ogg", "music/c/x.wav", "music/c/y.m4a"] { try touch(name) }
        let playlist = try write("music/lists/Road trip.m3u8", "\u{FEFF}#EXTM3U\r\n#EXTINF:215,Band - One\r\n../a/one.mp3\r\n\r\n"
            + "  ..\\b\\three.ogg  \r\n" + "file://\(path("music/a/two%20words.flac"))\r\n" + "\(path("music/a/one.mp3"))\r\n"
            + "../c\r\n" + "http://radio.example/stream.mp3\r\n")
        let files = try FileList.expand([playlist])
        let lists = path("music/lists")
        XCTAssertEqual(files.map(\.path), [
            lists + "/../a/one.mp3", lists + "/../b/three.ogg", path("music/a/two words.flac"), path("music/a/one.mp3"),
            lists + "/../c/x.wav", lists + "/../c/y.m4a", "http://radio.example/stream.mp3",
        ])
        // Shard keys: the entry as written (a folder's files relative to it).
        XCTAssertEqual(files.map(\.key), [
            "../a/one.mp3", "..\\b\\three.ogg", "file://\(path("music/a/two%20words.flac"))", path("music/a/one.mp3"),
            "x.wav", "y.m4a", "http://radio.example/stream.mp3",
        ])
        XCTAssertEqual(FileProblem.describe(path: files.last!.path), "no such file (a URL: only local files are read)")
    }

    /// file:// escapes: `%XX` with two hex digits is a byte (UTF-8 names too); anything else stays.
    func testFileURLEscapes() {
        XCTAssertEqual(Playlist.resolve("file:///m/a%20b%C3%A9.mp3", in: "/x"), "/m/a bé.mp3")
        XCTAssertEqual(Playlist.resolve("file://localhost/m/100%.mp3", in: "/x"), "/m/100%.mp3")
        XCTAssertEqual(Playlist.resolve("file:///m/%+f%-1%zz.mp3", in: "/x"), "/m/%+f%-1%zz.mp3")
    }

    /// PLS: the FileN entries, whatever their order among titles and lengths.
    func testPLSEntries() throws {
        try touch("p/one.mp3")
        try touch("p/two.mp3")
        let playlist = try write("p/list.PLS", "[playlist]\nFile1=one.mp3\nTitle1=One\nLength1=200\nfile2 = two.mp3\nFiles=3\nNumberOfEntries=2\nVersion=2\n")
        XCTAssertEqual(try FileList.expand([playlist]).map(\.path), [path("p/one.mp3"), path("p/two.mp3")])
    }

    /// A playlist that cannot be read is an error naming it; one that is missing is a file
    /// argument like any other (reported when it is opened).
    func testUnreadablePlaylist() throws {
        let missing = path("gone.m3u")
        XCTAssertEqual(try FileList.expand([missing]), [InputFile(path: missing, key: missing)])
        let fifo = path("pipe.m3u")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertThrowsError(try FileList.expand([fifo])) {
            XCTAssertEqual("\($0)", "\(fifo): cannot read the playlist (not a regular file)")
        }
    }
}
