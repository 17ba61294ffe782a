import Basics
import ArgumentParser
import Dispatch
import Distributed
import Engine
import Files
import FoundationEssentials
import Glibc
import GenreKit
import Synchronization

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network from a config file.",
        discussion: """
            Writes best.safetensors (by validation accuracy), last.safetensors, last.state.safetensors, \
            metrics.jsonl and curves.png into the config's output folder, fits a temperature on the validation \
            split into best.safetensors, then prints the test-split report. Ctrl-C stops \
            after writing a consistent last checkpoint; --resume continues exactly where it stopped. \
            Example: genre train configs/v2.json. Under mpirun (mpirun -np 4 genre train CONFIG) each \
            process trains its slice of every batch and the gradients are averaged (README, "Training with MPI").
            """
    )

    @Argument(help: "A training config (JSON); see README, \"Configuration\".")
    var config: String
    @Flag(help: "Continue the run in the output folder from last.safetensors and last.state.safetensors.")
    var resume = false
    @Option(name: .customLong("init"), help: "Start from the weights of this checkpoint (same architecture and width; with other labels, every layer but the classifier).")
    var initial: String?
    @Flag(help: "Start over even if the output folder already holds a run.")
    var force = false
    @Option(help: .hidden)  // FOLDER: every rank also writes its final weights to FOLDER/rank-<r>.safetensors (tests)
    var replicaWeights: String?

    func run() throws {
        guard let group = try reportingErrors({ try MPIGroup.join() }) else { return try train(group: nil) }
        do {
            try train(group: group)
        } catch let exit as ExitCode where exit == ExitCode(130) {
            // Every rank stopped at the same batch after rank 0 wrote the checkpoint.
            group.finalize()
            throw exit
        } catch {
            // The message is out (reportingErrors); end the other ranks now rather than let them
            // wait in a collective.
            group.abort((error as? ExitCode)?.rawValue ?? 1)
        }
        group.finalize()
    }

    private func train(group: MPIGroup?) throws {
        try reportingErrors {
            if resume, initial != nil { throw fail("--init starts a new run and --resume continues one: give one of them") }
            let config = try Config.load(path: config)
            // Rank 0 alone reports; a rank's own errors still reach stderr.
            let status = TrainingStatus(silent: group.map { $0.rank != 0 } ?? false)
            // Every core, shared by the ranks on this machine.
            let threads = group.map { config.training.threads > 0 ? config.training.threads : $0.workerThreads } ?? config.training.workerThreads
            if group != nil, config.training.classWeights != .none {
                // Each rank's weighted mean divides by its own slice's weights, not the whole batch's.
                throw fail("\(self.config): training.class_weights is not supported with more than one process yet; use training.sampler \"balanced\"")
            }
            if let group, config.training.batchSize < group.size {
                throw fail("\(self.config): training.batch_size \(config.training.batchSize) is smaller than the \(group.size) processes")
            }
            Parallel.threadCount = threads
            // One 'genre train' per run folder: a second one is refused before it reads or writes
            // anything. Under mpirun rank 0 holds it for the job.
            let leads = group.map { $0.rank == 0 } ?? true
            var lock = leads ? try config.run.lockIfPresent() : nil
            if !resume, !force, config.run.holdsRun {
                throw fail("\(config.output) already holds a run: --resume continues it, --force starts over")
            }
            // A run killed before its first epoch ended saved nothing: --resume starts it again.
            let startOver = resume && !config.run.holdsRun && FileSystem.exists(config.run.path)
                && config.run.holdsNothingSaved
            if resume, !config.run.holdsRun, !startOver {
                throw fail("\(config.output): nothing to resume (no last.state.safetensors)")
            }
            let started = Date()
            let data = try TrainingData.prepare(config, threads: threads, group: group, log: status.log) { done, total in
                status.counter("features", done, total)
            }
            let calibrating = !data.calibrationItems.isEmpty
            let counts = [data.trainItems, data.validationItems] + (calibrating ? [data.calibrationItems] : []) + [data.testItems]
            status.log("data: \(data.labels.count) labels, \(counts.map { String($0.count) }.joined(separator: "/")) files "
                + "(train/val/\(calibrating ? "calibration/" : "")test), \(data.train.windows.count) training windows, \(data.skipped.count) skipped; "
                + "features ready in \(String(cFormat: "%.1f", Date().timeIntervalSince(started))) s")

            if leads { lock = try lock ?? config.run.lock() }
            let trainer = Trainer(config: config, data: data)
            if let group {
                trainer.parallel = DataParallel(group: group, synchronizeBatchNorm: config.training.syncBatchNorm ?? (group.size > 1))
            }
            if startOver { status.log("nothing saved in \(config.output) yet: starting from the beginning") }
            if resume, !startOver {
                try trainer.resume()
                status.log("resuming \(config.output) at epoch \(trainer.epoch + 1), batch \(trainer.batch + 1)")
            } else {
                if group?.rank ?? 0 == 0 { try config.run.clear() }
                if let initial {
                    switch try trainer.initialise(from: initial) {
                    case .everything: status.log("starting from \(initial)")
                    case let .allButClassifier(previous):
                        status.log("starting from \(initial) (labels \(previous.joined(separator: ", "))): every layer but the classifier, "
                            + "new for \(data.labels.joined(separator: ", "))")
                    }
                }
            }
            let processes = group.map { group in
                " in \(group.size) processes (\(MPIGroup.libraryVersion)), batch norm "
                    + (trainer.parallel!.synchronizesBatchNorm ? "synchronised" : "per process")
            } ?? ""
            status.log("training \(config.model.arch.rawValue) α=\(config.model.width) for \(config.training.epochs) epochs of "
                + "\(trainer.batchesPerEpoch) batches on \(threads) threads\(processes) → \(config.output)")

            let interrupted = Interruption()
            let finished = try trainer.run(shouldStop: { interrupted.requested }, progress: status.batch, epochEnd: status.epoch)
            if let replicaWeights {
                try FileSystem.createFolder(replicaWeights)
                try trainer.writeWeights(to: Path.join(replicaWeights, "rank-\(group?.rank ?? 0).safetensors"))
            }
            withExtendedLifetime(lock) {}
            guard finished else {
                status.log("stopped: \(config.run.last) holds epoch \(trainer.epoch + 1) batch \(trainer.batch); continue with --resume")
                throw ExitCode(130)
            }
            status.log("done in \(String(cFormat: "%.0f", Date().timeIntervalSince(started))) s; best validation accuracy "
                + "\(String(cFormat: "%.2f", trainer.bestAccuracy * 100)) % at epoch \(trainer.bestEpoch)")
            if group?.rank ?? 0 == 0 {
                let (split, files) = data.temperatureFiles
                if let calibration = try Calibration.calibrate(checkpoint: config.run.best, files: files, batchSize: config.training.batchSize) {
                    status.log(String(cFormat: "calibration: temperature %.3f fitted on the ", calibration.temperature) + split
                        + String(cFormat: " split; ECE %.4f before, %.4f after", calibration.eceBefore, calibration.eceAfter)
                        + " (stored in \(config.run.best))")
                    if let note = Calibration.boundNote(temperature: calibration.temperature, split: split) { status.log(note) }
                } else {
                    status.log("calibration: no \(split) files, temperature left at 1")
                }
                if data.testItems.isEmpty {
                    status.log("test split: no files to test on (data.split.test), so no test report")
                } else {
                    StandardOutput.print(try TestReport(checkpoint: config.run.best, data: data).text)
                }
            }
        }
    }
}

/// Ctrl-C asks the trainer to stop after the current batch; a second one quits at once.
final class Interruption: @unchecked Sendable {
    private let flag = Atomic<Bool>(false)
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [self] in
            if flag.exchange(true, ordering: .relaxed) { exit(130) }
            StandardError.write("\ngenre: stopping after this batch (Ctrl-C again to quit now)\n")
        }
        source.resume()
    }

    var requested: Bool { flag.load(ordering: .relaxed) }
}
