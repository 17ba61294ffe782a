import ArgumentParser
import Dispatch
import Engine
import Foundation
import GenreKit
import Synchronization

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network from a config file.",
        discussion: """
            Writes best.safetensors (by validation accuracy), last.safetensors, last.state.safetensors and \
            metrics.jsonl into the config's output folder, then prints the test-split report. Ctrl-C stops \
            after writing a consistent last checkpoint; --resume continues exactly where it stopped. \
            Example: genre train configs/v2.json
            """
    )

    @Argument(help: "A training config (JSON); see README, \"Configuration\".")
    var config: String
    @Flag(help: "Continue the run in the output folder from last.safetensors and last.state.safetensors.")
    var resume = false
    @Option(name: .customLong("init"), help: "Start from the weights of this checkpoint (same architecture and labels).")
    var initial: String?
    @Flag(help: "Start over even if the output folder already holds a run.")
    var force = false

    func run() throws {
        try reportingErrors {
            if resume, initial != nil { throw fail("--init starts a new run and --resume continues one: give one of them") }
            let config = try Config.load(path: config)
            let status = TrainingStatus()
            let threads = config.training.workerThreads
            Parallel.threadCount = threads
            // One 'genre train' per run folder: a second one is refused before it reads or writes anything.
            var lock = try config.run.lockIfPresent()
            if !resume, !force, config.run.holdsRun {
                throw fail("\(config.output) already holds a run: --resume continues it, --force starts over")
            }
            // A run killed before its first epoch ended saved nothing: --resume starts it again.
            let startOver = resume && !config.run.holdsRun && lock != nil && config.run.holdsNothingSaved
            if resume, !config.run.holdsRun, !startOver {
                throw fail("\(config.output): nothing to resume (no last.state.safetensors)")
            }
            let started = Date()
            let data = try TrainingData.prepare(config, threads: threads, log: status.log) { done, total in
                status.counter("features", done, total)
            }
            status.log("data: \(data.labels.count) labels, \(data.trainItems.count)/\(data.validationItems.count)/\(data.testItems.count) files "
                + "(train/val/test), \(data.train.windows.count) training windows, \(data.skipped.count) skipped; "
                + "features ready in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

            lock = try lock ?? config.run.lock()
            let trainer = Trainer(config: config, data: data)
            if startOver { status.log("nothing saved in \(config.output) yet: starting from the beginning") }
            if resume, !startOver {
                try trainer.resume()
                status.log("resuming \(config.output) at epoch \(trainer.epoch + 1), batch \(trainer.batch + 1)")
            } else {
                try config.run.clear()
                if let initial { try trainer.initialise(from: initial) }
            }
            status.log("training \(config.model.arch.rawValue) α=\(config.model.width) for \(config.training.epochs) epochs of "
                + "\(trainer.batchesPerEpoch) batches on \(threads) threads → \(config.output)")

            let interrupted = Interruption()
            let finished = try trainer.run(shouldStop: { interrupted.requested }, progress: status.batch, epochEnd: status.epoch)
            withExtendedLifetime(lock) {}
            guard finished else {
                status.log("stopped: \(config.run.last) holds epoch \(trainer.epoch + 1) batch \(trainer.batch); continue with --resume")
                throw ExitCode(130)
            }
            status.log("done in \(String(format: "%.0f", Date().timeIntervalSince(started))) s; best validation accuracy "
                + "\(String(format: "%.2f", trainer.bestAccuracy * 100)) % at epoch \(trainer.bestEpoch)")
            print(try TestReport(checkpoint: config.run.best, data: data).text)
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
            FileHandle.standardError.write(Data("\ngenre: stopping after this batch (Ctrl-C again to quit now)\n".utf8))
        }
        source.resume()
    }

    var requested: Bool { flag.load(ordering: .relaxed) }
}
