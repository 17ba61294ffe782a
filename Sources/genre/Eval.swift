import ArgumentParser
import Engine
import Foundation
import GenreKit

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the test split of a config's data set.",
        discussion: "Prints file-level accuracy, per-class precision, recall and F1, macro F1 and the confusion matrix; writes the matrix as a PNG."
    )

    @Argument(help: "The training config (its data, split and output folder).")
    var config: String
    @Option(help: "Checkpoint to evaluate (default: best.safetensors in the config's output folder).")
    var checkpoint: String?
    @Option(help: "Where to write the confusion-matrix image (default: confusion.png beside the checkpoint).")
    var png: String?

    func run() throws {
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
            let metrics = try Evaluation.checkedMetrics(network, data.test, mean: info.mean, std: info.std, checkpoint: path)
            let image = png ?? RunFolder(URL(fileURLWithPath: path).deletingLastPathComponent().path).confusion
            try metrics.writeConfusionImage(to: image)
            print("\(path) on the test split (\(data.testItems.count) files):\n" + metrics.report(labels: data.labels) + "\n\nconfusion image: \(image)")
        }
    }
}
