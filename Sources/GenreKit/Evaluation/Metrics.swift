import Basics
import Features
import Glibc

/// Classification scores from predicted and true labels: accuracy, per-class precision, recall
/// and F1, macro F1, and the confusion matrix (rows: true label, columns: predicted).
public struct Metrics: Sendable, Equatable {
    public let classes: Int
    public let confusion: [[Int]]

    public init(classes: Int, truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count, "one prediction per item")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        self.classes = classes
        self.confusion = confusion
    }

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classes).reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Of the items predicted as `c`, the share that are `c` (0 when none are predicted).
    public func precision(_ c: Int) -> Double {
        let predicted = (0..<classes).reduce(0) { $0 + confusion[$1][c] }
        return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
    }

    /// Of the items that are `c`, the share predicted as `c`.
    public func recall(_ c: Int) -> Double {
        let actual = confusion[c].reduce(0, +)
        return actual == 0 ? 0 : Double(confusion[c][c]) / Double(actual)
    }

    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    public var macroF1: Double { classes == 0 ? 0 : (0..<classes).reduce(0) { $0 + f1($1) } / Double(classes) }

    /// The report `genre eval` prints: per-class scores and the confusion matrix.
    public func report(labels: [String]) -> String {
        let nameWidth = max(8, labels.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func right(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var lines = ["accuracy \(String(cFormat: "%.2f", accuracy * 100)) % (\(correct)/\(total)), macro F1 \(String(cFormat: "%.3f", macroF1))", ""]
        lines.append(pad("label", nameWidth) + right("precision", 11) + right("recall", 8) + right("F1", 7) + right("files", 7))
        for c in 0..<classes {
            lines.append(pad(labels[c], nameWidth) + right(String(cFormat: "%.3f", precision(c)), 11) + right(String(cFormat: "%.3f", recall(c)), 8)
                + right(String(cFormat: "%.3f", f1(c)), 7) + right("\(confusion[c].reduce(0, +))", 7))
        }
        lines += ["", "confusion (rows: true, columns: predicted)"]
        let cell = max(4, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
        lines.append(pad("", nameWidth) + (0..<classes).map { right(String(labels[$0].prefix(cell - 1)), cell) }.joined())
        for c in 0..<classes {
            lines.append(pad(labels[c], nameWidth) + confusion[c].map { right("\($0)", cell) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

extension Metrics {
    /// The confusion matrix as a PNG: one square of `cell` pixels per entry, true labels as rows
    /// from the top, colour by the share of the row's files (magma, from the smallest share to the largest).
    public func writeConfusionImage(to path: String, cell: Int = 24) throws {
        let side = classes * cell
        var values = [Float](repeating: 0, count: side * side)
        for t in 0..<classes {
            let files = max(1, confusion[t].reduce(0, +))
            for p in 0..<classes {
                let share = Float(confusion[t][p]) / Float(files)
                // SpectrogramImage draws row 0 at the bottom: true label 0 goes to the last row.
                let row0 = (classes - 1 - t) * cell
                for y in row0..<(row0 + cell) {
                    for x in (p * cell)..<((p + 1) * cell) { values[y * side + x] = share }
                }
            }
        }
        try SpectrogramImage.write(Spectrogram(nMels: side, frames: side, values: values), to: path)
    }
}
