import Audio
import Features
import Foundation
import GenreKit
import Models
import TestSupport
import XCTest

/// `genre predict` end to end: one file, folders with broken files, CSV and JSON Lines, --skip-done.
final class PredictCLITests: XCTestCase, PredictFixtures {
    var folder: URL!
    let labels = ["rock", "jazz", "ambient"]

    override func setUp() { folder = makeTemporaryFolder("genre-predict-cli") }
    override func tearDown() {
        chmod(path("music/locked.wav"), 0o644)
        try? FileManager.default.removeItem(at: folder)
    }

    func rows(_ file: String) throws -> [String] {
        try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Good clips next to every kind of broken entry: each good one classified, each bad one an
    /// error row and a line on stderr naming it, exit status 2.
    func testFolderWithBrokenFiles() throws {
        let checkpoint = try makeCheckpoint()
        let good = [try makeClip("music/a.wav"), try makeClip("music/sub/b.flac", pitch: 330), try makeClip("music/sub/deeper/c.wav", seconds: 0.6)]
        var bad: [String: String] = [:]
        FileManager.default.createFile(atPath: path("music/empty.wav"), contents: Data())
        bad[path("music/empty.wav")] = "empty"
        let whole = try Data(contentsOf: URL(fileURLWithPath: try makeClip("whole.wav")))
        try whole.prefix(whole.count / 3).write(to: URL(fileURLWithPath: path("music/cut.wav")))
        bad[path("music/cut.wav")] = "truncated"
        try "title,artist\nsong,someone\n".write(toFile: path("music/list.wav"), atomically: true, encoding: .utf8)
        bad[path("music/list.wav")] = "not a readable audio file"
        var generator = SystemRandomNumberGenerator()
        try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: path("music/noise.mp3")))
        bad[path("music/noise.mp3")] = "not a readable audio file"
        try FileManager.default.createDirectory(atPath: path("music/album.wav"), withIntermediateDirectories: false)
        bad[path("music/album.wav")] = "directory"
        try "notes".write(toFile: path("music/readme.txt"), atomically: true, encoding: .utf8)  // not audio: not listed

        // Root reads anything, so as root the tool runs as `nobody` through setpriv; without it, no locked case.
        let wrapper = CommandRunner.unprivileged ?? []
        if !wrapper.isEmpty {
            for dir in ["", "music", "music/sub", "music/sub/deeper", "music/album.wav"] { chmod(path(dir), 0o777) }
        }
        if CommandRunner.unprivileged != nil {
            let locked = try makeClip("music/locked.wav")
            chmod(locked, 0)
            bad[locked] = "permission denied"
            // A folder that cannot be listed is a failed row, not files left out unseen.
            try makeClip("music/private/song.wav")
            chmod(path("music/private"), 0)
            bad[path("music/private")] = "cannot list the folder (Permission denied)"
        }
        defer { chmod(path("music/private"), 0o755) }

        let out = path("results.csv")
        let result = try CommandRunner.run(["predict", path("music"), "--checkpoint", checkpoint, "--out", out, "--top", "2"], wrapper: wrapper)
        XCTAssertEqual(result.status, 2, result.stderr)
        let lines = try rows(out)
        XCTAssertEqual(lines.first, "path,label,confidence,label_1,probability_1,label_2,probability_2,error")
        XCTAssertEqual(lines.count, 1 + good.count + bad.count, lines.joined(separator: "\n"))
        for file in good {
            let row = try XCTUnwrap(lines.first { $0.hasPrefix(file + ",") }, "no row for \(file)")
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.count, 8, row)
            XCTAssertTrue(labels.contains(fields[1]), row)
            XCTAssertEqual(fields[1], fields[3], row)
            XCTAssertEqual(fields[7], "", row)
        }
        for (file, cause) in bad {
            let row = try XCTUnwrap(lines.first { $0.hasPrefix(file + ",") }, "no row for \(file)")
            XCTAssertTrue(row.hasPrefix(file + ",,,"), row)
            XCTAssertTrue(row.contains(cause), "\(row) does not say \(cause)")
            XCTAssertEqual(result.stderr.split(separator: "\n").filter { $0.contains(file) }.count, 1, "stderr about \(file): \(result.stderr)")
        }
        XCTAssertFalse(lines.contains { $0.contains("readme.txt") })
        XCTAssertTrue(result.stderr.contains("\(good.count + bad.count) files: \(good.count) classified, \(bad.count) failed"), result.stderr)
    }

    /// JSON Lines by extension; --skip-done classifies only what is not in the output yet.
    func testJSONLinesAndSkipDone() throws {
        let checkpoint = try makeCheckpoint()
        try makeClip("music/a.wav")
        try makeClip("music/b.wav", pitch: 440)
        let out = path("results.jsonl")
        let first = try CommandRunner.run(["predict", path("music"), "--checkpoint", checkpoint, "--out", out, "--segments"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try rows(out).count, 2)
        for line in try rows(out) {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertTrue(labels.contains(object["label"] as? String ?? ""), line)
            XCTAssertEqual((object["top"] as? [Any])?.count, 3)
            XCTAssertEqual((object["segments"] as? [Any])?.count, 4, line)  // 2.5 s: windows at 0, 0.5, 1, 1.5 s
        }

        try makeClip("music/c.wav", pitch: 550)
        let second = try CommandRunner.run(["predict", path("music"), "--checkpoint", checkpoint, "--out", out, "--skip-done"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("1 file: 1 classified, 0 failed"), second.stderr)
        XCTAssertTrue(second.stderr.contains("2 already done"), second.stderr)
        let paths = try rows(out).compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["path"] as? String
        }
        XCTAssertEqual(paths.sorted(), ["a.wav", "b.wav", "c.wav"].map { path("music/" + $0) })

        // CSV by extension, on stdout without --out.
        let csv = try CommandRunner.run(["predict", path("music"), "--checkpoint", checkpoint, "--top", "1"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertEqual(csv.stdout.split(separator: "\n").first, "path,label,confidence,label_1,probability_1,error")
        XCTAssertEqual(csv.stdout.split(separator: "\n").count, 4)
    }

    /// One file: duration, top-K rows with bars, per-window lines; --json one object.
    func testOneFile() throws {
        let checkpoint = try makeCheckpoint()
        let clip = try makeClip("song.wav")
        let text = try CommandRunner.run(["predict", clip, "--checkpoint", checkpoint, "--top", "2", "--segments"])
        XCTAssertEqual(text.status, 0, text.stderr)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "\(clip): 0:02.5, 4 windows")
        guard lines.count > 1 else { return XCTFail("no probability lines: \(text.stdout)") }
        XCTAssertTrue(lines[1].contains("%") && labels.contains { lines[1].contains($0) }, text.stdout)
        XCTAssertEqual(lines.filter { $0.contains("–") }.count, 4, text.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  0:01.5–0:02.5  ") }, text.stdout)

        let json = try CommandRunner.run(["predict", clip, "--checkpoint", checkpoint, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["path"] as? String, clip)
        XCTAssertEqual(object["duration"] as? Double ?? 0, 2.5, accuracy: 1e-3)
        let top = try XCTUnwrap(object["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 3)
        XCTAssertEqual(top.compactMap { $0["probability"] as? Double }.reduce(0, +), 1, accuracy: 1e-4)

        let broken = try CommandRunner.run(["predict", path("missing.wav"), "--checkpoint", checkpoint])
        XCTAssertEqual(broken.status, 2)
        XCTAssertEqual(broken.stderr.split(separator: "\n").count, 1, broken.stderr)
        XCTAssertTrue(broken.stderr.contains("missing.wav"), broken.stderr)
    }

    /// A playlist classifies its entries (relative to its own folder), as an argument or as
    /// --files-from; an entry that is missing or a stream's URL is a failed row saying so.
    func testPlaylist() throws {
        let checkpoint = try makeCheckpoint()
        _ = try makeClip("music/a.wav")
        let b = try makeClip("music/sub/b.wav", pitch: 330)
        try "#EXTM3U\n#EXTINF:2,Someone - A\n../a.wav\nb.wav\ngone.wav\nhttps://radio.example/live\n"
            .write(toFile: path("music/sub/Mix.m3u8"), atomically: true, encoding: .utf8)
        let expected = [path("music/sub/../a.wav"), b, path("music/sub/gone.wav"), "https://radio.example/live"]
        for arguments in [[path("music/sub/Mix.m3u8")], ["--files-from", path("music/sub/Mix.m3u8")]] {
            let result = try CommandRunner.run(["predict"] + arguments + ["--checkpoint", checkpoint, "--json"])
            XCTAssertEqual(result.status, 2, result.stderr)
            let objects = try result.stdout.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            XCTAssertEqual(Set(objects.compactMap { $0["path"] as? String }), Set(expected), result.stdout)
            let errors = Dictionary(uniqueKeysWithValues: objects.compactMap { o in (o["error"] as? String).map { (o["path"] as! String, $0) } })
            XCTAssertEqual(errors, [path("music/sub/gone.wav"): "\(path("music/sub/gone.wav")): no such file",
                                    "https://radio.example/live": "https://radio.example/live: no such file (a URL: only local files are read)"])
        }
    }

    /// Without --checkpoint: the newest run's best.safetensors, said on stderr; none is a usage error.
    func testDefaultCheckpoint() throws {
        let clip = try makeClip("song.wav")
        let none = try CommandRunner.run(["predict", clip], in: folder)
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("runs/"), none.stderr)

        try makeCheckpoint("runs/new/best.safetensors")
        try makeCheckpoint("runs/old/best.safetensors")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path("runs/old"))
        let result = try CommandRunner.run(["predict", clip], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("using runs/new/best.safetensors"), result.stderr)

        try FileManager.default.createDirectory(atPath: path("nothing"), withIntermediateDirectories: false)
        let empty = try CommandRunner.run(["predict", path("nothing")], in: folder)
        XCTAssertEqual(empty.status, 1)
        XCTAssertTrue(empty.stderr.contains("no audio files"), empty.stderr)

        let badCheckpoint = try CommandRunner.run(["predict", clip, "--checkpoint", clip])
        XCTAssertEqual(badCheckpoint.status, 1)
        XCTAssertEqual(badCheckpoint.stderr.split(separator: "\n").count, 1, badCheckpoint.stderr)
    }
}
