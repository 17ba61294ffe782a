import Basics
import Files
import FoundationEssentials
import Glibc

/// `curves.png` beside `metrics.jsonl`: training loss, validation accuracy and macro F1, and the
/// learning rate per epoch, redrawn from the metrics file after every epoch.
public enum TrainingCurves {
    /// One epoch's values as `metrics.jsonl` holds them.
    public struct Point: Sendable, Equatable {
        public let epoch: Int
        public let trainLoss: Double
        public let validationAccuracy: Double
        public let validationMacroF1: Double
        public let learningRate: Double

        public init(epoch: Int, trainLoss: Double, validationAccuracy: Double, validationMacroF1: Double, learningRate: Double) {
            (self.epoch, self.trainLoss, self.validationAccuracy) = (epoch, trainLoss, validationAccuracy)
            (self.validationMacroF1, self.learningRate) = (validationMacroF1, learningRate)
        }
    }

    /// The epochs of a `metrics.jsonl` text (lines that do not parse are skipped).
    public static func points(metrics text: String) -> [Point] {
        text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSON(parsing: line.utf8))?.object, let epoch = object["epoch"]?.integer else { return nil }
            func number(_ key: String) -> Double { object[key]?.number ?? .nan }
            return Point(epoch: epoch, trainLoss: number("train_loss"), validationAccuracy: number("val_accuracy"),
                         validationMacroF1: number("val_macro_f1"), learningRate: number("lr"))
        }
    }

    /// Three stacked panels over the epochs.
    public static func image(_ points: [Point]) -> Canvas {
        let (width, panel) = (640, 200)
        var canvas = Canvas(width: width, height: 3 * panel + 16)
        func series(_ name: String, _ colour: Canvas.Colour, _ value: (Point) -> Double) -> LinePanel.Series {
            LinePanel.Series(name: name, colour: colour, points: points.map { (Double($0.epoch), value($0)) })
        }
        LinePanel(title: "TRAINING LOSS", series: [series("loss", .blue, \.trainLoss)])
            .draw(into: &canvas, x: 0, y: 0, width: width, height: panel)
        LinePanel(title: "VALIDATION (FILES)", series: [series("accuracy", .green, \.validationAccuracy),
                                                       series("macro F1", .orange, \.validationMacroF1)], yRange: 0...1)
            .draw(into: &canvas, x: 0, y: panel, width: width, height: panel)
        LinePanel(title: "LEARNING RATE", series: [series("lr", .red, \.learningRate)])
            .draw(into: &canvas, x: 0, y: 2 * panel, width: width, height: panel)
        canvas.text("EPOCH", x: width / 2 - 15, y: 3 * panel + 4, .black)
        return canvas
    }

    /// Redraws `curves` from the `metrics` file (nothing when it has no epoch yet).
    public static func redraw(metrics: String, to curves: String) throws {
        guard let text = try? FileSystemBytes.string(FileBytes.read(path: metrics)) else { return }
        let points = points(metrics: text)
        guard !points.isEmpty else { return }
        try image(points).write(to: curves)
    }
}
