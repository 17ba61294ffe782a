import Basics
import Engine
import Glibc

/// Answers to class imbalance: loss weights (`training.class_weights`), a sampler that draws
/// rare classes as often as common ones (`training.sampler`), and a warning about classes with
/// too few files.
public enum ClassBalance {
    /// scikit-learn's "balanced" weights, n_samples / (n_classes · n_c), from the class of each
    /// sample (a class without samples gets weight 0).
    public static func balancedWeights(labels: [Int], classes: Int) -> [Float] {
        let counts = self.counts(labels, classes: classes)
        return counts.map { $0 == 0 ? 0 : Float(Double(labels.count) / (Double(classes) * Double($0))) }
    }

    static func counts(_ labels: [Int], classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// `count` window indices drawn with replacement, each window with probability inverse to
    /// the number of windows of its class (every class as likely as any other; inside a class
    /// every window equally likely). Deterministic for a seed.
    public static func balancedSample(labels: [Int], classes: Int, count: Int, seed: UInt64) -> [Int] {
        var byClass = [[Int]](repeating: [], count: classes)
        for (index, label) in labels.enumerated() { byClass[label].append(index) }
        let present = byClass.filter { !$0.isEmpty }
        guard !present.isEmpty else { return [] }
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let members = present[Int(random.next() % UInt64(present.count))]
            return members[Int(random.next() % UInt64(members.count))]
        }
    }

    /// One line per label with fewer than a fifth of the median number of files per label.
    public static func warnings(filesPerLabel counts: [Int], labels: [String], split: String = "training") -> [String] {
        guard !counts.isEmpty else { return [] }
        let sorted = counts.sorted()
        let median = sorted.count % 2 == 1 ? Double(sorted[sorted.count / 2]) : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return counts.indices.filter { Double(counts[$0]) < median / 5 }.map {
            "warning: label '\(labels[$0])' has \(counts[$0]) \(split) file\(counts[$0] == 1 ? "" : "s"), under a fifth of the median "
                + "(\(String(cFormat: "%g", median))); consider \"class_weights\": \"balanced\" or \"sampler\": \"balanced\""
        }
    }
}
