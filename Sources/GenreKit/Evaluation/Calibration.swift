import Basics
import Engine
import Files
import FoundationEssentials
import Glibc
import Models
import SafeTensors

/// Every window's logits of a set of clips, kept so file-level probabilities can be recomputed at
/// any temperature without running the network again.
public struct WindowLogits: Sendable {
    public let classes: Int
    /// [windows][classes].
    public let logits: [[Float]]
    /// The clip of each window.
    public let clips: [Int]
    public let clipCount: Int
    /// True label of each clip.
    public let labels: [Int]

    public init(classes: Int, logits: [[Float]], clips: [Int], clipCount: Int, labels: [Int]) {
        precondition(logits.count == clips.count && labels.count == clipCount, "one clip per window, one label per clip")
        (self.classes, self.logits, self.clips, self.clipCount, self.labels) = (classes, logits, clips, clipCount, labels)
    }

    /// File-level probabilities (docs/contracts.md §2) with temperature scaling: each window's
    /// softmax of logits / T, averaged over the clip's windows. [clips][classes].
    public func clipProbabilities(temperature: Double = 1) -> [[Double]] {
        var sums = [[Double]](repeating: [Double](repeating: 0, count: classes), count: clipCount)
        var counts = [Int](repeating: 0, count: clipCount)
        for (row, clip) in zip(logits, clips) {
            let p = Calibration.softmax(row, temperature: temperature)
            for k in 0..<classes { sums[clip][k] += p[k] }
            counts[clip] += 1
        }
        return zip(sums, counts).map { sum, count in sum.map { $0 / Double(max(count, 1)) } }
    }
}

extension Evaluation {
    /// The logits of every window of `windows` (evaluation mode, normalised with mean and std).
    public static func windowLogits(_ network: Network, _ windows: WindowSet, mean: Float, std: Float, batchSize: Int = 32) -> WindowLogits {
        let classes = network.spec.classes
        var rows: [[Float]] = []
        rows.reserveCapacity(windows.windows.count)
        let size = windows.nMels * windows.width
        var window = [Float](repeating: 0, count: size)
        let packedWeights = PackedWeights()
        for start in stride(from: 0, to: windows.windows.count, by: batchSize) {
            let batch = Array(windows.windows[start..<min(start + batchSize, windows.windows.count)])
            let input = Tensor(uninitialized: [batch.count, windows.nMels, windows.width, 1])
            for (n, item) in batch.enumerated() {
                windows.copy(item, into: &window, mean: mean, std: std)
                window.withUnsafeBufferPointer { input.data.advanced(by: n * size).update(from: $0.baseAddress!, count: size) }
            }
            let logits = network.infer(input, packedWeights: packedWeights)
            for n in batch.indices { rows.append(Array(UnsafeBufferPointer(start: logits.data + n * classes, count: classes))) }
        }
        return WindowLogits(classes: classes, logits: rows, clips: windows.windows.map(\.clip), clipCount: windows.clips.count,
                            labels: windows.labels)
    }
}

/// A checkpoint's temperature and the validation ECE it was fitted to bring down, stored in the
/// checkpoint metadata under `calibration` as a JSON object
/// `{"temperature": T, "ece_before": …, "ece_after": …}`.
public struct CalibrationInfo: Sendable, Equatable {
    public var temperature: Double
    public var eceBefore: Double
    public var eceAfter: Double

    public init(temperature: Double, eceBefore: Double, eceAfter: Double) {
        (self.temperature, self.eceBefore, self.eceAfter) = (temperature, eceBefore, eceAfter)
    }

    public static let metadataKey = "calibration"

    /// Compact JSON with sorted keys.
    public var json: String {
        JSON.object(["temperature": .number(temperature), "ece_before": .number(eceBefore), "ece_after": .number(eceAfter)]).text
    }

    /// Parses the metadata value; nil when it is not a JSON object with a positive temperature.
    public init?(json text: String) {
        guard let object = (try? JSON(parsing: text.utf8))?.object,
              let t = object["temperature"]?.number, t > 0, t.isFinite else { return nil }
        temperature = t
        eceBefore = object["ece_before"]?.number ?? .nan
        eceAfter = object["ece_after"]?.number ?? .nan
    }
}

extension CheckpointInfo {
    /// The fitted temperature scaling, when the checkpoint has one (older checkpoints do not).
    public var calibration: CalibrationInfo? { extra[CalibrationInfo.metadataKey].flatMap(CalibrationInfo.init(json:)) }
    /// The temperature predictions divide logits by: the fitted one, else 1.
    public var temperature: Double { calibration?.temperature ?? 1 }
}

/// Temperature scaling (Guo et al. 2017) for file-level predictions, and the measures that judge
/// it: expected calibration error on top-1 confidence and negative log-likelihood.
public enum Calibration {
    /// Equal-width confidence bins of the ECE and the reliability diagram.
    public static let bins = 15

    /// softmax(logits / T) in double precision.
    static func softmax(_ logits: [Float], temperature: Double) -> [Double] {
        let scaled = logits.map { Double($0) / temperature }
        let largest = scaled.max() ?? 0
        let e = scaled.map { exp($0 - largest) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    /// Mean −log p[true label] (probabilities clamped at 1e-12).
    public static func negativeLogLikelihood(_ probabilities: [[Double]], labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        return zip(probabilities, labels).reduce(0.0) { $0 - log(max($1.0[$1.1], 1e-12)) } / Double(labels.count)
    }

    /// One bin of a reliability diagram: how many items have their top-1 confidence in
    /// (lower, upper], their mean confidence and their accuracy.
    public struct Bin: Sendable, Equatable {
        public let lower: Double
        public let upper: Double
        public let count: Int
        public let confidence: Double
        public let accuracy: Double
    }

    /// Items binned by top-1 confidence into `bins` equal-width bins over [0, 1] (the first bin
    /// also holds confidence 0).
    public static func reliability(_ probabilities: [[Double]], labels: [Int], bins: Int = bins) -> [Bin] {
        var counts = [Int](repeating: 0, count: bins), confidence = [Double](repeating: 0, count: bins)
        var correct = [Int](repeating: 0, count: bins)
        for (p, label) in zip(probabilities, labels) {
            let top = p.indices.max { p[$0] < p[$1] } ?? 0
            let c = p[top]
            let bin = min(bins - 1, max(0, Int((c * Double(bins)).rounded(.up)) - 1))
            counts[bin] += 1
            confidence[bin] += c
            if top == label { correct[bin] += 1 }
        }
        return (0..<bins).map { (b: Int) -> Bin in
            let n = Double(counts[b])
            return Bin(lower: Double(b) / Double(bins), upper: Double(b + 1) / Double(bins), count: counts[b],
                       confidence: counts[b] == 0 ? 0 : confidence[b] / n, accuracy: counts[b] == 0 ? 0 : Double(correct[b]) / n)
        }
    }

    /// Expected calibration error: Σ_b |B_b| / N · |accuracy(B_b) − confidence(B_b)| over
    /// equal-width bins of top-1 confidence.
    public static func expectedCalibrationError(_ probabilities: [[Double]], labels: [Int], bins: Int = bins) -> Double {
        guard !labels.isEmpty else { return 0 }
        return reliability(probabilities, labels: labels, bins: bins).reduce(0.0) {
            $0 + Double($1.count) * abs($1.accuracy - $1.confidence)
        } / Double(labels.count)
    }

    /// Where `fitTemperature` searches.
    public static let temperatureRange: ClosedRange<Double> = 0.05...20

    /// The temperature minimising the NLL of the file-level probabilities: golden-section search
    /// on log T over `temperatureRange` (the NLL is unimodal in T in practice).
    public static func fitTemperature(_ logits: WindowLogits, range: ClosedRange<Double> = temperatureRange, tolerance: Double = 1e-4) -> Double {
        func loss(_ logT: Double) -> Double {
            negativeLogLikelihood(logits.clipProbabilities(temperature: exp(logT)), labels: logits.labels)
        }
        let ratio = (5.0.squareRoot() - 1) / 2
        var (a, b) = (log(range.lowerBound), log(range.upperBound))
        var c = b - ratio * (b - a), d = a + ratio * (b - a)
        var (fc, fd) = (loss(c), loss(d))
        while b - a > tolerance {
            if fc <= fd {
                (b, d, fd) = (d, c, fc)
                c = b - ratio * (b - a)
                fc = loss(c)
            } else {
                (a, c, fc) = (c, d, fd)
                d = a + ratio * (b - a)
                fd = loss(d)
            }
        }
        return exp((a + b) / 2)
    }

    /// What a fitted temperature at an end of `temperatureRange` says about the files it was fitted
    /// on (`split` names them), as a line for the training log; nil inside the range. At the top
    /// the network's answers were worth no more than a uniform guess, so its confidences stay
    /// near 1/classes; at the bottom it ranked every file right, so the fit could only sharpen it.
    public static func boundNote(temperature: Double, split: String) -> String? {
        let (lower, upper) = (temperatureRange.lowerBound, temperatureRange.upperBound)
        // The search ends within its tolerance (1e-4 in log T) of an end it was pushed against.
        if log(upper / temperature) < 1e-3 {
            return String(cFormat: "calibration: the temperature reached the top of its range (%g): on the ", upper) + split
                + " files the network did no better than a uniform guess, so its confidences stay near uniform (more data or epochs?)"
        }
        if log(temperature / lower) < 1e-3 {
            return String(cFormat: "calibration: the temperature reached the bottom of its range (%g): the network ranked every ", lower)
                + split + " file right, so the fit could only sharpen it; "
                + (split == "validation" ? "files in data.split.calibration, which take no part in training or choosing the checkpoint, fit it honestly"
                                         : "more calibration files would show where it errs")
        }
        return nil
    }

    /// Measures of one set of file-level predictions before and after scaling by `temperature`.
    public struct Report: Sendable {
        public let temperature: Double
        public let eceBefore: Double
        public let eceAfter: Double
        public let nllBefore: Double
        public let nllAfter: Double
        public let binsBefore: [Bin]
        public let binsAfter: [Bin]
        /// File-level probabilities at T = 1 and at `temperature`.
        public let before: [[Double]]
        public let after: [[Double]]
        public let labels: [Int]

        public init(_ logits: WindowLogits, temperature: Double) {
            self.temperature = temperature
            before = logits.clipProbabilities(temperature: 1)
            after = temperature == 1 ? before : logits.clipProbabilities(temperature: temperature)
            labels = logits.labels
            eceBefore = expectedCalibrationError(before, labels: labels)
            eceAfter = expectedCalibrationError(after, labels: labels)
            nllBefore = negativeLogLikelihood(before, labels: labels)
            nllAfter = negativeLogLikelihood(after, labels: labels)
            binsBefore = reliability(before, labels: labels)
            binsAfter = reliability(after, labels: labels)
        }

        public var text: String {
            String(cFormat: "calibration (T = %.3f, %d equal-width bins): ECE %.4f before, %.4f after; NLL %.4f before, %.4f after",
                   temperature, Calibration.bins, eceBefore, eceAfter, nllBefore, nllAfter)
        }
    }

    /// Fits the temperature on `files` (the calibration split, else the validation split) with
    /// the checkpoint's network and stores it in the checkpoint's metadata (the file is rewritten
    /// atomically; weights unchanged). Returns nil, leaving the file alone, when `files` is empty.
    @discardableResult
    public static func calibrate(checkpoint path: String, files: WindowSet, batchSize: Int = 32) throws -> CalibrationInfo? {
        guard !files.windows.isEmpty else { return nil }
        var file = try SafeTensorsFile(contentsOf: path)
        let info = try Checkpoint.info(file, path: path)
        let network = Network(info.spec)
        try Checkpoint.load(file, into: network, path: path)
        let logits = Evaluation.windowLogits(network, files, mean: info.mean, std: info.std, batchSize: batchSize)
        let report = Report(logits, temperature: fitTemperature(logits))
        let calibration = CalibrationInfo(temperature: report.temperature, eceBefore: report.eceBefore, eceAfter: report.eceAfter)
        file.metadata[CalibrationInfo.metadataKey] = calibration.json
        try file.write(to: path)
        return calibration
    }

    /// Coverage and accuracy when answers below `minimumConfidence` are withheld ("unknown"):
    /// coverage is the share of files answered, accuracy is over the answered files (0 when none).
    public static func selective(_ probabilities: [[Double]], labels: [Int], minimumConfidence: Double) -> (coverage: Double, accuracy: Double, answered: Int) {
        var answered = 0, correct = 0
        for (p, label) in zip(probabilities, labels) {
            let top = p.indices.max { p[$0] < p[$1] } ?? 0
            guard p[top] >= minimumConfidence else { continue }
            answered += 1
            if top == label { correct += 1 }
        }
        return (labels.isEmpty ? 0 : Double(answered) / Double(labels.count), answered == 0 ? 0 : Double(correct) / Double(answered), answered)
    }
}
