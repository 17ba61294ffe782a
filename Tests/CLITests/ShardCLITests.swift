import Foundation
import TestSupport
import XCTest

/// Sharded batch runs for cluster schedulers, end to end: `--shard I/N` partitions a run, Slurm
/// and Kubernetes variables pick the same shards, `--files-from` lists, `{shard}` in `--out`, a
/// killed shard finished by `--skip-done`, JSON Lines flushed per line into a pipe.
final class ShardCLITests: XCTestCase, PredictFixtures {
    var folder: URL!
    let labels = ["rock", "jazz", "ambient"]
    /// The scheduler variables of the environment the tests run in are removed (the tests may
    /// themselves run in a Slurm job); each test sets the ones it needs.
    let clean: [String: String?] = ["SLURM_ARRAY_TASK_ID": nil, "SLURM_ARRAY_TASK_MIN": nil, "SLURM_ARRAY_TASK_MAX": nil,
                                    "SLURM_ARRAY_TASK_COUNT": nil, "SLURM_ARRAY_TASK_STEP": nil,
                                    "JOB_COMPLETION_INDEX": nil, "GENRE_SHARD_COUNT": nil]

    override func setUp() { folder = makeTemporaryFolder("genre-shard-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// 21 clips in three genre folders, different pitches and lengths.
    @discardableResult
    func makeCatalogue(count: Int = 21, seconds: Double = 1.5) throws -> [String] {
        let genres = ["rock", "jazz", "ambient"]
        return try (0..<count).map { i in
            let genre = genres[i % genres.count]
            return try makeClip("music/\(genre)/\(genre).\(String(format: "%05d", i)).wav",
                                seconds: seconds + 0.25 * Double(i % 4), pitch: 110 * (1 + Double(i) / 3))
        }
    }

    func run(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, in directory: URL? = nil) throws -> CommandResult {
        var variables = clean
        for (name, value) in environment { variables[name] = value }
        return try CommandRunner.run(arguments, in: directory, environment: variables, stdin: stdin)
    }

    /// The JSON Lines rows of a run: path → object, failing on a path seen twice.
    func rows(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: [String: Any]] {
        var rows: [String: [String: Any]] = [:]
        for row in text.split(separator: "\n") {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any], String(row), file: file, line: line)
            let path = try XCTUnwrap(object["path"] as? String, String(row), file: file, line: line)
            XCTAssertNil(rows[path], "\(path) twice", file: file, line: line)
            rows[path] = object
        }
        return rows
    }

    func assertSameRows(_ a: [String: Any]?, _ b: [String: Any]?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let a, let b else { return XCTFail("\(what): missing row", file: file, line: line) }
        XCTAssertEqual(a["label"] as? String, b["label"] as? String, what, file: file, line: line)
        let (ta, tb) = (a["top"] as? [[String: Any]] ?? [], b["top"] as? [[String: Any]] ?? [])
        XCTAssertEqual(ta.count, 3, what, file: file, line: line)
        XCTAssertEqual(ta.map { $0["label"] as? String }, tb.map { $0["label"] as? String }, what, file: file, line: line)
        for (x, y) in zip(ta, tb) {
            XCTAssertEqual(x["probability"] as? Double ?? -1, y["probability"] as? Double ?? -2, accuracy: 2e-6, what, file: file, line: line)
        }
    }

    /// For N = 1, 3, 7 the shards' rows together are the unsharded run's rows, no path twice,
    /// and several shards are non-empty; `{shard}` in --out names each shard's file.
    func testShardsPartitionTheRun() throws {
        let checkpoint = try makeCheckpoint(classifierScale: 1e8)
        let files = try makeCatalogue()
        let whole = try run(["predict", path("music"), "--checkpoint", checkpoint, "--json"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertFalse(whole.stderr.contains("shard"), whole.stderr)
        let expected = try rows(whole.stdout)
        // The comparison below has teeth only if the clips' probabilities differ.
        XCTAssertGreaterThan(Set(expected.values.compactMap { $0["confidence"] as? Double }).count, files.count / 2, whole.stdout)
        XCTAssertEqual(Set(expected.keys), Set(files))

        for count in [1, 3, 7] {
            var union: [String: [String: Any]] = [:]
            var sizes: [Int] = []
            for index in 0..<count {
                // N = 3 writes through --out with {shard}; the others print JSON Lines.
                let viaFile = count == 3
                var arguments = ["predict", path("music"), "--checkpoint", checkpoint, "--shard", "\(index)/\(count)"]
                arguments += viaFile ? ["--out", path("part-{shard}-of-3.jsonl")] : ["--json"]
                let result = try run(arguments)
                XCTAssertEqual(result.status, 0, result.stderr)
                let text = viaFile ? try String(contentsOfFile: path("part-\(index)-of-3.jsonl"), encoding: .utf8) : result.stdout
                let shard = try rows(text)
                sizes.append(shard.count)
                let announced = result.stderr.split(separator: "\n").filter { $0.hasPrefix("genre: shard ") }
                XCTAssertEqual(announced, ["genre: shard \(index)/\(count) (--shard): \(shard.count) of \(files.count) files"], result.stderr)
                for (path, row) in shard {
                    XCTAssertNil(union[path], "\(path) in two of \(count) shards")
                    union[path] = row
                }
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("part-{shard}-of-3.jsonl")))
            XCTAssertEqual(Set(union.keys), Set(expected.keys), "N = \(count)")
            for (path, row) in expected { assertSameRows(union[path], row, "\(path), N = \(count)") }
            XCTAssertEqual(sizes.reduce(0, +), files.count)
            if count > 1 {
                XCTAssertGreaterThanOrEqual(sizes.filter { $0 > 0 }.count, count == 3 ? 3 : 4, "N = \(count): \(sizes)")
                XCTAssertLessThan(sizes.max() ?? 0, files.count, "N = \(count): \(sizes)")
            }
        }
    }

    /// Slurm job arrays (ID − MIN of COUNT) and Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX
    /// with --shard-count or GENRE_SHARD_COUNT) select the shards --shard does, for predict and tag.
    func testSchedulerVariablesSelectTheSameShards() throws {
        let checkpoint = try makeCheckpoint()
        try makeCatalogue()
        let count = 3
        func paths(_ result: CommandResult) throws -> Set<String> {
            XCTAssertEqual(result.status, 0, result.stderr)
            return Set(try rows(result.stdout).keys)
        }
        let base = ["predict", path("music"), "--checkpoint", checkpoint, "--json"]
        for index in 0..<count {
            let flag = try paths(try run(base + ["--shard", "\(index)/\(count)"]))
            let slurm = try run(base, environment: ["SLURM_ARRAY_TASK_ID": "\(10 + index)", "SLURM_ARRAY_TASK_MIN": "10",
                                                    "SLURM_ARRAY_TASK_MAX": "12", "SLURM_ARRAY_TASK_COUNT": "3"])
            XCTAssertEqual(try paths(slurm), flag, "Slurm task \(10 + index)")
            XCTAssertEqual(slurm.stderr.split(separator: "\n").filter { $0.contains("shard") },
                           ["genre: shard \(index)/3 (SLURM_ARRAY_TASK_ID=\(10 + index) - SLURM_ARRAY_TASK_MIN=10 of SLURM_ARRAY_TASK_COUNT=3): \(flag.count) of 21 files"])
            let kubernetes = try run(base, environment: ["JOB_COMPLETION_INDEX": "\(index)", "GENRE_SHARD_COUNT": "3"])
            XCTAssertEqual(try paths(kubernetes), flag, "JOB_COMPLETION_INDEX=\(index)")
            XCTAssertTrue(kubernetes.stderr.contains("genre: shard \(index)/3 (JOB_COMPLETION_INDEX=\(index), GENRE_SHARD_COUNT=3)"), kubernetes.stderr)
            XCTAssertEqual(try paths(try run(base + ["--shard-count", "3"], environment: ["JOB_COMPLETION_INDEX": "\(index)"])), flag)
            // The flag wins over the variables.
            XCTAssertEqual(try paths(try run(base + ["--shard", "\(index)/3"], environment: ["JOB_COMPLETION_INDEX": "0", "GENRE_SHARD_COUNT": "5"])), flag)

            // genre tag (a dry run) takes the same shard.
            let tag = try run(["tag", path("music"), "--checkpoint", checkpoint, "--min-confidence", "0"],
                              environment: ["SLURM_ARRAY_TASK_ID": "\(index)", "SLURM_ARRAY_TASK_COUNT": "3"])
            XCTAssertEqual(tag.status, 0, tag.stderr)
            let tagged = tag.stdout.split(separator: "\n").map { line -> String in
                let rest = line.dropFirst(11)
                return String(rest[..<(rest.range(of: ": ")?.lowerBound ?? rest.endIndex)])
            }
            XCTAssertEqual(Set(tagged), flag, tag.stdout)
            XCTAssertEqual(tagged.count, flag.count, tag.stdout)
            XCTAssertTrue(tag.stderr.contains("\(flag.count) files: \(flag.count) to tag"), tag.stderr)
        }

        // Bad values: one line on stderr, exit status 1, before any work.
        let bad: [([String], [String: String], String)] = [
            (["--shard", "3/3"], [:], "out of range"), (["--shard", "1/0"], [:], "at least 1"), (["--shard", "x/3"], [:], "whole number"),
            (["--shard", "1"], [:], "no count"), (["--shard-count", "3"], [:], "needs an index"), (["--shard-count", "three"], [:], "whole number"),
            ([], ["JOB_COMPLETION_INDEX": "1"], "no count"), ([], ["JOB_COMPLETION_INDEX": "5", "GENRE_SHARD_COUNT": "3"], "out of range"),
            ([], ["SLURM_ARRAY_TASK_ID": "7"], "SLURM_ARRAY_TASK_COUNT"), ([], ["SLURM_ARRAY_TASK_ID": "a", "SLURM_ARRAY_TASK_COUNT": "3"], "whole number"),
            (["--null"], [:], "--files-from"),
        ]
        for (command, extra) in [(base, [] as [String]), (["tag", path("music"), "--checkpoint", checkpoint], [])] {
            for (arguments, environment, message) in bad {
                let result = try run(command + extra + arguments, environment: environment)
                let what = "\(command[0]) \(arguments) \(environment)"
                XCTAssertEqual(result.status, 1, "\(what): \(result.stderr)")
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(what): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(message), "\(what): \(result.stderr)")
                XCTAssertEqual(result.stdout, "", what)
            }
        }
    }

    /// --files-from - classifies exactly the files listed on stdin (newlines or, with --null,
    /// NUL bytes), also beside path arguments; an empty list is an empty run.
    func testFilesFrom() throws {
        let checkpoint = try makeCheckpoint()
        let files = try makeCatalogue(count: 8)
        let spaced = try makeClip("music/odd names/with space, and comma.wav", pitch: 700)
        let relative = "music/jazz/jazz.00001.wav"  // relative to the folder the tool runs in
        let listed = [files[0], files[3], spaced, relative, files[6]]

        let lines = try run(["predict", "--files-from", "-", "--checkpoint", checkpoint, "--json"],
                            stdin: Data((listed.joined(separator: "\n") + "\n").utf8), in: folder)
        XCTAssertEqual(lines.status, 0, lines.stderr)
        XCTAssertEqual(Set(try rows(lines.stdout).keys), Set(listed))
        XCTAssertTrue(lines.stderr.contains("5 files: 5 classified, 0 failed"), lines.stderr)

        let nul = try run(["predict", "--files-from", "-", "--null", "--checkpoint", checkpoint, "--json"],
                          stdin: Data(listed.joined(separator: "\0").utf8), in: folder)
        XCTAssertEqual(nul.status, 0, nul.stderr)
        XCTAssertEqual(Set(try rows(nul.stdout).keys), Set(listed))

        // A list file beside a path argument; CSV on stdout.
        try (files[1] + "\n" + files[2] + "\n").write(toFile: path("list.txt"), atomically: true, encoding: .utf8)
        let both = try run(["predict", files[7], "--files-from", path("list.txt"), "--checkpoint", checkpoint])
        XCTAssertEqual(both.status, 0, both.stderr)
        let csv = both.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
        XCTAssertEqual(Set(csv), Set([files[7], files[1], files[2]]))
        XCTAssertEqual(csv.count, 3)

        // A listed file that is not there is an error row; an empty list (an empty Spark partition) is no work.
        let missing = try run(["predict", "--files-from", "-", "--checkpoint", checkpoint, "--json"], stdin: Data((files[0] + "\n" + path("gone.wav") + "\n").utf8))
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertNotNil(try rows(missing.stdout)[path("gone.wav")]?["error"])
        let empty = try run(["predict", "--files-from", "-", "--checkpoint", checkpoint, "--json"], stdin: Data())
        XCTAssertEqual(empty.status, 0, empty.stderr)
        XCTAssertEqual(empty.stdout, "")
        let unreadable = try run(["predict", "--files-from", path("no-list.txt"), "--checkpoint", checkpoint])
        XCTAssertEqual(unreadable.status, 1)
        XCTAssertEqual(unreadable.stderr.split(separator: "\n").count, 1, unreadable.stderr)

        // Sharded lists: the shards of a list are the shards of the same files given as arguments.
        let sharded = try run(["predict", "--files-from", "-", "--checkpoint", checkpoint, "--json", "--shard", "1/2"],
                              stdin: Data(files.joined(separator: "\n").utf8))
        let asArguments = try run(["predict"] + files + ["--checkpoint", checkpoint, "--json", "--shard", "1/2"])
        XCTAssertEqual(Set(try rows(sharded.stdout).keys), Set(try rows(asArguments.stdout).keys))

        // genre tag reads lists too.
        let tag = try run(["tag", "--files-from", "-", "--checkpoint", checkpoint, "--min-confidence", "0"], stdin: Data((files[2] + "\n").utf8))
        XCTAssertEqual(tag.status, 0, tag.stderr)
        XCTAssertEqual(tag.stdout.split(separator: "\n").count, 1, tag.stdout)
        XCTAssertTrue(tag.stdout.contains(files[2]), tag.stdout)
    }

    /// Starts genre with stdout on a pipe, the scheduler variables removed.
    func start(_ arguments: [String]) throws -> (Process, FileHandle) {
        let process = Process()
        process.executableURL = CommandRunner.genre
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in clean.keys { environment[name] = nil }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out.fileHandleForReading)
    }

    /// A shard killed with SIGKILL in the middle, then run again with --skip-done: one row per
    /// file of the shard, none twice.
    func testKilledShardFinishesWithSkipDone() throws {
        let checkpoint = try makeCheckpoint()
        try makeCatalogue(count: 24, seconds: 20)
        let template = path("part-{shard}.jsonl"), out = path("part-1.jsonl")
        let arguments = ["predict", path("music"), "--checkpoint", checkpoint, "--shard", "1/2", "--out", template, "--threads", "1"]
        let (process, _) = try start(arguments)
        let deadline = Date(timeIntervalSinceNow: 120)
        var rowsAtKill = 0
        while process.isRunning, Date() < deadline {
            rowsAtKill = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").count
            if rowsAtKill >= 2 { break }
            usleep(2000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run ended before it was killed")
        XCTAssertGreaterThanOrEqual(rowsAtKill, 2)

        let resumed = try run(arguments + ["--skip-done"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let whole = try run(["predict", path("music"), "--checkpoint", checkpoint, "--shard", "1/2", "--json"])
        let expected = Set(try rows(whole.stdout).keys)
        XCTAssertGreaterThan(expected.count, rowsAtKill)
        var seen: [String: Int] = [:]
        var torn = 0
        for line in lines {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { torn += 1; continue }
            XCTAssertNotNil(object["label"], String(line))
            seen[object["path"] as? String ?? "", default: 0] += 1
        }
        XCTAssertLessThanOrEqual(torn, 1, "torn lines")
        XCTAssertEqual(Set(seen.keys), expected)
        XCTAssertEqual(seen.values.filter { $0 != 1 }.count, 0, "paths with several rows: \(seen.filter { $0.value != 1 })")
        XCTAssertTrue(resumed.stderr.contains("already done"), resumed.stderr)
    }

    /// --json into a pipe: each row arrives as its file finishes, not when the run ends.
    func testJSONLinesAreFlushedPerLineIntoAPipe() throws {
        let checkpoint = try makeCheckpoint()
        try makeCatalogue(count: 16, seconds: 20)
        let (process, stdout) = try start(["predict", path("music"), "--checkpoint", checkpoint, "--json", "--threads", "1"])
        let first = stdout.availableData  // blocks until the first write
        let running = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let text = String(decoding: first, as: UTF8.self)
        XCTAssertTrue(running, "nothing arrived before the run ended")
        XCTAssertTrue(text.hasSuffix("\n"), text)
        XCTAssertLessThanOrEqual(text.split(separator: "\n").count, 3, "rows arrived in a block: \(text)")  // a block would be ~14
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.split(separator: "\n")[0].utf8)) as? [String: Any])
        XCTAssertNotNil(object["label"])
    }
}
