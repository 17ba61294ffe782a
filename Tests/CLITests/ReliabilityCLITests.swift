import Audio
import Features
import Foundation
import GenreKit
import Models
import SafeTensors
import TestSupport
import XCTest

/// Hard faults, end to end: damaged checkpoints, a diverging run, a full disk, SIGKILL at random
/// moments, two trainings on one run folder. Each ends in exit status 0, 1 or 2 with one line per
/// problem naming the file — never a trap — and the files on disk stay whole.
final class ReliabilityCLITests: XCTestCase, PredictFixtures {
    var folder: URL!
    var mounts: [String] = []
    let labels = ["rock", "jazz", "ambient"]

    override func setUp() { folder = makeTemporaryFolder("genre-reliability") }
    override func tearDown() {
        for mount in mounts.reversed() { _ = try? run("/bin/umount", [mount]) }
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: 1. Damaged checkpoints

    /// 128 seeded damages — flipped bits and bytes in the header and the data, truncations,
    /// exploding exponents, NaN and infinity patterns — through `genre predict`: never a signal,
    /// exit status 0, 1 (the checkpoint named) or 2 (the file named), one stderr line at most.
    func testRandomlyDamagedCheckpointsNeverTrap() throws {
        // A trained checkpoint (its weights and statistics are what real damage meets).
        let root = try synthesize()
        XCTAssertEqual(try CommandRunner.run(["train", try writeConfig("run.json", root: root, output: path("run"), epochs: 2)]).status, 0)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("run/best.safetensors"))))
        let clip = root + "/rock/rock.00000.wav"
        let headerEnd = 8 + Int(original[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let floats = (original.count - headerEnd) / 4
        var random = SplitMix(state: 20_251_203)
        var statuses: [Int32: Int] = [:]
        for trial in 0..<128 {
            var bytes = original
            switch trial % 8 {
            case 0:  // a few flipped bits in the tensor data
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    bytes[Int.random(in: headerEnd..<bytes.count, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random)
                }
            case 1:  // flipped bits in the length and the JSON header
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<headerEnd, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random)
                }
            case 2:  // random bytes anywhere
                for _ in 0..<Int.random(in: 1...16, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            case 3:  // truncated
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            case 4:  // exponents flipped: finite weights of 1e30 and more, whose products overflow
                for _ in 0..<Int.random(in: 1...400, using: &random) {
                    bytes[headerEnd + 4 * Int.random(in: 0..<floats, using: &random) + 3] ^= 0x40
                }
            case 5:  // a NaN or an infinity
                let value = [Float.nan, .infinity, -.infinity, -Float.signalingNaN].randomElement(using: &random)!
                let at = headerEnd + 4 * Int.random(in: 0..<floats, using: &random)
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange(at..<(at + 4), with: $0) }
            case 6:  // digits of the header changed: offsets, shapes, metadata numbers
                let digits = (8..<headerEnd).filter { (0x30...0x39).contains(bytes[$0]) }
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[digits.randomElement(using: &random)!] = UInt8.random(in: 0x30...0x39, using: &random)
                }
            default:  // a run of 0xFF (NaN patterns) in the data
                let start = Int.random(in: headerEnd..<(bytes.count - 64), using: &random)
                for k in start..<(start + Int.random(in: 4...64, using: &random)) { bytes[k] = 0xFF }
            }
            let checkpoint = path("damaged-\(trial).safetensors")
            try Data(bytes).write(to: URL(fileURLWithPath: checkpoint))
            let result = try CommandRunner.run(["predict", clip, "--checkpoint", checkpoint])
            XCTAssertFalse(result.signalled, "trial \(trial): killed by signal \(result.status): \(result.stderr)")
            XCTAssertTrue([0, 1, 2].contains(result.status), "trial \(trial): status \(result.status): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            switch result.status {
            case 0: XCTAssertTrue(lines.isEmpty, "trial \(trial): \(result.stderr)")
            case 1: XCTAssertTrue(lines.count == 1 && lines[0].hasPrefix("genre: error: \(checkpoint): "), "trial \(trial): \(result.stderr)")
            default: XCTAssertTrue(lines.count == 1 && lines[0].hasPrefix("genre: error: \(clip): "), "trial \(trial): \(result.stderr)")
            }
            statuses[result.status, default: 0] += 1
            try? FileManager.default.removeItem(atPath: checkpoint)
        }
        // The damage reaches every outcome: refused checkpoints, outputs that are not finite, and harmless flips.
        XCTAssertGreaterThan(statuses[1, default: 0], 30, "\(statuses)")
        XCTAssertGreaterThanOrEqual(statuses[2, default: 0], 2, "\(statuses)")
        XCTAssertGreaterThan(statuses[0, default: 0], 3, "\(statuses)")
    }

    /// Each kind of lie a checkpoint can tell is refused with one line naming the file and the
    /// tensor or key; a network whose output overflows is an error for each file in predict,
    /// --out and tag, never a trap.
    func testCheckpointValidationNamesTheTensorOrKey() throws {
        let good = try makeCheckpoint()
        let clip = try makeClip("clip.wav", seconds: 1.5)
        let file = try SafeTensorsFile(contentsOf: good)
        func metadataEdit(_ key: String, _ edit: (inout [String: Any]) -> Void) -> SafeTensorsFile {
            var copy = file
            var object = (try? JSONSerialization.jsonObject(with: Data(copy.metadata[key]!.utf8))) as? [String: Any] ?? [:]
            edit(&object)
            copy.metadata[key] = String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            return copy
        }
        func tensorEdit(_ name: String, index: Int = 0, _ value: Float) -> SafeTensorsFile {
            var copy = file
            var values = copy[name]!.floats()
            values[index] = value
            copy[name] = StoredTensor(floats: values, shape: copy[name]!.shape)
            return copy
        }
        var cases: [(String, [UInt8], String)] = [
            ("nan", tensorEdit("classifier.1.weight", index: 7, .nan).serialized(), "'classifier.1.weight' holds a non-finite value"),
            ("inf", tensorEdit("features.3.conv.1.1.running_mean", .infinity).serialized(), "'features.3.conv.1.1.running_mean'"),
            ("variance", tensorEdit("features.0.1.running_var", index: 2, -0.5).serialized(), "'features.0.1.running_var' holds a negative variance"),
            ("classes", metadataEdit("model") { $0["classes"] = 4 }.serialized(), "'model.classes' is 4 but 'labels' names 3"),
            ("width0", metadataEdit("model") { $0["width"] = 0 }.serialized(), "'model.width'"),
            ("width-huge", metadataEdit("model") { $0["width"] = 1e9 }.serialized(), "'model.width'"),
            ("arch", metadataEdit("model") { $0["arch"] = "resnet50" }.serialized(), "no known arch"),
            ("in-channels", metadataEdit("model") { $0["in_channels"] = 5_000_000 }.serialized(), "'model.in_channels'"),
            ("narrow", metadataEdit("model") { $0["arch"] = "shufflenet_v1"; $0["width"] = 0.1; $0["groups"] = 3 }.serialized(),
             "describes no working network"),
            ("n-fft", metadataEdit("features") { $0["n_fft"] = 1 << 30 }.serialized(), "n_fft"),
            ("segment", metadataEdit("features") { $0["segment_seconds"] = 1e300 }.serialized(), "segment_seconds"),
            ("mean", metadataEdit("features") { $0["mean"] = 1e300 }.serialized(), "'features.mean'"),
        ]
        var huge = file.serialized()
        for k in 0..<8 { huge[k] = 0xFF }
        cases.append(("header-length", huge, "header length"))
        let whole = file.serialized()
        cases.append(("short", Array(whole.prefix(whole.count - 1000)), "lie outside"))
        // The JSON header rewritten: a shape whose byte count overflows Int.
        let headerEnd = 8 + Int(whole[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = String(decoding: whole[8..<headerEnd], as: UTF8.self)
        let first = header.range(of: "\"shape\":[")!
        let lie = Array(header.replacingCharacters(in: first, with: "\"shape\":[999999999999999,999999999999999,").utf8)
        let length = UInt64(lie.count)
        cases.append(("shape", (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + lie + whole[headerEnd...], "too many"))
        for (name, bytes, cause) in cases {
            let target = path("\(name).safetensors")
            try Data(bytes).write(to: URL(fileURLWithPath: target))
            let result = try CommandRunner.run(["predict", clip, "--checkpoint", target])
            XCTAssertFalse(result.signalled, "\(name): \(result.stderr)")
            XCTAssertEqual(result.status, 1, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("genre: error: \(target): ") && result.stderr.contains(cause), "\(name): \(result.stderr)")
        }

        // Finite weights that overflow the network's output: the file gets the error, in every command.
        // (The last batch norm's bias drives every feature to ReLU6's 6; the classifier's weights then overflow.)
        var exploding = file
        let classifier = exploding["classifier.1.weight"]!, last = exploding["features.18.1.bias"]!
        exploding["classifier.1.weight"] = StoredTensor(floats: [Float](repeating: 3e38, count: classifier.elementCount), shape: classifier.shape)
        exploding["features.18.1.bias"] = StoredTensor(floats: [Float](repeating: 1e30, count: last.elementCount), shape: last.shape)
        let bad = path("exploding.safetensors")
        try exploding.write(to: bad)
        let single = try CommandRunner.run(["predict", clip, "--checkpoint", bad])
        XCTAssertEqual(single.status, 2, single.stderr)
        XCTAssertTrue(single.stderr.hasPrefix("genre: error: \(clip): the network's output is not finite"), single.stderr)
        XCTAssertEqual(single.stderr.split(separator: "\n").count, 1, single.stderr)
        let rows = try CommandRunner.run(["predict", clip, "--checkpoint", bad, "--out", path("rows.csv")])
        XCTAssertEqual(rows.status, 2, rows.stderr)
        let csv = try String(contentsOfFile: path("rows.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 2)
        XCTAssertTrue(csv[1].hasPrefix("\(clip),,,") && csv[1].contains("not finite"), String(csv[1]))
        let tag = try CommandRunner.run(["tag", clip, "--checkpoint", bad])
        XCTAssertFalse(tag.signalled, tag.stderr)
        XCTAssertEqual(tag.status, 2, tag.stdout + tag.stderr)
        XCTAssertTrue((tag.stdout + tag.stderr).contains("not finite"), tag.stdout + tag.stderr)
    }

    // MARK: Training helpers

    private func synthesize() throws -> String {
        let root = path("demo")
        let result = try CommandRunner.run(["synth", root, "--clips-per-genre", "4", "--seconds", "3", "--genres", "rock,classical,house"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return root
    }

    @discardableResult
    private func writeConfig(_ name: String, root: String, output: String, epochs: Int = 2, lr: Double = 0.05) throws -> String {
        let text = """
            {"data": {"root": "\(root)", "split": {"train": 0.5, "validation": 0.25, "test": 0.25}},
             "features": {"n_fft": 512, "hop_length": 256, "n_mels": 32, "segment_seconds": 1.0, "segment_hop_seconds": 0.5},
             "model": {"arch": "mobilenet_v2", "width": 0.35},
             "training": {"epochs": \(epochs), "batch_size": 4, "threads": 2, "optimizer": {"name": "sgd", "lr": \(lr)}},
             "output": "\(output)"}
            """
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    private func bytes(_ file: String) -> Data? { try? Data(contentsOf: URL(fileURLWithPath: file)) }

    private let runFiles = ["best.safetensors", "last.safetensors", "last.state.safetensors", "metrics.jsonl"]

    /// The run's files, metrics without their timing fields.
    private func snapshot(_ run: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for name in runFiles {
            guard var data = bytes(run + "/" + name) else { continue }
            if name == "metrics.jsonl" {
                let text = String(decoding: data, as: UTF8.self)
                    .replacingOccurrences(of: #","seconds":[^,]*,"samples_per_s":[^}]*"#, with: "", options: .regularExpression)
                data = Data(text.utf8)
            }
            files[name] = data
        }
        return files
    }

    private func hiddenLeftovers(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(".") || $0.hasSuffix(".pending") }
    }

    /// Starts `genre` with `arguments`, collecting stderr on another thread.
    private func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, StderrCollector) {
        let process = Process()
        process.executableURL = CommandRunner.genre
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, StderrCollector(errors.fileHandleForReading))
    }

    // MARK: 2. Divergence

    /// A learning rate of 1e30 makes the loss NaN: the run stops naming epoch and batch, exit 1,
    /// and the checkpoints of the last good epoch stay byte for byte; a new run writes none.
    func testDivergingRunStopsAndKeepsTheLastGoodCheckpoints() throws {
        let root = try synthesize()
        let good = try writeConfig("good.json", root: root, output: path("run"), epochs: 2)
        XCTAssertEqual(try CommandRunner.run(["train", good]).status, 0)
        let before = snapshot(path("run"))
        XCTAssertEqual(before.count, 4)

        let wild = try writeConfig("wild.json", root: root, output: path("run"), epochs: 4, lr: 1e30)
        let resumed = try CommandRunner.run(["train", wild, "--resume"])
        XCTAssertEqual(resumed.status, 1, resumed.stderr)
        let last = resumed.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("genre: error: \(path("run")): training diverged at epoch 3, batch "), resumed.stderr)
        XCTAssertEqual(resumed.stderr.components(separatedBy: "genre: error:").count - 1, 1, resumed.stderr)
        XCTAssertEqual(snapshot(path("run")), before, "best, last, state and metrics untouched")
        XCTAssertEqual(hiddenLeftovers(path("run")), [])

        let fresh = try writeConfig("fresh.json", root: root, output: path("fresh"), epochs: 2, lr: 1e30)
        let diverged = try CommandRunner.run(["train", fresh])
        XCTAssertEqual(diverged.status, 1, diverged.stderr)
        XCTAssertTrue(diverged.stderr.contains("training diverged at epoch 1, batch "), diverged.stderr)
        XCTAssertEqual(snapshot(path("fresh")), [:], "no checkpoint with non-finite values")
    }

    // MARK: 3. Full disk

    /// A tmpfs of `size` at `name` (root only); nil when it cannot be mounted.
    private func smallDisk(_ name: String, size: String) throws -> String? {
        let mount = path(name)
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        guard getuid() == 0, try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mount]) == 0 else { return nil }
        mounts.append(mount)
        return mount
    }

    /// Fills the file system holding `folder` to the last byte.
    private func fill(_ folder: String) {
        let fd = open(folder + "/filler", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(fd) }
        let block = [UInt8](repeating: 0x5A, count: 65536)
        for size in [65536, 4096, 1] {
            while block.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) == size {}
        }
    }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    private func expectFullDisk(_ result: CommandResult, names file: String, status: Int32 = 1, _ what: String,
                                line: UInt = #line) {
        XCTAssertFalse(result.signalled, line: line)
        XCTAssertEqual(result.status, status, "\(what): \(result.stderr)", line: line)
        let errors = result.stderr.split(separator: "\n").filter { $0.contains("error") }
        XCTAssertEqual(errors.count, 1, "\(what): \(result.stderr)", line: line)
        XCTAssertTrue(errors.first.map { $0.contains(file) && $0.contains("No space left on device") } ?? false,
                      "\(what): \(result.stderr)", line: line)
    }

    /// On a full file system every writer fails with one line naming its file and leaves the
    /// previous file as it was and no temporary behind: .npy, PNG, predict's CSV (appending),
    /// checkpoints and state, a tag rewrite; a full cache folder only disables caching.
    func testFullDiskKeepsThePreviousFiles() throws {
        guard let disk = try smallDisk("disk", size: "24m") else { throw XCTSkip("mounting a tmpfs needs root") }
        let clip = try makeClip("clip.wav", seconds: 1.5), other = try makeClip("other.wav", seconds: 1.5, pitch: 440)
        let checkpoint = try makeCheckpoint()
        let root = try synthesize()
        let config = try writeConfig("run.json", root: root, output: disk + "/run", epochs: 1)

        // Good files first, while there is room.
        XCTAssertEqual(try CommandRunner.run(["features", clip, "-o", disk + "/mel.npy", "--png", disk + "/mel.png"]).status, 0)
        XCTAssertEqual(try CommandRunner.run(["train", config]).status, 0)
        try FileManager.default.copyItem(atPath: clip, toPath: disk + "/song.wav")
        // Rows filling exactly one page, so the next row needs a new one.
        let header = "path,label,confidence,label_1,probability_1,label_2,probability_2,label_3,probability_3,error\n"
        let row = "\(path("gone.wav")),,,,,,,,,"
        let padding = 4096 - header.utf8.count - row.utf8.count - 1
        try (header + row + String(repeating: "x", count: padding) + "\n").write(toFile: disk + "/out.csv", atomically: false, encoding: .utf8)
        let previous = [disk + "/mel.npy", disk + "/mel.png", disk + "/out.csv", disk + "/song.wav"].map { ($0, bytes($0)) }
        let previousRun = snapshot(disk + "/run")
        try Data(count: 256 << 10).write(to: URL(fileURLWithPath: disk + "/reserve"))
        fill(disk)

        expectFullDisk(try CommandRunner.run(["features", other, "-o", disk + "/mel.npy"]), names: disk + "/mel.npy", ".npy")
        expectFullDisk(try CommandRunner.run(["features", other, "-o", path("mel.npy"), "--png", disk + "/mel.png"]),
                       names: disk + "/mel.png", "PNG")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("mel.npy")), "a .npy left without its image")
        expectFullDisk(try CommandRunner.run(["predict", clip, other, "--checkpoint", checkpoint, "--out", disk + "/out.csv", "--skip-done"]),
                       names: disk + "/out.csv", "CSV")
        expectFullDisk(try CommandRunner.run(["predict", clip, "--checkpoint", checkpoint, "--out", disk + "/new.jsonl"]),
                       names: disk + "/new.jsonl", "JSON Lines")
        let tag = try CommandRunner.run(["tag", disk + "/song.wav", "--checkpoint", checkpoint, "--write", "--min-confidence", "0",
                                         "--journal", path("journal.jsonl")])
        expectFullDisk(tag, names: disk + "/song.wav", status: 2, "tag")
        // Training: on a full disk the metrics line fails first and is cut back off.
        let more = try writeConfig("more.json", root: root, output: disk + "/run", epochs: 2)
        expectFullDisk(try CommandRunner.run(["train", more, "--resume"]), names: disk + "/run/metrics.jsonl", "metrics")
        XCTAssertEqual(snapshot(disk + "/run"), previousRun)
        // With room for a metrics line but not a checkpoint, the checkpoint write fails.
        try FileManager.default.removeItem(atPath: disk + "/reserve")
        let training = try CommandRunner.run(["train", more, "--resume"])
        expectFullDisk(training, names: disk + "/run/", "checkpoints")
        XCTAssertTrue(training.stderr.contains(".safetensors"), training.stderr)

        for (file, data) in previous { XCTAssertEqual(bytes(file), data, "\(file) changed") }
        XCTAssertEqual(snapshot(disk + "/run").filter { $0.key != "metrics.jsonl" }, previousRun.filter { $0.key != "metrics.jsonl" })
        XCTAssertEqual(hiddenLeftovers(disk), [])
        XCTAssertEqual(hiddenLeftovers(disk + "/run"), [])

        // After space comes back, the run continues from its last good checkpoint.
        try FileManager.default.removeItem(atPath: disk + "/filler")
        let resumed = try CommandRunner.run(["train", more, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try String(contentsOfFile: disk + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n").count, 2)

        // A full cache folder: training goes on with one warning, nothing cached.
        guard let cache = try smallDisk("cache", size: "64k") else { return XCTFail("second tmpfs") }
        fill(cache)
        let cached = try writeConfig("cached.json", root: root, output: path("cached"), epochs: 1)
        let uncached = try CommandRunner.run(["train", cached], environment: ["XDG_CACHE_HOME": cache])
        XCTAssertEqual(uncached.status, 0, uncached.stderr)
        let warnings = uncached.stderr.split(separator: "\n").filter { $0.contains("warning") }
        XCTAssertEqual(warnings.count, 1, uncached.stderr)
        XCTAssertTrue(warnings.first?.contains(cache) ?? false, uncached.stderr)
        let entries = FileManager.default.enumerator(atPath: cache)?.allObjects as? [String] ?? []
        XCTAssertEqual(entries.filter { $0.hasSuffix(".npy") || ($0 as NSString).lastPathComponent.hasPrefix(".") }, [], "nothing cached, no temporaries")
    }

    // MARK: 4. Kills

    /// SIGKILL at 10 seeded random moments of one training run, each followed by --resume: the
    /// final checkpoints, state and metrics equal those of the run never interrupted.
    func testKilledTenTimesResumesToTheSameBytes() throws {
        let root = try synthesize()
        // Long enough that ten kills, together shorter than the run, all land before it ends.
        let whole = try writeConfig("whole.json", root: root, output: path("whole"), epochs: 40)
        let started = Date()
        XCTAssertEqual(try CommandRunner.run(["train", whole]).status, 0)
        let duration = Date().timeIntervalSince(started)

        let config = try writeConfig("killed.json", root: root, output: path("killed"), epochs: 40)
        var random = SplitMix(state: 4242)
        var killed = 0
        for attempt in 0..<10 {
            let resuming = FileManager.default.fileExists(atPath: path("killed"))
            let (process, stderr) = try start(["train", config] + (resuming ? ["--resume"] : []))
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...max(0.1, duration / 12), using: &random))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let text = stderr.text()
            if process.terminationReason == .uncaughtSignal { killed += 1 } else {
                XCTAssertEqual(process.terminationStatus, 0, "attempt \(attempt): \(text)")
            }
            XCTAssertFalse(text.contains("error"), "attempt \(attempt): \(text)")
        }
        XCTAssertGreaterThanOrEqual(killed, 6, "the kills land while the run is going")
        let finished = try CommandRunner.run(["train", config, "--resume"])
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertEqual(snapshot(path("killed")), snapshot(path("whole")))
        XCTAssertEqual(snapshot(path("whole")).count, 4)
    }

    /// SIGKILL during `predict --out x.csv`, then --skip-done: exactly one complete row per file;
    /// a torn last line is cut off rather than left in the middle.
    func testKilledPredictionResumesWithOneRowPerFile() throws {
        let checkpoint = try makeCheckpoint()
        let files = try (0..<40).map { try makeClip("music/clip-\($0).wav", seconds: 1.2, pitch: 110 + 10 * Double($0)) }
        let out = path("out.csv")
        var random = SplitMix(state: 77)
        for round in 0..<3 {
            let (process, _) = try start(["predict", path("music"), "--checkpoint", checkpoint, "--out", out, "--threads", "1"]
                                         + (round == 0 ? [] : ["--skip-done"]))
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.3, using: &random))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // As if the kill had come in the middle of a row.
            if !FileManager.default.fileExists(atPath: out) { FileManager.default.createFile(atPath: out, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("\(files[39]),roc".utf8))
            try handle.close()
        }
        let finished = try CommandRunner.run(["predict", path("music"), "--checkpoint", checkpoint, "--out", out, "--skip-done"])
        XCTAssertEqual(finished.status, 0, finished.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        let rows = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(rows.first, "path,label,confidence,label_1,probability_1,label_2,probability_2,label_3,probability_3,error")
        let body = rows.dropFirst()
        XCTAssertEqual(body.count, files.count, text)
        XCTAssertEqual(Set(body.map { String($0.split(separator: ",")[0]) }), Set(files))
        for row in body {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 10, String(row))
            XCTAssertTrue(labels.contains(String(fields[1])) && Float(fields[2]) != nil, String(row))
        }
    }

    // MARK: 5. Concurrency

    /// A second `genre train` on a run folder in use is refused with one line; nothing changes;
    /// once the first is killed, a third resumes it.
    func testSecondTrainingOnARunFolderIsRefused() throws {
        let root = try synthesize()
        let config = try writeConfig("run.json", root: root, output: path("run"), epochs: 4)
        let (first, stderr) = try start(["train", config])
        XCTAssertTrue(stderr.wait(for: "epoch 1:", timeout: 120), stderr.text())
        // Held still while the others try (it would otherwise finish its four short epochs first);
        // stopped, it still holds the folder.
        kill(first.processIdentifier, SIGSTOP)
        for arguments in [["train", config], ["train", config, "--resume"], ["train", config, "--force"]] {
            let second = try CommandRunner.run(arguments)
            XCTAssertEqual(second.status, 1, second.stderr)
            XCTAssertEqual(second.stderr.split(separator: "\n").count, 1, second.stderr)
            XCTAssertTrue(second.stderr.hasPrefix("genre: error: \(path("run")): in use by another 'genre train' (process \(first.processIdentifier))"),
                          second.stderr)
        }
        XCTAssertTrue(first.isRunning, "the first run goes on")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let third = try CommandRunner.run(["train", config, "--resume"])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 4)

        // Killed before it saved anything: --resume starts the run again.
        let early = try writeConfig("early.json", root: root, output: path("early"), epochs: 1)
        let (killedEarly, earlyErrors) = try start(["train", early])
        // The line after the run folder is made and locked ("data: … training windows" comes before it).
        XCTAssertTrue(earlyErrors.wait(for: " epochs of ", timeout: 120), earlyErrors.text())
        kill(killedEarly.processIdentifier, SIGKILL)
        killedEarly.waitUntilExit()
        let again = try CommandRunner.run(["train", early, "--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
    }
}

/// The seeded generator of these tests (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A child's stderr, read on another thread as it comes.
final class StderrCollector: @unchecked Sendable {
    private var data = Data()
    private let lock = NSCondition()
    private var closed = false

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                lock.lock()
                if chunk.isEmpty { closed = true } else { data.append(chunk) }
                lock.broadcast()
                lock.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    func text() -> String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }

    /// Waits until `marker` appears (true) or the stream ends or time runs out (false).
    func wait(for marker: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while !String(decoding: data, as: UTF8.self).contains(marker) {
            if closed || !lock.wait(until: deadline) { return String(decoding: data, as: UTF8.self).contains(marker) }
        }
        return true
    }
}
