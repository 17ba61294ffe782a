import Foundation
import SafeTensors
import TestSupport
import XCTest

/// `mpirun -np 2 genre train` as a cluster user runs it (as root in CI, hence --allow-run-as-root;
/// --oversubscribe lets two ranks share a small machine): the ranks end with the same weights a
/// single process computes on the whole batch, bit for bit the same on both ranks; a rank killed
/// mid-run ends the job at once with a non-zero status, and --resume continues from rank 0's
/// checkpoint with any number of processes.
final class MPITrainCLITests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        guard Self.mpirun != nil else { throw XCTSkip("mpirun is not installed (make deps installs Open MPI)") }
        folder = makeTemporaryFolder("genre-mpi-cli")
    }

    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private var launcher: [String] { [Self.mpirun!, "--allow-run-as-root", "--oversubscribe", "-np", "2"] }
    /// A fresh feature cache per test, so the ranks fill it together.
    private var environment: [String: String] { ["XDG_CACHE_HOME": path("cache")] }

    private func synthesize() throws -> String {
        let root = path("demo")
        let result = try CommandRunner.run(["synth", root, "--clips-per-genre", "4", "--seconds", "3", "--genres", "rock,classical,house"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return root
    }

    private func writeConfig(_ name: String, root: String, model: String, training: String) throws -> String {
        let text = """
            {"data": {"root": "\(root)", "split": {"train": 0.5, "validation": 0.25, "test": 0.25}},
             "features": {"n_fft": 512, "hop_length": 256, "n_mels": 32, "segment_seconds": 1.0, "segment_hop_seconds": 0.5},
             "model": \(model), "training": \(training), "output": "\(path(name))"}
            """
        try text.write(toFile: path(name + ".json"), atomically: true, encoding: .utf8)
        return path(name + ".json")
    }

    private func floats(_ file: String) throws -> [String: [Float]] {
        let tensors = try SafeTensorsFile(contentsOf: file).tensors
        return tensors.filter { $0.value.dtype == .f32 }.mapValues { $0.floats() }
    }

    /// Two steps of a global batch of 28 windows (14 per rank), dropout 0, no augmentation,
    /// synchronised batch norm, against a single process (2 threads, as the two ranks split the
    /// batch): the same loss each epoch within 1e-4 of it, the classifier within 1e-4·(1 + |w|),
    /// every weight within 1e-2·(1 + |w|).
    ///
    /// Only the classifier is held to 1e-4: its gradient is set by the whole forward pass, which
    /// is well conditioned; the convolutions' gradients of this freshly initialised α = 0.25
    /// network are not (nudging the input by one part in a million moved some of them by 35 %),
    /// so summing a batch in two halves moves them by up to 0.2 % after two steps, with the
    /// data as much as with the code. The arithmetic of synchronised batch norm is checked
    /// exactly, on a well-conditioned network, by SynchronisedBatchNormTests.
    func testTwoRanksTrainAsOneProcessOnTheWholeBatch() throws {
        let root = try synthesize()
        let model = #"{"arch": "mobilenet_v1", "width": 0.25, "dropout": 0}"#
        func training(threads: Int) -> String {
            #"{"epochs": 2, "batch_size": 28, "threads": \#(threads), "optimizer": {"name": "sgd", "lr": 0.001}}"#
        }
        let one = try writeConfig("one", root: root, model: model, training: training(threads: 2))
        let alone = try CommandRunner.run(["train", one], environment: environment)
        XCTAssertEqual(alone.status, 0, alone.stderr)

        let two = try writeConfig("two", root: root, model: model, training: training(threads: 1))
        let started = Date()
        let job = try CommandRunner.run(["train", two, "--replica-weights", path("replicas")], wrapper: launcher, environment: environment)
        XCTAssertEqual(job.status, 0, job.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertTrue(job.stderr.contains("in 2 processes") && job.stderr.contains("batch norm synchronised"), job.stderr)
        XCTAssertEqual(job.stderr.components(separatedBy: "epoch 1:").count - 1, 1, "rank 0 alone reports: \(job.stderr)")
        XCTAssertEqual(job.stdout.components(separatedBy: "test split, ").count - 1, 1, "one test report: \(job.stdout)")

        // Every rank holds the same weights, and rank 0's checkpoint is the normal one.
        let rank0 = try Data(contentsOf: URL(fileURLWithPath: path("replicas/rank-0.safetensors")))
        let rank1 = try Data(contentsOf: URL(fileURLWithPath: path("replicas/rank-1.safetensors")))
        XCTAssertEqual(rank0, rank1, "the two ranks' weights differ")
        XCTAssertEqual(rank0, try Data(contentsOf: URL(fileURLWithPath: path("two/last.safetensors"))))
        XCTAssertEqual(try String(contentsOfFile: path("two/metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 2)

        func losses(_ run: String) throws -> [Double] {
            try String(contentsOfFile: path(run + "/metrics.jsonl"), encoding: .utf8).split(separator: "\n").map { line in
                let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return try XCTUnwrap(record?["train_loss"] as? Double, String(line))
            }
        }
        let (lossesAlone, lossesJob) = (try losses("one"), try losses("two"))
        XCTAssertEqual(lossesAlone.count, 2)
        for (alone, job) in zip(lossesAlone, lossesJob) {
            XCTAssertLessThan(abs(alone - job), 1e-4 * alone, "train loss \(job) against \(alone) alone")
        }

        let expected = try floats(path("one/last.safetensors")), actual = try floats(path("two/last.safetensors"))
        XCTAssertEqual(Set(expected.keys), Set(actual.keys))
        XCTAssertTrue(expected.keys.contains { $0.hasSuffix("running_var") })
        var worst = (all: (0.0, ""), classifier: (0.0, ""))
        for (name, values) in expected {
            let other = try XCTUnwrap(actual[name])
            XCTAssertEqual(values.count, other.count, name)
            for (w, v) in zip(values, other) {
                let error = Double(abs(w - v)) / (1 + Double(abs(w)))
                if error > worst.all.0 { worst.all = (error, name) }
                if name.hasPrefix("classifier."), error > worst.classifier.0 { worst.classifier = (error, name) }
            }
        }
        XCTAssertTrue(expected.keys.contains { $0.hasPrefix("classifier.") })
        XCTAssertLessThan(worst.classifier.0, 1e-4, "largest difference in \(worst.classifier.1)")
        XCTAssertLessThan(worst.all.0, 1e-2, "largest difference in \(worst.all.1)")

        // The checkpoint is one `genre eval` reads like any other.
        let eval = try CommandRunner.run(["eval", two, "--checkpoint", path("two/last.safetensors")], environment: environment)
        XCTAssertEqual(eval.status, 0, eval.stderr)
    }

    /// SIGKILL to rank 1 during the second epoch: mpirun ends rank 0 and exits non-zero within
    /// seconds; --resume continues from the last finished epoch, alone and then under mpirun.
    func testKilledRankEndsTheJobAndResumeContinues() throws {
        let root = try synthesize()
        let config = try writeConfig("run", root: root, model: #"{"arch": "mobilenet_v2", "width": 0.35}"#,
                                     training: #"{"epochs": 30, "batch_size": 4, "optimizer": {"name": "sgd", "lr": 0.05}}"#)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher[0])
        process.arguments = Array(launcher.dropFirst()) + [CommandRunner.genre.path, "train", config]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        var stderr = ""
        while !stderr.contains("epoch 1:") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            stderr += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(stderr.contains("epoch 1:"), stderr)
        let victim = try XCTUnwrap(Self.child(of: process.processIdentifier, rank: 1), "rank 1 not found")
        let killed = Date()
        kill(victim, SIGKILL)
        stderr += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0, stderr)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 10, "the job outlived its rank: \(stderr)")

        // Rank 0's checkpoint of a finished epoch, continued by one process, then by two.
        let lines = { (try? String(contentsOfFile: self.path("run/metrics.jsonl"), encoding: .utf8))?.split(separator: "\n").count ?? 0 }
        XCTAssertGreaterThanOrEqual(lines(), 1)
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: #""epochs": 30"#, with: #""epochs": \#(lines() + 1)"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let alone = try CommandRunner.run(["train", config, "--resume"], environment: environment)
        XCTAssertEqual(alone.status, 0, alone.stderr)
        let done = lines()
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: #""epochs": \#(done)"#, with: #""epochs": \#(done + 1)"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let together = try CommandRunner.run(["train", config, "--resume"], wrapper: launcher, environment: environment)
        XCTAssertEqual(together.status, 0, together.stderr)
        XCTAssertTrue(together.stderr.contains("resuming"), together.stderr)
        XCTAssertEqual(lines(), done + 1)
    }

    /// The process under `parent` (mpirun) whose environment makes it rank `rank`.
    private static func child(of parent: Int32, rank: Int) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent,
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
