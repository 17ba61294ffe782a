import Basics
import ArgumentParser
import Engine
import Glibc
import GenreKit

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the test split of a config's data set.",
        discussion: """
            Prints file-level accuracy, per-class precision, recall and F1, macro F1 and the confusion matrix; \
            the expected calibration error (15 equal-width bins of top-1 confidence) and negative log-likelihood \
            before and after the checkpoint's temperature; with --min-confidence, the coverage and accuracy when \
            answers below it are withheld. Writes the confusion matrix and a reliability diagram as PNGs.
            """
    )

    @Argument(help: "The training config (its data, split and output folder).")
    var config: String
    @Option(help: "Checkpoint to evaluate (default: best.safetensors in the config's output folder).")
    var checkpoint: String?
    @Option(help: "Where to write the confusion-matrix image (default: confusion.png beside the checkpoint).")
    var png: String?
    @Option(help: "Where to write the reliability diagram (default: reliability.png beside the checkpoint).")
    var reliabilityPNG: String?
    @Option(name: .customLong("min-confidence"), help: "Also report coverage and accuracy when files whose best probability is below this get no label.")
    var minConfidence: Double?

    func validate() throws {
        if let minConfidence, !(0...1).contains(minConfidence) { throw ValidationError("--min-confidence must be between 0 and 1") }
    }

    func run() throws {
        MemoryReuse.keepFreedMemory()
        try reportingErrors {
            let config = try Config.load(path: config)
            let path = checkpoint ?? config.run.best
            let (network, info) = try Checkpoint.load(path: path)
            let status = TrainingStatus()
            let threads = config.training.workerThreads
            Parallel.threadCount = threads
            var evaluated = config
            (evaluated.features, evaluated.windowing) = (info.features, info.windowing)
            let data = try TrainingData.prepare(evaluated, threads: threads, log: status.log) { status.counter("features", $0, $1) }
            guard data.labels == info.labels else {
                throw fail("\(path): trained on labels \(info.labels), the data set has \(data.labels)")
            }
            guard !data.testItems.isEmpty else { throw fail("\(self.config): the test split has no files (data.split.test)") }
            // Predictions as `genre predict` makes them: with the checkpoint's temperature.
            let logits = Evaluation.windowLogits(network, data.test, mean: info.mean, std: info.std)
            let calibration = Calibration.Report(logits, temperature: info.temperature)
            let broken = calibration.after.filter { !$0.allSatisfy(\.isFinite) }.count
            guard broken == 0 else { throw fail("\(path): the network's output is not finite on \(broken) of \(calibration.after.count) files") }
            let predicted = calibration.after.map { p in p.indices.max { p[$0] < p[$1] } ?? 0 }
            let metrics = Metrics(classes: info.labels.count, truth: data.test.labels, predicted: predicted)
            let folder = RunFolder(Path.parent(path))
            let image = png ?? folder.confusion
            try metrics.writeConfusionImage(to: image)
            let diagram = reliabilityPNG ?? folder.reliability
            try ReliabilityDiagram.write(calibration, to: diagram)
            var lines = ["\(path) on the test split (\(data.testItems.count) files):", metrics.report(labels: data.labels), ""]
            if info.calibration == nil { lines.append("(no calibration in this checkpoint: temperature 1)") }
            lines.append(calibration.text)
            if let minConfidence {
                let s = Calibration.selective(calibration.after, labels: data.test.labels, minimumConfidence: minConfidence)
                lines.append(String(cFormat: "at --min-confidence %.2f: coverage %.1f %% (%d of %d files answered), accuracy %.2f %% of those answered",
                                    minConfidence, s.coverage * 100, s.answered, data.test.labels.count, s.accuracy * 100))
            }
            lines += ["", "confusion image: \(image)", "reliability diagram: \(diagram)"]
            StandardOutput.print(lines.joined(separator: "\n"))
        }
    }
}
