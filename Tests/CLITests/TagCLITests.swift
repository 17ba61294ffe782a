import Foundation
import GenreKit
import TagTestSupport
import Tags
import TestSupport
import XCTest

/// `genre tag` end to end on files made by ffmpeg in the formats the decoder reads today: dry
/// run, write, undo, low confidence, bad input, and a kill in the middle of a write.
final class TagCLITests: XCTestCase {
    var folder: URL!
    let kinds = [Media.mp3, Media.flac, Media.ogg, Media.opus, Media.wav, Media.aiff, Media.musepack, Media.speex, Media.trueAudio]
    let others = ["title": "Song", "artist": "Someone", "album": "Album", "genre": "Rock"]

    override func setUp() { folder = makeTemporaryFolder("genre-tag-cli") }
    override func tearDown() {
        chmod(path("music/shut"), 0o755)
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// `genre predict`'s tests make the random three-label checkpoint and the clips.
    lazy var maker: PredictCLITests = {
        let maker = PredictCLITests(name: "maker", testClosure: { _ in })
        maker.folder = folder
        return maker
    }()

    /// One song per kind under music/, with other tags, a Rock genre and (where it fits) cover art.
    func makeSongs(_ kinds: [Media.Kind]? = nil) throws -> [String] {
        let source = try maker.makeClip("source.wav", seconds: 2.5)
        try Media.makeCover(path("cover.png"))
        try FileManager.default.createDirectory(atPath: path("music"), withIntermediateDirectories: true)
        return try (kinds ?? self.kinds).map { kind in
            let song = path("music/song.\(kind.ext)")
            try Media.encode(kind, from: source, to: song, metadata: others, cover: path("cover.png"))
            return song
        }
    }

    func bytes(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file)) }

    func journals() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("genre-tag-") }.sorted()
    }

    func rows(_ result: CommandResult) -> [String] { result.stdout.split(separator: "\n").map(String.init) }

    /// A dry run prints each file's genre and what would be written, and changes no byte.
    func testDryRunChangesNothing() throws {
        let checkpoint = try maker.makeCheckpoint()
        let songs = try makeSongs()
        let before = try songs.map(bytes)
        let predictor = try Predictor(checkpoint: checkpoint)
        let result = try CommandRunner.run(["tag", path("music"), "--checkpoint", checkpoint, "--min-confidence", "0", "--multi", "2"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(rows(result).count, songs.count, result.stdout)
        for song in songs {
            let top = try predictor.predict(path: song).top(2).map(\.label)
            let row = try XCTUnwrap(rows(result).first { $0.contains(song + ":") }, result.stdout)
            XCTAssertTrue(row.hasPrefix("would tag  \(song): Rock -> \(top[0]) ("), row)
            XCTAssertTrue(row.contains("; \(top[1]) ("), row)
        }
        XCTAssertEqual(try songs.map(bytes), before, "a dry run changed a file")
        XCTAssertEqual(try journals(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("music")).filter { $0.hasPrefix(".") }, [])
        XCTAssertTrue(result.stderr.contains("dry run"), result.stderr)
    }

    /// --write puts the top labels and provenance into each format's own fields, keeps other tags,
    /// cover art and audio; --undo with the default journal puts back exactly what was there.
    func testWriteAndUndo() throws {
        let checkpoint = try maker.makeCheckpoint()
        let songs = try makeSongs()
        let shortID = String(try Media.sha256sum(checkpoint).prefix(12))
        let predictor = try Predictor(checkpoint: checkpoint)
        let states = try songs.map(GenreTagger.read)
        let tags = try songs.map(Media.tags)
        let audio = try songs.map(Media.audioMD5)
        let covers = try songs.map(Media.coverMD5)

        let result = try CommandRunner.run(["tag", path("music"), "--checkpoint", checkpoint, "--write", "--multi", "2",
                                            "--min-confidence", "0", "--threads", "2"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let journal = try XCTUnwrap(try journals().first, "no journal in \(folder.path)")
        XCTAssertEqual(try journals().count, 1)
        XCTAssertTrue(journal.hasSuffix(".jsonl"))
        XCTAssertEqual(try TagJournal.read(path(journal)).count, songs.count)
        XCTAssertTrue(result.stderr.contains("genre tag --undo"), result.stderr)

        for (i, song) in songs.enumerated() {
            let top = try predictor.predict(path: song).top(2)
            let now = try GenreTagger.read(song)
            let schema = now.schema
            XCTAssertEqual(now.fields[schema.genre], schema.values(top.map(\.label)), song)
            XCTAssertEqual(now.fields[schema.confidence], schema.values(top.map { String(format: "%.4f", Double($0.probability)) }), song)
            XCTAssertEqual(now.fields[schema.checkpoint], [shortID], song)
            XCTAssertTrue(rows(result).contains { $0.hasPrefix("tagged     \(song): Rock -> \(top[0].label) (") }, result.stdout)
            let probed = try Media.tags(song)
            XCTAssertEqual(probed["genre"]?.split(separator: ";").first.map(String.init), top[0].label, "\(song): ffprobe \(probed)")
            for key in ["title", "artist", "album"] { XCTAssertEqual(probed[key], tags[i][key], "\(song): \(key)") }
            XCTAssertEqual(try Media.audioMD5(song), audio[i], "\(song): decoded audio")
            XCTAssertEqual(try Media.coverMD5(song), covers[i], "\(song): cover art")
        }

        // Again: nothing to change, and no new journal.
        let again = try CommandRunner.run(["tag", path("music"), "--checkpoint", checkpoint, "--write", "--multi", "2",
                                           "--min-confidence", "0"], in: folder)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(rows(again).filter { $0.hasPrefix("same ") }.count, songs.count, again.stdout)
        XCTAssertEqual(try journals(), [journal])

        let undo = try CommandRunner.run(["tag", "--undo", path(journal)])
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertEqual(rows(undo).filter { $0.hasPrefix("restored ") }.count, songs.count, undo.stdout)
        for (i, song) in songs.enumerated() {
            XCTAssertEqual(try GenreTagger.read(song).fields, states[i].fields, "\(song): TagLib after undo")
            XCTAssertEqual(try Media.tags(song), tags[i], "\(song): ffprobe after undo")
            XCTAssertEqual(try Media.audioMD5(song), audio[i], "\(song): decoded audio after undo")
        }
        let twice = try CommandRunner.run(["tag", "--undo", path(journal)])
        XCTAssertEqual(twice.status, 0, twice.stderr)
        XCTAssertEqual(rows(twice).filter { $0.hasPrefix("same ") }.count, songs.count, twice.stdout)
    }

    /// A file whose best label is under --min-confidence is listed and left as it is.
    func testBelowMinimumConfidence() throws {
        let checkpoint = try maker.makeCheckpoint()
        let songs = try makeSongs([Media.mp3, Media.flac])
        // A silent track (a hidden track's gap) is skipped, not tagged and not a failure.
        let silent = path("music/gap.flac")
        try Media.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "3", "-c:a", "flac", silent])
        let before = try (songs + [silent]).map(bytes)
        let result = try CommandRunner.run(["tag", path("music"), "--checkpoint", checkpoint, "--write", "--min-confidence", "0.99"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        for song in songs {
            XCTAssertTrue(rows(result).contains { $0.hasPrefix("below      \(song): Rock kept; best ") && $0.hasSuffix(" < 0.99") }, result.stdout)
        }
        XCTAssertTrue(rows(result).contains { $0.hasPrefix("skipped    \(silent): silent: nothing louder than about -80 dBFS to classify")
            && $0.hasSuffix("(left as it is)") }, result.stdout)
        XCTAssertEqual(try (songs + [silent]).map(bytes), before)
        XCTAssertEqual(try journals(), [], "an empty journal is not left behind")
        XCTAssertTrue(result.stderr.contains("0 tagged, 0 already tagged, 2 below 0.99, 1 silent or too short, 0 failed"), result.stderr)
    }

    /// Each bad file is an error row naming it while the rest are tagged (exit 2); a bad
    /// checkpoint or journal is one line and exit 1.
    func testBadInput() throws {
        let checkpoint = try maker.makeCheckpoint()
        let good = try makeSongs([Media.flac])[0]
        try "not audio".write(toFile: path("music/notes.mp3"), atomically: true, encoding: .utf8)
        let missing = path("music/missing.ogg")
        var bad = [path("music/notes.mp3"): "not an audio file", missing: "no such file"]
        // Audio that decodes, in a format TagLib has no tags for.
        let dts = path("music/surround.dts")
        try Media.encode(Media.Kind(ext: "dts", codec: ["-strict", "-2", "-c:a", "dca", "-ar", "48000"], cover: false),
                         from: path("source.wav"), to: dts, metadata: [:], cover: nil)
        bad[dts] = "not an audio file whose tags genre writes (MP3, FLAC, "

        // Root writes anything, so as root the tool runs as `nobody` through setpriv.
        let wrapper = CommandRunner.unprivileged ?? []
        if !wrapper.isEmpty {
            chmod(folder.path, 0o777)
            chmod(path("music"), 0o777)
            chown(good, 65534, 65534)
        }
        if CommandRunner.unprivileged != nil {
            let locked = path("music/locked.wav")
            try Media.encode(Media.wav, from: path("source.wav"), to: locked, metadata: others, cover: nil)
            chmod(locked, 0o444)
            bad[locked] = "permission denied"
            // A writable file in a folder that is not: the edited copy cannot be made beside it.
            let shut = path("music/shut/song.flac")
            try FileManager.default.createDirectory(atPath: path("music/shut"), withIntermediateDirectories: true)
            try Media.encode(Media.flac, from: path("source.wav"), to: shut, metadata: others, cover: nil)
            if !wrapper.isEmpty { chown(shut, 65534, 65534) }
            chmod(path("music/shut"), 0o555)
            bad[shut] = "its folder must be writable"
            if !wrapper.isEmpty {
                // Writable by all but root's: the edited copy would belong to nobody instead.
                let others = path("music/others.flac")
                try Media.encode(Media.flac, from: path("source.wav"), to: others, metadata: self.others, cover: nil)
                chmod(others, 0o666)
                bad[others] = "cannot keep the file's owner (Operation not permitted; it belongs to user 0, and the edited copy would not"
            }
        }
        let lockedBytes = try? bytes(path("music/locked.wav"))
        let result = try CommandRunner.run(["tag", path("music"), missing, "--checkpoint", checkpoint, "--write",
                                            "--min-confidence", "0", "--journal", path("j.jsonl")], wrapper: wrapper)
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(rows(result).contains { $0.hasPrefix("tagged     \(good): Rock -> ") }, result.stdout)
        for (file, problem) in bad {
            let row = try XCTUnwrap(rows(result).first { $0.contains(file) }, "no row for \(file): \(result.stdout)")
            XCTAssertTrue(row.hasPrefix("error      \(file): ") && row.contains(problem), row)
            XCTAssertEqual(result.stderr.split(separator: "\n").filter { $0.contains(file) }.count, 1, result.stderr)
        }
        if let lockedBytes { XCTAssertEqual(try bytes(path("music/locked.wav")), lockedBytes) }
        XCTAssertEqual(try TagJournal.read(path("j.jsonl")).map(\.path), [good])

        for (arguments, name) in [(["tag", good, "--checkpoint", path("nothing.safetensors")], path("nothing.safetensors")),
                                  (["tag", good, "--checkpoint", path("music/notes.mp3")], path("music/notes.mp3")),
                                  (["tag", "--undo", path("none.jsonl")], path("none.jsonl"))] {
            let failed = try CommandRunner.run(arguments)
            XCTAssertEqual(failed.status, 1, failed.stderr)
            XCTAssertEqual(failed.stderr.split(separator: "\n").count, 1, failed.stderr)
            XCTAssertTrue(failed.stderr.hasPrefix("genre: error: ") && failed.stderr.contains(name), failed.stderr)
        }
        let usage = try CommandRunner.run(["tag", good, "--journal", path("x.jsonl")])
        XCTAssertEqual(usage.status, 64, usage.stderr)
    }

    /// TagLib comes from genre's plugin beside the executable, loaded by `genre tag` only: a copy
    /// of the executable without it still runs everything else, and its `tag` says once what it
    /// could not load, with status 1, before any file or journal is touched. With the plugin put
    /// beside it, `tag` works, also through a symbolic link from elsewhere (`make install`'s
    /// layout: the plugin is looked for beside the link's target).
    func testTagLibPluginBesideTheExecutable() throws {
        let checkpoint = try maker.makeCheckpoint()
        let song = try makeSongs([Media.mp3])[0]
        let before = try bytes(song)
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let lonely = bin.appendingPathComponent("genre")
        try FileManager.default.copyItem(at: CommandRunner.genre, to: lonely)
        XCTAssertEqual(try CommandRunner.run(["--version"], executable: lonely).status, 0)
        for arguments in [["tag", song, "--checkpoint", checkpoint, "--write", "--journal", path("j.jsonl")], ["tag", "--undo", path("j.jsonl")]] {
            let result = try CommandRunner.run(arguments, executable: lonely, environment: ["LD_LIBRARY_PATH": nil])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("genre: error: cannot load genre's TagLib plugin (\(bin.path)/libGenreTagLib.so: "),
                          result.stderr)
        }
        XCTAssertEqual(try bytes(song), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("j.jsonl")))

        let plugin = CommandRunner.genre.deletingLastPathComponent().appendingPathComponent("libGenreTagLib.so")
        try FileManager.default.copyItem(at: plugin, to: bin.appendingPathComponent("libGenreTagLib.so"))
        let link = folder.appendingPathComponent("genre-link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: lonely)
        let linked = try CommandRunner.run(["tag", song, "--checkpoint", checkpoint, "--min-confidence", "0"], executable: link, environment: ["LD_LIBRARY_PATH": nil])
        XCTAssertEqual(linked.status, 0, linked.stderr)
        XCTAssertTrue(rows(linked).contains { $0.hasPrefix("would tag  \(song): ") }, linked.stdout)
    }

    /// SIGKILL while the edited copy waits to replace the original: the original is intact and
    /// readable, nothing replaced it, the journal has no entry, and a new run tags it.
    func testKillDuringWrite() throws {
        let checkpoint = try maker.makeCheckpoint()
        let songs = try makeSongs([Media.flac, Media.mp3])
        let before = try songs.map(bytes)
        let process = Process()
        process.executableURL = CommandRunner.genre
        process.arguments = ["tag", path("music"), "--checkpoint", checkpoint, "--write", "--min-confidence", "0", "--journal", path("j.jsonl")]
        process.environment = ProcessInfo.processInfo.environment.merging([SafeRewrite.pauseVariable: "120"]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var said = ""
        let deadline = Date().addingTimeInterval(120)
        while !said.contains("paused "), Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(said.contains("paused "), "the writer never paused: \(said)")
        let temporary = said.split(separator: "\n").first { $0.hasPrefix("paused ") }.map { String($0.dropFirst(7)) } ?? ""
        XCTAssertTrue(FileManager.default.fileExists(atPath: temporary), "no edited copy at \(temporary)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        XCTAssertEqual(try songs.map(bytes), before, "a killed write changed a file")
        for song in songs {
            XCTAssertEqual(try GenreTagger.read(song).fields[GenreTagger.read(song).schema.genre], ["Rock"], song)
            XCTAssertTrue(Media.decodes(song), song)
        }
        XCTAssertEqual(try TagJournal.read(path("j.jsonl")), [])
        XCTAssertTrue(temporary.hasPrefix(path("music") + "/."), "the copy is hidden beside the file: \(temporary)")

        // The leftover hidden copy is not picked up; the files are tagged on the next run.
        let rerun = try CommandRunner.run(["tag", path("music"), "--checkpoint", checkpoint, "--write", "--min-confidence", "0",
                                           "--journal", path("k.jsonl")])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(rows(rerun).filter { $0.hasPrefix("tagged ") }.count, songs.count, rerun.stdout)
        for song in songs { XCTAssertNotEqual(try GenreTagger.read(song).fields[GenreTagger.read(song).schema.genre], ["Rock"], song) }
    }
    /// Another program writing a file while its edited copy waits (a tagger replacing it, a
    /// player saving a rating in place) keeps its change: the copy is dropped, the file is a
    /// failure naming it, no journal is started, and a new run tags it.
    func testChangeByAnotherProgramIsKept() throws {
        let checkpoint = try maker.makeCheckpoint()
        let songs = try makeSongs([Media.flac, Media.mp3])
        let (replaced, rewritten) = (songs[0], songs[1])
        let process = Process()
        process.executableURL = CommandRunner.genre
        process.arguments = ["tag", path("music"), "--checkpoint", checkpoint, "--write", "--min-confidence", "0",
                             "--journal", path("j.jsonl"), "--threads", "1"]
        process.environment = ProcessInfo.processInfo.environment.merging([SafeRewrite.pauseVariable: "4"]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var said = "", handled = Set<String>()
        while true {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
            for line in said.split(separator: "\n") where line.hasPrefix("paused ") && !handled.contains(String(line)) {
                handled.insert(String(line))
                if line.contains("/.song.flac.genre-tag-") {
                    let schema = try GenreTagger.read(replaced).schema
                    try GenreTagger.write(replaced, fields: [schema.genre: ["Jazz"]])
                } else {
                    let file = try FileHandle(forUpdating: URL(fileURLWithPath: rewritten))
                    let first = try file.read(upToCount: 1) ?? Data()
                    try file.seek(toOffset: 0)
                    try file.write(contentsOf: first)
                    try file.close()
                }
            }
        }
        process.waitUntilExit()
        XCTAssertEqual(handled.count, 2, said)
        XCTAssertEqual(process.terminationStatus, 2, said)
        let errors = said.split(separator: "\n").filter { $0.hasPrefix("genre: error: ") }
        XCTAssertEqual(errors.count, 2, said)
        for song in songs {
            XCTAssertTrue(errors.contains { $0.contains(song) && $0.contains("was changed by another program while it was tagged") }, said)
        }
        XCTAssertEqual(try GenreTagger.read(replaced).fields[GenreTagger.read(replaced).schema.genre], ["Jazz"])
        XCTAssertEqual(try GenreTagger.read(rewritten).fields[GenreTagger.read(rewritten).schema.genre], ["Rock"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("music")).sorted(), ["song.flac", "song.mp3"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("j.jsonl")), "a journal entry for a change not made")

        let rerun = try CommandRunner.run(["tag", path("music"), "--checkpoint", checkpoint, "--write", "--min-confidence", "0",
                                           "--journal", path("k.jsonl")])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(rows(rerun).filter { $0.hasPrefix("tagged ") }.count, songs.count, rerun.stdout)
    }
}
