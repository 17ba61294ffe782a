import Foundation
import TestSupport
import XCTest

/// `genre train` and `genre eval` as a user runs them: bad configs fail before any work with one
/// line naming the file and the key; Ctrl-C leaves a checkpoint that `--resume` continues to the
/// same bytes as a run never interrupted.
final class TrainCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-train-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func writeConfig(_ name: String, root: String, output: String, epochs: Int = 2,
                             split: String = #""train": 0.5, "validation": 0.25, "test": 0.25"#) throws -> String {
        let text = """
            {"data": {"root": "\(root)", "split": {\(split)}},
             "features": {"n_fft": 512, "hop_length": 256, "n_mels": 32, "segment_seconds": 1.0, "segment_hop_seconds": 0.5},
             "model": {"arch": "mobilenet_v2", "width": 0.35},
             "training": {"epochs": \(epochs), "batch_size": 4, "threads": 2, "optimizer": {"name": "sgd", "lr": 0.05}},
             "output": "\(output)"}
            """
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    private func synthesize() throws -> String {
        let root = path("demo")
        let result = try CommandRunner.run(["synth", root, "--clips-per-genre", "4", "--seconds", "3", "--genres", "rock,classical,house"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return root
    }

    func testBadConfigsFailBeforeAnyWork() throws {
        let root = try synthesize()
        let cases: [(String, String, String)] = [
            ("bad.json", "{\"model\": {\"arch\": ", "not valid JSON"),
            ("unknown.json", "{\"training\": {\"epochz\": 3}}", "training.epochz"),
            ("type.json", "{\"training\": {\"optimizer\": {\"lr\": \"fast\"}}}", "training.optimizer.lr"),
            ("arch.json", "{\"model\": {\"arch\": \"resnet50\"}}", "model.arch"),
            ("empty-root.json", "{\"data\": {\"root\": \"\(path("nothing"))\"}, \"output\": \"\(path("run"))\"}", "does not exist"),
        ]
        for (name, text, cause) in cases {
            try text.write(toFile: path(name), atomically: true, encoding: .utf8)
            try expectFailure(["train", path(name)], names: name == "empty-root.json" ? path("nothing") : path(name), cause: cause)
        }
        try expectFailure(["train", path("missing.json")], names: path("missing.json"), cause: "no such file")

        // A label folder whose files do not decode: the files are listed, then the label named.
        try FileManager.default.createDirectory(atPath: root + "/noise", withIntermediateDirectories: true)
        for i in 0..<4 { try "text, not audio".write(toFile: root + "/noise/noise.\(i).wav", atomically: true, encoding: .utf8) }
        let config = try writeConfig("broken.json", root: root, output: path("run"))
        let result = try CommandRunner.run(["train", config])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.split(separator: "\n").last!.contains(root + "/noise: label has no decodable audio"), result.stderr)
        XCTAssertEqual(result.stderr.components(separatedBy: "skipping ").count - 1, 4, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("run")), "nothing written")

        // A sub-folder that cannot be listed would make the data set silently smaller: stopped,
        // with the folder named (as `nobody` when run as root, who reads anything).
        try FileManager.default.removeItem(atPath: root + "/noise")
        guard let wrapper = CommandRunner.unprivileged else { return }
        let label = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: root).sorted().first { !$0.hasPrefix(".") })
        let locked = root + "/" + label + "/private"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        chmod(locked, 0)
        defer {
            chmod(locked, 0o755)
            try? FileManager.default.removeItem(atPath: locked)
        }
        let unlisted = try CommandRunner.run(["train", try writeConfig("locked.json", root: root, output: "/tmp/genre-nobody-\(getpid())")],
                                             wrapper: wrapper)
        XCTAssertEqual(unlisted.status, 1, unlisted.stderr)
        XCTAssertEqual(unlisted.stderr, "genre: error: \(locked): cannot list the folder (Permission denied)\n")
    }

    private func expectFailure(_ arguments: [String], names: String, cause: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CommandRunner.run(arguments)
        XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(names) && result.stderr.contains(cause), "\(cause): \(result.stderr)", file: file, line: line)
    }

    /// A split with no test files trains and says there is no test report (rather than scoring
    /// 0 % on nothing); `genre eval` on it stops with one line.
    func testNoTestSplit() throws {
        let root = try synthesize()
        let config = try writeConfig("no-test.json", root: root, output: path("run"), epochs: 1,
                                     split: #""train": 0.75, "validation": 0.25, "test": 0"#)
        let trained = try CommandRunner.run(["train", config])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertFalse(trained.stdout.contains("accuracy"), trained.stdout)
        XCTAssertTrue(trained.stderr.contains("test split: no files to test on (data.split.test), so no test report"), trained.stderr)
        let eval = try CommandRunner.run(["eval", config])
        XCTAssertEqual(eval.status, 1, eval.stderr)
        XCTAssertEqual(eval.stderr.split(separator: "\n").last.map(String.init), "genre: error: \(config): the test split has no files (data.split.test)")
    }

    /// A data folder and a run folder whose names are not UTF-8 (written `\\udcXX` in the config,
    /// as Python's json writes them): trained, resumed and evaluated under those names.
    func testFoldersWhoseNamesAreNotUTF8() throws {
        let root = try synthesize()
        // `name` and then `byte` and "x", with `rest` after, as the system's calls take it.
        func raw(_ name: String, _ byte: UInt8, _ rest: String = "") -> [CChar] {
            (Array(path(name).utf8) + [byte, UInt8(ascii: "x")] + Array(rest.utf8)).map(CChar.init(bitPattern:)) + [0]
        }
        XCTAssertEqual(rename(root, raw("demo", 0xE4)), 0)
        let config = try writeConfig("latin1.json", root: path("demo") + "\\udce4x", output: path("run") + "\\udcf6x", epochs: 1)
        let trained = try CommandRunner.run(["train", config])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertEqual(access(raw("run", 0xF6, "/best.safetensors"), R_OK), 0)
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "\"epochs\": 1", with: "\"epochs\": 2")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let resumed = try CommandRunner.run(["train", config, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let eval = try CommandRunner.run(["eval", config])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("confusion image: \(path("run"))\u{FFFD}x/confusion.png"), eval.stdout)
    }

    func testInterruptedRunResumesToTheSameCheckpoint() throws {
        let root = try synthesize()
        let whole = try writeConfig("whole.json", root: root, output: path("whole"), epochs: 20)
        let uninterrupted = try CommandRunner.run(["train", whole])
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)
        XCTAssertTrue(uninterrupted.stdout.contains("test split"), uninterrupted.stdout)
        XCTAssertTrue(uninterrupted.stdout.contains("linear classifier on the mean log-mel spectrum"), uninterrupted.stdout)

        // Ctrl-C once the first epoch is done.
        let config = try writeConfig("split.json", root: root, output: path("split"), epochs: 20)
        let (status, stderr) = try trainUntil("epoch 1:", config: config) { $0.interrupt() }
        XCTAssertEqual(status, 130, stderr)
        XCTAssertTrue(stderr.contains("--resume"), stderr)

        let again = try CommandRunner.run(["train", config])
        XCTAssertEqual(again.status, 1, "a run in place is not overwritten without --resume or --force")
        let resumed = try CommandRunner.run(["train", config, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        for name in ["best.safetensors", "last.safetensors", "last.state.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("whole/" + name))),
                           try Data(contentsOf: URL(fileURLWithPath: path("split/" + name))), name)
        }

        // Killed outright after the second epoch: --resume redoes the unfinished epoch.
        let killed = try writeConfig("killed.json", root: root, output: path("killed"), epochs: 20)
        let (killStatus, _) = try trainUntil("epoch 2:", config: killed) { kill($0.processIdentifier, SIGKILL) }
        XCTAssertEqual(killStatus, SIGKILL)
        let finished = try CommandRunner.run(["train", killed, "--resume"])
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("whole/best.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("killed/best.safetensors"))))
        XCTAssertEqual(try String(contentsOfFile: path("killed/metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 20)

        // --init starts from given weights of the same network; another network's are refused.
        let initialised = try writeConfig("init.json", root: root, output: path("init"), epochs: 1)
        XCTAssertEqual(try CommandRunner.run(["train", initialised, "--init", path("whole/best.safetensors")]).status, 0)
        let other = try writeConfig("other.json", root: root, output: path("other"), epochs: 1)
        try String(contentsOfFile: other, encoding: .utf8).replacingOccurrences(of: "\"width\": 0.35", with: "\"width\": 0.5")
            .write(toFile: other, atomically: true, encoding: .utf8)
        let refused = try CommandRunner.run(["train", other, "--init", path("whole/best.safetensors")])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains(path("whole/best.safetensors")) && refused.stderr.contains("same architecture and width"), refused.stderr)

        let eval = try CommandRunner.run(["eval", config, "--png", path("confusion.png")])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("macro F1") && eval.stdout.contains("confusion"), eval.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("confusion.png"))).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
    }

    /// Starts `genre train`, reads its stderr until `marker` appears, then applies `stop`.
    private func trainUntil(_ marker: String, config: String, stop: (Process) -> Void) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = CommandRunner.genre
        process.arguments = ["train", config]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        var stderr = ""
        while !stderr.contains(marker) {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            stderr += String(decoding: chunk, as: UTF8.self)
        }
        stop(process)
        stderr += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }
}
