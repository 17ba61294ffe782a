import Foundation
import GenreKit
import TagTestSupport
import TestSupport
import XCTest

/// Files whose names are not UTF-8 (Latin-1 names kept from older systems): found in folders,
/// named on the command line and in lists, classified, tagged and restored, their names written
/// back byte for byte. The names are made and checked here with the system's calls on raw bytes.
final class FileNameCLITests: XCTestCase, PredictFixtures {
    var folder: URL!
    let labels = ["rock", "jazz", "ambient"]

    override func setUp() { folder = makeTemporaryFolder("genre-file-names") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// "café" and "nörd" in Latin-1: one byte each for é and ö, which UTF-8 never has alone.
    let cafe: [UInt8] = Array("caf".utf8) + [0xE9]
    let nord: [UInt8] = Array("n".utf8) + [0xF6] + Array("rd".utf8)

    func bytes(_ name: String) -> [UInt8] { Array(name.utf8) }

    /// Moves `path` to the raw bytes `target` (under the test's folder).
    func move(_ path: String, to target: [UInt8]) {
        let destination = bytes(folder.path + "/") + target
        XCTAssertEqual(rename(path, destination.map(CChar.init(bitPattern:)) + [0]), 0, "rename to \(destination)")
    }

    /// Moves the raw bytes `source` (under the test's folder) to `path`.
    func move(_ source: [UInt8], to path: String) {
        let origin = bytes(folder.path + "/") + source
        XCTAssertEqual(rename(origin.map(CChar.init(bitPattern:)) + [0], path), 0, "rename from \(origin)")
    }

    func contents(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    /// The line of `text` that starts with `prefix`.
    func line(_ text: [UInt8], startingWith prefix: [UInt8]) -> [UInt8]? {
        text.split(separator: UInt8(ascii: "\n")).first { $0.starts(with: prefix) }.map(Array.init)
    }

    /// The same clip under a Latin-1 name and a plain one: found in the folder, both classified
    /// alike, the name written to CSV as its bytes and to JSON Lines as Python writes it; a
    /// resumed run finds them done; the name given as an argument and in a --files-from list opens.
    func testPredictFindsListsAndNamesThem() throws {
        let checkpoint = try makeCheckpoint()
        try makeClip("music/plain.wav")
        try FileManager.default.copyItem(atPath: path("music/plain.wav"), toPath: path("music/latin1.wav"))
        move(path("music/latin1.wav"), to: bytes("music/") + cafe + bytes(".wav"))

        let csv = try CommandRunner.run(["predict", "music", "--checkpoint", checkpoint, "--out", "out.csv"], in: folder)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let rows = try contents("out.csv")
        let latin1Row = try XCTUnwrap(line(rows, startingWith: bytes("music/") + cafe + bytes(".wav,")), String(decoding: rows, as: UTF8.self))
        let plainRow = try XCTUnwrap(line(rows, startingWith: bytes("music/plain.wav,")))
        XCTAssertEqual(latin1Row.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).dropFirst(),
                       plainRow.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).dropFirst(), "same clip, same answer")
        XCTAssertTrue(latin1Row.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)[1].count > 0, "a label, not an error")

        let jsonl = try CommandRunner.run(["predict", "music", "--checkpoint", checkpoint, "--out", "out.jsonl"], in: folder)
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        XCTAssertTrue(String(decoding: try contents("out.jsonl"), as: UTF8.self).contains(#""path":"music/caf\udce9.wav""#))

        for out in ["out.csv", "out.jsonl"] {
            let resumed = try CommandRunner.run(["predict", "music", "--checkpoint", checkpoint, "--out", out, "--skip-done"], in: folder)
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertTrue(resumed.stderr.contains("0 classified, 0 failed") && resumed.stderr.contains("2 already done"), "\(out): \(resumed.stderr)")
        }

        // The name as an argument, through the shell (an argument cannot be given as bytes here).
        let single = try CommandRunner.run(["predict", "--checkpoint", checkpoint, "--json"],
                                           wrapper: ["/bin/sh", "-c", #"exec "$0" "$@" "$(printf 'music/caf\351.wav')""#], in: folder)
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertTrue(single.stdout.contains(#""path":"music/caf\udce9.wav""#), single.stdout)

        try Data(bytes("music/") + cafe + bytes(".wav\n")).write(to: URL(fileURLWithPath: path("list.txt")))
        let listed = try CommandRunner.run(["predict", "--files-from", "list.txt", "--checkpoint", checkpoint, "--out", "listed.csv"], in: folder)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertEqual(line(try contents("listed.csv"), startingWith: bytes("music/") + cafe + bytes(".wav,")), latin1Row)
    }

    /// A FLAC under a Latin-1 name gets its genre written and then restored from the journal,
    /// as ffprobe reads it (under a plain name, moved there for the reading).
    func testTagWritesAndRestoresIt() throws {
        let checkpoint = try makeCheckpoint()
        try makeClip("source.wav")
        try FileManager.default.createDirectory(atPath: path("music"), withIntermediateDirectories: true)
        try Media.encode(Media.flac, from: path("source.wav"), to: path("probe.flac"), metadata: ["genre": "Rock", "title": "Song"], cover: nil)
        let name = bytes("music/") + nord + bytes(".flac")
        move(path("probe.flac"), to: name)

        let tagged = try CommandRunner.run(["tag", "music", "--checkpoint", checkpoint, "--write", "--min-confidence", "0"], in: folder)
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertTrue(tagged.stdout.hasPrefix("tagged     music/n\u{FFFD}rd.flac: Rock -> "), tagged.stdout)
        let label = try XCTUnwrap(labels.first { tagged.stdout.contains("-> \($0) (") }, tagged.stdout)
        move(name, to: path("probe.flac"))
        XCTAssertEqual(try Media.tags(path("probe.flac"))["genre"], label)
        XCTAssertEqual(try Media.tags(path("probe.flac"))["title"], "Song")
        move(path("probe.flac"), to: name)

        let journal = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix("genre-tag-") })
        let undo = try CommandRunner.run(["tag", "--undo", journal], in: folder)
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertTrue(undo.stdout.hasPrefix("restored   music/n\u{FFFD}rd.flac: "), undo.stdout)
        move(name, to: path("probe.flac"))
        XCTAssertEqual(try Media.tags(path("probe.flac"))["genre"], "Rock")
    }

    /// A folder that links back to its parent is searched once, not until the path is too long.
    func testALinkLoopIsNotFollowed() throws {
        let checkpoint = try makeCheckpoint()
        try makeClip("music/album/a.wav")
        try FileManager.default.createSymbolicLink(atPath: path("music/album/again"), withDestinationPath: "..")
        let result = try CommandRunner.run(["predict", "music", "--checkpoint", checkpoint], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("music/") }
        XCTAssertEqual(rows.count, 1, result.stdout)
        XCTAssertTrue(rows.first?.hasPrefix("music/album/a.wav,") ?? false, result.stdout)
        XCTAssertTrue(result.stderr.contains("1 file: 1 classified"), result.stderr)
    }
}
