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
            Writes best.safetensors (by validation accuracy), last.safetensors, last.state.safetensors, \
            metrics.jsonl and curves.png into the config's output folder, fits a temperature on the validation \
            split into best.safetensors, then prints the test-split report. Ctrl-C stops \
            after writing a consistent last checkpoint; --resume continues exactly where it stopped. \
            Example: genre train configs/v2.json
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

    func run() throws {
        try reportingErrors {
            if resume, initial != nil { throw fail("--init starts a new run and --resume continues one: give one of them") }
            let config = try Config.load(path: config)
            let status = TrainingStatus()
            let threads = config.training.workerThreads
            Parallel.threadCount = threads
            if !resume, !force, config.run.holdsRun {
                throw fail("\(config.output) already holds a run: --resume continues it, --force starts over")
            }
            if resume, !config.run.holdsRun {
                throw fail("\(config.output): nothing to resume (no last.state.safetensors)")
            }
            let started = Date()
            let data = try TrainingData.prepare(config, threads: threads, log: status.log) { done, total in
                status.counter("features", done, total)
            }
            status.log("data: \(data.labels.count) labels, \(data.trainItems.count)/\(data.validationItems.count)/\(data.testItems.count) files "
                + "(train/val/test), \(data.train.windows.count) training windows, \(data.skipped.count) skipped; "
                + "features ready in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

            let trainer = Trainer(config: config, data: data)
            if resume {
                try trainer.resume()
                status.log("resuming \(config.output) at epoch \(trainer.epoch + 1), batch \(trainer.batch + 1)")
            } else {
                try config.run.clear()
                if let initial {
                    switch try trainer.initialise(from: initial) {
                    case .everything: status.log("starting from \(initial)")
                    case let .allButClassifier(previous):
                        status.log("starting from \(initial) (labels \(previous.joined(separator: ", "))): every layer but the classifier, "
                            + "new for \(data.labels.joined(separator: ", "))")
                    }
                }
            }
            status.log("training \(config.model.arch.rawValue) α=\(config.model.width) for \(config.training.epochs) epochs of "
                + "\(trainer.batchesPerEpoch) batches on \(threads) threads → \(config.output)")

            let interrupted = Interruption()
            let finished = try trainer.run(shouldStop: { interrupted.requested }, progress: status.batch, epochEnd: status.epoch)
            guard finished else {
                status.log("stopped: \(config.run.last) holds epoch \(trainer.epoch + 1) batch \(trainer.batch); continue with --resume")
                throw ExitCode(130)
            }
            status.log("done in \(String(format: "%.0f", Date().timeIntervalSince(started))) s; best validation accuracy "
                + "\(String(format: "%.2f", trainer.bestAccuracy * 100)) % at epoch \(trainer.bestEpoch)")
            if let calibration = try Calibration.calibrate(checkpoint: config.run.best, validation: data.validation,
                                                           batchSize: config.training.batchSize) {
                status.log(String(format: "calibration: temperature %.3f fitted on the validation split; ECE %.4f before, %.4f after",
                                  calibration.temperature, calibration.eceBefore, calibration.eceAfter) + " (stored in \(config.run.best))")
            } else {
                status.log("calibration: no validation files, temperature left at 1")
            }
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
