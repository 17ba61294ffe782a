import Basics
import Foundation
import GenreKit
import TestSupport
import XCTest

/// Shard selection: a fixed hash, every file in exactly one shard, stable when files are added,
/// keys relative to the folder argument, and the flag and scheduler variables resolved.
final class ShardTests: XCTestCase {
    /// FNV-1a 64's published test vectors: the hash is the fixed one docs/cluster.md names.
    func testFNV1a64() {
        XCTAssertEqual(Shard.fnv1a64(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(Shard.fnv1a64("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(Shard.fnv1a64("foobar"), 0x8594_4171_f739_67e8)
        XCTAssertEqual(Shard.fnv1a64("é"), 0x0ac2_1707_b718_1e01)  // the UTF-8 bytes c3 a9, not a Character
        // A name that is not UTF-8 hashes as its own bytes (Latin-1 "café", computed with Python).
        XCTAssertEqual(Shard.fnv1a64(FileSystemBytes.string(Array("caf".utf8) + [0xE9])), 0xb538_f990_e859_62dc)
    }

    func catalogue(_ n: Int, prefix: String = "") -> [InputFile] {
        let genres = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]
        return (0..<n).map { i in
            let key = "\(prefix)\(genres[i % genres.count])/\(genres[i % genres.count]).\(String(format: "%05d", i / genres.count)).wav"
            return InputFile(path: "/mnt/music/" + key, key: key)
        }
    }

    /// Every file in exactly one shard, in any listing order, and the shards of a big catalogue
    /// are of similar size.
    func testPartition() throws {
        let files = catalogue(1000)
        for count in [1, 2, 3, 7, 16] {
            let shards = try (0..<count).map { try Shard(index: $0, count: count) }
            var owner: [String: Int] = [:]
            for shard in shards {
                for file in shard.select(files) {
                    XCTAssertNil(owner[file.path], "\(file.path) in shards \(owner[file.path]!) and \(shard.index) of \(count)")
                    owner[file.path] = shard.index
                }
                XCTAssertEqual(Set(shard.select(files.reversed()).map(\.path)), Set(shard.select(files).map(\.path)), "order matters for \(shard)")
                let size = shard.select(files).count
                let expected = Double(files.count) / Double(count)
                XCTAssertLessThan(abs(Double(size) - expected), 5 * expected.squareRoot() + 1, "shard \(shard) has \(size) of \(files.count)")
            }
            XCTAssertEqual(owner.count, files.count)
        }
    }

    /// Adding files to a catalogue (a new album, more files in a folder) leaves every earlier
    /// file in its shard.
    func testAddingFilesMovesNothing() throws {
        let before = catalogue(300)
        let after = catalogue(450) + catalogue(40, prefix: "new/")
        for count in [3, 7] {
            for index in 0..<count {
                let shard = try Shard(index: index, count: count)
                let old = Set(shard.select(before).map(\.path))
                let new = Set(shard.select(after).map(\.path))
                XCTAssertTrue(old.isSubset(of: new), "shard \(shard) lost files")
                XCTAssertEqual(new.intersection(before.map(\.path)), old, "shard \(shard) gained old files")
            }
        }

        // The same through a real folder: the selection is by key, not by position in the listing.
        let folder = makeTemporaryFolder("genre-shard")
        defer { try? FileManager.default.removeItem(at: folder) }
        func touch(_ name: String) throws {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: url.path, contents: Data())
        }
        for i in 0..<40 { try touch("music/g\(i % 4)/s\(i).wav") }
        let shard = try Shard(index: 1, count: 3)
        let first = Set(shard.select(try FileList.expand([folder.appendingPathComponent("music").path])).map(\.path))
        for i in 40..<80 { try touch("music/g\(i % 5)/a\(i).flac") }
        try touch("music/aaa/first.wav")
        let all = try FileList.expand([folder.appendingPathComponent("music").path])
        let second = Set(shard.select(all).map(\.path))
        XCTAssertEqual(second.filter { $0.hasSuffix(".wav") && !$0.hasSuffix("first.wav") }, first)
        XCTAssertGreaterThan(first.count, 3)
    }

    /// Keys are relative to the folder argument, so the same catalogue under two mount points
    /// shards the same; a file argument's key is the argument.
    func testKeys() throws {
        let folder = makeTemporaryFolder("genre-shard")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["a/x/1.wav", "a/2.mp3", "a/.hidden.wav", "a/notes.txt", "b/x/1.wav", "b/2.mp3"] {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: url.path, contents: Data())
        }
        let a = try FileList.expand([folder.appendingPathComponent("a").path + "/"])
        XCTAssertEqual(a.map(\.key), ["2.mp3", "x/1.wav"])
        XCTAssertEqual(a.map(\.path), ["a/2.mp3", "a/x/1.wav"].map { folder.appendingPathComponent($0).path })
        XCTAssertEqual(try FileList.expand([folder.appendingPathComponent("b").path]).map(\.key), a.map(\.key))
        let direct = folder.appendingPathComponent("a/x/1.wav").path
        XCTAssertEqual(try FileList.expand([direct, "relative/song.ogg", direct]), [InputFile(path: direct, key: direct), InputFile(path: "relative/song.ogg", key: "relative/song.ogg")])
    }

    func testFileListParsing() {
        XCTAssertEqual(FileList.parse(Array("a.wav\nb c.flac\r\n\n/abs/d.mp3".utf8), nullSeparated: false), ["a.wav", "b c.flac", "/abs/d.mp3"])
        XCTAssertEqual(FileList.parse(Array("a\nb.wav\0c.wav\0\0".utf8), nullSeparated: true), ["a\nb.wav", "c.wav"])
        XCTAssertEqual(FileList.parse([], nullSeparated: false), [])
        XCTAssertEqual(FileList.parse([0xEF, 0xBB, 0xBF] + Array("a.wav\r\nb.wav".utf8), nullSeparated: false), ["a.wav", "b.wav"])
    }

    func resolve(_ flag: String? = nil, count: String? = nil, _ environment: [String: String] = [:]) throws -> Shard? {
        try Shard.resolve(flag: flag, countFlag: count, environment: environment)?.shard
    }

    func testResolve() throws {
        XCTAssertNil(try resolve())
        XCTAssertNil(try resolve(nil, ["GENRE_SHARD_COUNT": "4"]))
        XCTAssertEqual(try resolve("2/7"), try Shard(index: 2, count: 7))
        XCTAssertEqual(try resolve("0/1"), try Shard(index: 0, count: 1))
        XCTAssertEqual(try resolve("2", count: "7"), try Shard(index: 2, count: 7))
        XCTAssertEqual(try resolve("2", ["GENRE_SHARD_COUNT": "7"]), try Shard(index: 2, count: 7))
        // The flag wins over the scheduler's variables.
        XCTAssertEqual(try resolve("1/2", ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "7"]), try Shard(index: 1, count: 2))

        let slurm = ["SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "16", "SLURM_ARRAY_TASK_COUNT": "7"]
        XCTAssertEqual(try resolve(nil, slurm), try Shard(index: 2, count: 7))
        XCTAssertEqual(try resolve(nil, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"]), try Shard(index: 3, count: 4))
        XCTAssertEqual(try resolve(nil, ["SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "16", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "4"]),
                       try Shard(index: 2, count: 4))
        XCTAssertEqual(try resolve(nil, ["JOB_COMPLETION_INDEX": "4", "GENRE_SHARD_COUNT": "5"]), try Shard(index: 4, count: 5))
        XCTAssertEqual(try resolve(nil, count: "6", ["JOB_COMPLETION_INDEX": "4", "GENRE_SHARD_COUNT": "5"]), try Shard(index: 4, count: 6))
        XCTAssertEqual(try resolve(nil, ["JOB_COMPLETION_INDEX": "", "SLURM_ARRAY_TASK_ID": ""]), nil)

        let bad: [(String?, String?, [String: String], String)] = [
            ("7/7", nil, [:], "out of range"), ("3/0", nil, [:], "at least 1"), ("a/3", nil, [:], "whole number"),
            ("1/b", nil, [:], "whole number"), ("-1/3", nil, [:], "whole number"), ("1/2/3", nil, [:], "I/N"), ("/3", nil, [:], "I/N"),
            ("2", nil, [:], "no count"), ("1/3", "4", [:], "disagrees"), (nil, "3", [:], "needs an index"), (nil, "x", [:], "whole number"),
            (nil, nil, ["JOB_COMPLETION_INDEX": "2"], "no count"), (nil, nil, ["JOB_COMPLETION_INDEX": "2", "GENRE_SHARD_COUNT": "2"], "out of range"),
            (nil, nil, ["JOB_COMPLETION_INDEX": "two", "GENRE_SHARD_COUNT": "3"], "whole number"),
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "3"], "SLURM_ARRAY_TASK_COUNT"),
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"], "out of range"),
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_COUNT": "3"], "not on the array"),
            // Rerunning tasks 3 and 11 of an array of 16, or task 3 alone, must not shard by 2 or 1.
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "11", "SLURM_ARRAY_TASK_COUNT": "2"], "not one range"),
            (nil, nil, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "3", "SLURM_ARRAY_TASK_COUNT": "1"], "one task"),
        ]
        for (flag, count, environment, message) in bad {
            XCTAssertThrowsError(try resolve(flag, count: count, environment), "\(String(describing: flag)) \(String(describing: count)) \(environment)") { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains(message), "'\(text)' does not say '\(message)'")
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    func testOutputTemplate() throws {
        XCTAssertEqual(Shard.expand("out/part-{shard}.jsonl", shard: try Shard(index: 3, count: 8)), "out/part-3.jsonl")
        XCTAssertEqual(Shard.expand("out/part-{shard}.jsonl", shard: nil), "out/part-0.jsonl")
        XCTAssertEqual(Shard.expand("plain.csv", shard: try Shard(index: 1, count: 2)), "plain.csv")
    }
}
