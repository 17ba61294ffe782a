import Audio
import Engine
import Features
import Files
import Foundation
import Models

/// One window's result: its time range in the file and its softmax probabilities.
public struct WindowPrediction: Sendable {
    public var start: Double
    public var end: Double
    public var probabilities: [Float]
}

/// A file's classification (DESIGN.md §2.2): the mean of its windows' softmax probabilities.
public struct Prediction: Sendable {
    public var path: String
    /// Seconds of audio decoded.
    public var duration: Double
    public var labels: [String]
    public var probabilities: [Float]
    public var windows: [WindowPrediction]

    public init(path: String, duration: Double, labels: [String], probabilities: [Float], windows: [WindowPrediction]) {
        (self.path, self.duration, self.labels, self.probabilities, self.windows) = (path, duration, labels, probabilities, windows)
    }

    /// The `k` most probable labels, most probable first (ties in class order).
    public func top(_ k: Int) -> [(label: String, probability: Float)] {
        Predictor.ranking(probabilities).prefix(max(k, 0)).map { (labels[$0], probabilities[$0]) }
    }

    public var label: String { labels[Predictor.ranking(probabilities)[0]] }
    public var confidence: Float { probabilities.max() ?? 0 }
}

/// Classifies audio files with a trained network: the checkpoint is loaded once, then each file is
/// decoded, turned into log-mel windows exactly as in training, normalised and run in batches.
///
/// Files up to `wholeClipFrames` frames (10 minutes by default) are held as one log-mel, cut and
/// padded exactly as §2.2 says. Longer files are never held whole: a first pass streams them to
/// find the clip-wide maximum that power_to_db clips against, a second pass streams them again and
/// classifies window by window, so the result is the same as the whole-clip one in bounded memory.
/// Shareable across threads: the network is only read.
public final class Predictor: @unchecked Sendable {
    public let network: Network
    public let info: CheckpointInfo
    public let logMel: LogMel
    /// Windows per forward pass.
    public var batchSize = 8
    /// Longest log-mel (frames) kept whole; longer files take the two-pass streaming path.
    public var wholeClipFrames: Int
    /// Frames computed per streaming step.
    public var chunkFrames = 2048

    public init(network: Network, info: CheckpointInfo) {
        self.network = network
        self.info = info
        logMel = LogMel(info.features)
        wholeClipFrames = 600 * info.features.sampleRate / info.features.hopLength
    }

    /// Loads a checkpoint; any problem is one line naming the file.
    public convenience init(checkpoint path: String) throws {
        let (network, info) = try Checkpoint.load(path: path)
        self.init(network: network, info: info)
    }

    public var labels: [String] { info.labels }
    var nMels: Int { info.features.nMels }
    var width: Int { info.windowing.width(info.features) }
    var hop: Int { info.windowing.hop(info.features) }

    /// Class indices by decreasing probability, ties in class order.
    static func ranking(_ p: [Float]) -> [Int] {
        p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
    }

    /// Softmax probabilities, one row per input, of an already-normalised NHWC input
    /// [N, nMels, W, 1] (PyTorch's [N, 1, nMels, W]).
    public func probabilities(normalised input: Tensor) -> [[Float]] {
        let p = softmax(network.infer(input))
        let classes = network.spec.classes
        return (0..<input.shape[0]).map { n in Array(UnsafeBufferPointer(start: p.data + n * classes, count: classes)) }
    }

    /// Classifies a whole-clip log-mel in dB ([nMels, frames]), cut into windows as §2.2 says.
    public func predict(spectrogram: Spectrogram, path: String = "", duration: Double? = nil) -> Prediction {
        let batcher = WindowBatcher(self)
        let padValue = spectrogram.minimum
        let count = info.windowing.count(frames: spectrogram.frames, info.features)
        spectrogram.values.withUnsafeBufferPointer { src in
            for index in 0..<count {
                let start = index * hop
                let available = min(width, spectrogram.frames - start)
                batcher.add(startFrame: start) { m, t in t < available ? src[m * spectrogram.frames + start + t] : padValue }
            }
        }
        let seconds = duration ?? Double((spectrogram.frames - 1) * info.features.hopLength) / Double(info.features.sampleRate)
        return batcher.finish(path: path, duration: seconds)
    }

    /// Decodes and classifies one file of any length.
    public func predict(path: String) throws -> Prediction {
        // Pass 1: the clip-wide peak (and the whole log-mel while it is short enough).
        var kept: [Spectrogram] = []
        var keptFrames = 0
        var keeping = true
        var peakPower: Float = 0
        let samples = try melPowerChunks(path: path) { _, chunk in
            chunk.values.withUnsafeBufferPointer { v in
                for x in v where x > peakPower { peakPower = x }
            }
            guard keeping else { return }
            keptFrames += chunk.frames
            if keptFrames > max(wholeClipFrames, width) {
                keeping = false
                kept = []
            } else {
                kept.append(chunk)
            }
        }
        let duration = Double(samples) / Double(info.features.sampleRate)
        if keeping {
            var whole = Spectrogram.concatenatingFrames(kept, nMels: nMels)
            kept = []
            logMel.powerToDB(&whole.values)
            return predict(spectrogram: whole, path: path, duration: duration)
        }

        // Pass 2: stream again, converting to dB against the peak, windows as they complete.
        let floor = 10 * log10(max(peakPower, 1e-10)) - info.features.topDB
        let batcher = WindowBatcher(self)
        let (n, w) = (nMels, width)
        var buffer: [Float] = []  // dB, frame-major [frames, nMels], from frame `bufferStart`
        var bufferStart = 0
        var nextWindow = 0
        _ = try melPowerChunks(path: path) { first, chunk in
            buffer.reserveCapacity(buffer.count + chunk.frames * n)
            chunk.values.withUnsafeBufferPointer { v in
                for t in 0..<chunk.frames {
                    for m in 0..<n { buffer.append(max(10 * log10(max(v[m * chunk.frames + t], 1e-10)), floor)) }
                }
            }
            let end = first + chunk.frames
            buffer.withUnsafeBufferPointer { b in
                while nextWindow * hop + w <= end {
                    let offset = nextWindow * hop - bufferStart
                    batcher.add(startFrame: nextWindow * hop) { m, t in b[(offset + t) * n + m] }
                    nextWindow += 1
                }
            }
            let drop = min(nextWindow * hop - bufferStart, buffer.count / n)  // frames no later window needs
            if drop > 0 {
                buffer.removeFirst(drop * n)
                bufferStart += drop
            }
        }
        return batcher.finish(path: path, duration: duration)
    }

    /// Streams a file's mel power in consecutive frame ranges — `body(firstFrame, [nMels, frames])`
    /// — equal to the whole-clip STFT's frames: each range is computed from the samples its frames
    /// cover, so only about `chunkFrames` frames of audio are held. Returns the sample count.
    @discardableResult
    public func melPowerChunks(path: String, _ body: (Int, Spectrogram) throws -> Void) throws -> Int {
        let features = info.features
        let audio = try AudioStream(path: path, sampleRate: features.sampleRate)
        let (hop, half, nFFT) = (features.hopLength, features.nFFT / 2, features.nFFT)
        let lead = (half + hop - 1) / hop  // frames whose window reaches before the first sample
        var samples: [Float] = []
        var samplesStart = 0  // index in the file of samples[0]
        var total = 0
        var nextFrame = 0

        func emit(frames count: Int?) throws {
            let first = max(0, nextFrame - lead)
            let end = count.map { (nextFrame + $0 - 1) * hop - half + nFFT } ?? total
            let stream = LogMelStream(logMel, expectedSamples: end - first * hop)
            stream.append(Array(samples[(first * hop - samplesStart)..<(end - samplesStart)]))
            let power = stream.finishPower()
            let skip = nextFrame - first
            let n = count ?? (power.frames - skip)
            try body(nextFrame, power.frames(skip..<(skip + n)))
            nextFrame += n
            let keepFrom = max(0, nextFrame - lead) * hop - samplesStart
            if keepFrom > 0 {
                samples.removeFirst(keepFrom)
                samplesStart += keepFrom
            }
        }

        while let block = try audio.next() {
            samples.append(contentsOf: block)
            total += block.count
            while (nextFrame + chunkFrames - 1) * hop - half + nFFT <= total { try emit(frames: chunkFrames) }
        }
        guard total > 0 else { throw FileError(path: path, problem: "holds no audio samples") }
        try emit(frames: nil)
        return total
    }
}

/// Collects normalised windows into batches, runs them and keeps each window's probabilities.
final class WindowBatcher {
    private let predictor: Predictor
    private let input: Tensor
    private var filled = 0
    private var starts: [Int] = []
    private var results: [[Float]] = []

    init(_ predictor: Predictor) {
        self.predictor = predictor
        input = Tensor(uninitialized: [predictor.batchSize, predictor.nMels, predictor.width, 1])
    }

    /// Adds one window; `value(m, t)` is its dB value at mel band m, frame t.
    func add(startFrame: Int, _ value: (Int, Int) -> Float) {
        let (n, w) = (predictor.nMels, predictor.width)
        let (mean, scale) = (predictor.info.mean, 1 / predictor.info.std)
        let base = input.data + filled * n * w
        for m in 0..<n {
            for t in 0..<w { base[m * w + t] = (value(m, t) - mean) * scale }
        }
        starts.append(startFrame)
        filled += 1
        if filled == predictor.batchSize { run() }
    }

    private func run() {
        guard filled > 0 else { return }
        let batch = filled == predictor.batchSize ? input : {
            let part = Tensor(uninitialized: [filled, predictor.nMels, predictor.width, 1])
            part.data.update(from: input.data, count: part.count)
            return part
        }()
        results += predictor.probabilities(normalised: batch)
        filled = 0
    }

    func finish(path: String, duration: Double) -> Prediction {
        run()
        let classes = predictor.labels.count
        var mean = [Float](repeating: 0, count: classes)
        for row in results { for k in 0..<classes { mean[k] += row[k] } }
        mean = mean.map { $0 / Float(max(results.count, 1)) }
        let secondsPerFrame = Double(predictor.info.features.hopLength) / Double(predictor.info.features.sampleRate)
        let windows = zip(starts, results).map { start, p in
            WindowPrediction(start: Double(start) * secondsPerFrame,
                             end: min(duration, Double(start + predictor.width) * secondsPerFrame), probabilities: p)
        }
        return Prediction(path: path, duration: duration, labels: predictor.labels, probabilities: mean, windows: windows)
    }
}

extension Spectrogram {
    /// Frames `range` of this spectrogram.
    func frames(_ range: Range<Int>) -> Spectrogram {
        if range == 0..<frames { return self }
        var values = [Float](repeating: 0, count: nMels * range.count)
        for m in 0..<nMels {
            for t in 0..<range.count { values[m * range.count + t] = self.values[m * frames + range.lowerBound + t] }
        }
        return Spectrogram(nMels: nMels, frames: range.count, values: values)
    }

    /// Consecutive spectrograms joined along time.
    static func concatenatingFrames(_ parts: [Spectrogram], nMels: Int) -> Spectrogram {
        if parts.count == 1 { return parts[0] }
        let total = parts.reduce(0) { $0 + $1.frames }
        var values = [Float](repeating: 0, count: nMels * total)
        var offset = 0
        for part in parts {
            for m in 0..<nMels {
                for t in 0..<part.frames { values[m * total + offset + t] = part.values[m * part.frames + t] }
            }
            offset += part.frames
        }
        return Spectrogram(nMels: nMels, frames: total, values: values)
    }
}
