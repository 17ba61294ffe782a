import Audio
import Engine
import Features
import Files
import Glibc
import Models
import Synchronization

/// One window's result: its time range in the file and its softmax probabilities.
public struct WindowPrediction: Sendable {
    public var start: Double
    public var end: Double
    public var probabilities: [Float]
}

/// A file's classification (docs/contracts.md §2): the mean of its windows' softmax probabilities,
/// silent windows left out.
public struct Prediction: Sendable {
    public var path: String
    /// Seconds of audio decoded.
    public var duration: Double
    public var labels: [String]
    public var probabilities: [Float]
    /// The windows classified, in time order.
    public var windows: [WindowPrediction]
    /// Windows left out as silent.
    public var silentWindows: Int

    public init(path: String, duration: Double, labels: [String], probabilities: [Float], windows: [WindowPrediction], silentWindows: Int = 0) {
        (self.path, self.duration, self.labels, self.probabilities, self.windows) = (path, duration, labels, probabilities, windows)
        self.silentWindows = silentWindows
    }

    /// The `k` most probable labels, most probable first (ties in class order).
    public func top(_ k: Int) -> [(label: String, probability: Float)] {
        Predictor.ranking(probabilities).prefix(max(k, 0)).map { (labels[$0], probabilities[$0]) }
    }

    public var label: String { labels[Predictor.ranking(probabilities)[0]] }
    public var confidence: Float { probabilities.max() ?? 0 }

    /// The label, or "" when its probability is below `minimumConfidence` (the answer is
    /// withheld: "unknown"). The same rule as `genre tag --min-confidence`.
    public func label(minimumConfidence: Float) -> String { confidence >= minimumConfidence ? label : "" }
}

/// Classifies audio files with a trained network: the checkpoint is loaded once, then each file is
/// decoded, turned into log-mel windows exactly as in training, normalised and run in batches.
///
/// Files up to `wholeClipFrames` frames (10 minutes by default) are held as one log-mel, cut and
/// padded exactly as §2 says. Longer files are never held whole: a first pass streams them to
/// find the clip-wide maximum that power_to_db clips against, a second pass streams them again and
/// classifies window by window, so the result is the same as the whole-clip one in bounded memory.
/// Shareable across threads: the network is only read. From `packingFromWindows` windows on, its
/// 1×1 convolutions' weights are packed for the GEMM and kept (`PackedWeights`), so nothing may
/// train the network or load into it while a predictor uses it.
public final class Predictor: @unchecked Sendable {
    /// Built on another thread when loaded from a checkpoint (see `init(checkpoint:)`).
    public var network: Network { pendingNetwork.value }
    private let pendingNetwork: Pending<Network>
    /// Windows run before the 1×1 weights are read packed: packing MobileNetV2's (9 MB of fresh
    /// pages) cost a one-clip `genre predict` more than its 19 windows gained (0.079 → 0.087 s,
    /// 2 cores of an EPYC Zen 3), while a window gains 0.3–0.4 ms from it; folders and long
    /// files pass this after a few clips.
    public static let packingFromWindows = 64
    private let packedWeights = PackedWeights()
    private let windowsRun = Atomic<Int>(0)
    /// 1×1 weights packed so far.
    public var packedWeightCount: Int { packedWeights.count }
    public let info: CheckpointInfo
    public let logMel: LogMel
    /// Windows per forward pass at most, for a folder's files (one per thread): eight rather than
    /// four, 30.8 → 32.1 files/s (the late layers' GEMMs get twice the rows per weight; once a
    /// process's buffers are in use, a bigger pass takes no fresh pages). One file on its own
    /// runs bigger passes, split between the threads (`genre predict`).
    public var batchSize = 8

    /// Windows per pass for a file of `windows` windows: as few passes as `batchSize` allows, of
    /// one size give or take a window. A small pass left at the end is slow for its size: a
    /// 30 s clip's 19 windows as 16 + 3 spent as long on the 3 (split 2 : 1 between the threads)
    /// as on the 16.
    func balancedBatchSize(windows: Int) -> Int {
        let batches = max(1, (windows + batchSize - 1) / batchSize)
        return max(1, (windows + batches - 1) / batches)
    }

    /// Longest log-mel (frames) kept whole; longer files take the two-pass streaming path.
    public var wholeClipFrames: Int
    /// Frames computed per streaming step.
    public var chunkFrames = 2048
    /// Logits are divided by it before the softmax: the checkpoint's fitted temperature
    /// (`calibration` metadata), 1 for checkpoints without one.
    public var temperature: Float

    public convenience init(network: Network, info: CheckpointInfo) {
        self.init(pendingNetwork: Pending(network), info: info)
    }

    private init(pendingNetwork: Pending<Network>, info: CheckpointInfo) {
        self.pendingNetwork = pendingNetwork
        self.info = info
        logMel = LogMel(info.features)
        cutter = WindowCutter(info.features, info.windowing, mean: info.mean, std: info.std)
        wholeClipFrames = 600 * info.features.sampleRate / info.features.hopLength
        temperature = Float(info.temperature)
    }

    /// Loads a checkpoint; any problem is one line naming the file. The file is read and checked
    /// here; building the network and copying its tensors in (≈ 8 ms for MobileNetV2) goes on
    /// on another thread while the caller decodes its first file.
    public convenience init(checkpoint path: String) throws {
        let (file, info) = try Checkpoint.read(path: path)
        let validated = UncheckedSendable(file)
        self.init(pendingNetwork: Pending(computing: { Checkpoint.network(validated.value, info: info) }), info: info)
    }

    public var labels: [String] { info.labels }
    var nMels: Int { info.features.nMels }
    /// §2's windows, normalised with the checkpoint's statistics.
    let cutter: WindowCutter

    /// Class indices by decreasing probability, ties in class order.
    static func ranking(_ p: [Float]) -> [Int] {
        p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
    }

    /// Softmax probabilities, one row per input, of an already-normalised NHWC input
    /// [N, nMels, W, 1] (PyTorch's [N, 1, nMels, W]).
    public func probabilities(normalised input: Tensor) -> [[Float]] {
        let before = windowsRun.add(input.shape[0], ordering: .relaxed).oldValue
        let logits = network.infer(input, packedWeights: before >= Self.packingFromWindows ? packedWeights : nil)
        if temperature != 1 {
            let scale = 1 / temperature
            for i in 0..<logits.count { logits.data[i] *= scale }
        }
        let p = softmax(logits)
        let classes = network.spec.classes
        return (0..<input.shape[0]).map { n in Array(UnsafeBufferPointer(start: p.data + n * classes, count: classes)) }
    }

    /// Classifies a whole-clip log-mel in dB ([nMels, frames]), cut into windows as §2 says.
    /// A network output that is not finite (a damaged checkpoint, NaN samples) is an error naming `path`.
    public func predict(spectrogram: Spectrogram, path: String = "", duration: Double? = nil) throws -> Prediction {
        let windows = cutter.count(frames: spectrogram.frames)
        let batcher = WindowBatcher(self, silenceLevel: cutter.silenceLevel(peak: spectrogram.maximum), windows: windows)
        for index in 0..<windows {
            batcher.add(spectrogram, from: cutter.start(index), clipFrame: cutter.start(index))
        }
        let seconds = duration ?? Double((spectrogram.frames - 1) * info.features.hopLength) / Double(info.features.sampleRate)
        return try batcher.finish(path: path, duration: seconds)
    }

    /// The mel power under which a whole file counts as silent: -60 dB (`WindowCutter.silenceDB`),
    /// where white noise of -82 dBFS RMS peaks, and a full-scale tone at +22 dB (the default
    /// features); digital silence and 16-bit dither stay below it, a record's surface noise (-60
    /// dBFS, -42 dB) does not.
    public static let silentPower: Float = pow(10, WindowCutter.silenceDB / 10)

    /// Decodes and classifies one file of any length.
    public func predict(path: String) throws -> Prediction { try predict(source: .file(path)) }

    /// The same for a file or bytes in memory (standard input).
    public func predict(source: AudioSource) throws -> Prediction {
        let path = source.name
        // Pass 1: the clip-wide peak (and the whole log-mel while it is short enough).
        var kept: [Spectrogram] = []
        var keptFrames = 0
        var keeping = true
        var peakPower: Float = 0
        let samples = try melPowerChunks(source: source) { _, chunk in
            chunk.values.withUnsafeBufferPointer { v in
                for x in v where x > peakPower { peakPower = x }
            }
            guard keeping else { return }
            keptFrames += chunk.frames
            if keptFrames > max(wholeClipFrames, cutter.width) {
                keeping = false
                kept = []
            } else {
                kept.append(chunk)
            }
        }
        let duration = Double(samples) / Double(info.features.sampleRate)
        // The network names a genre for anything, silence too ("ambient, 85 %"): a file whose
        // loudest moment stays under `silentPower` has nothing to classify.
        guard peakPower >= Self.silentPower else {
            throw NothingToClassify(path: path, problem: "silent: nothing louder than about -80 dBFS to classify (log-mel peak "
                + "\(String(cFormat: "%.1f", 10 * log10(max(peakPower, 1e-10)))) dB)")
        }
        // So is a clip that would fill less than a third of one window: the rest is padding, and
        // the label would be the padding's ("metal, 92 %" for one sample).
        let window = info.windowing.segmentSeconds
        guard duration >= window / 3 else {
            throw NothingToClassify(path: path, problem: "too short to classify: \(String(cFormat: "%.2f", duration)) s of audio, "
                + "under a third of the network's \(String(cFormat: "%.1f", window)) s window")
        }
        if keeping {
            var whole = Spectrogram.concatenatingFrames(kept, nMels: nMels)
            kept = []
            logMel.powerToDB(&whole.values)
            return try predict(spectrogram: whole, path: path, duration: duration)
        }

        // Pass 2: stream again, converting to dB against the peak, windows as they complete.
        let peak = 10 * log10(max(peakPower, 1e-10))
        let floor = peak - info.features.topDB
        let batcher = WindowBatcher(self, silenceLevel: cutter.silenceLevel(peak: peak),
                                    windows: cutter.count(frames: logMel.frameCount(length: samples)))
        var buffer = Spectrogram(nMels: nMels, frames: 0, values: [])  // dB, from frame `bufferStart`
        var bufferStart = 0
        var nextWindow = 0
        _ = try melPowerChunks(source: source) { first, chunk in
            var decibels = chunk
            for k in decibels.values.indices { decibels.values[k] = max(10 * log10(max(decibels.values[k], 1e-10)), floor) }
            buffer = Spectrogram.concatenatingFrames([buffer, decibels], nMels: nMels)
            while cutter.start(nextWindow) + cutter.width <= first + chunk.frames {
                batcher.add(buffer, from: cutter.start(nextWindow) - bufferStart, clipFrame: cutter.start(nextWindow))
                nextWindow += 1
            }
            let drop = min(cutter.start(nextWindow) - bufferStart, buffer.frames)  // frames no later window needs
            buffer = buffer.frames(drop..<buffer.frames)
            bufferStart += drop
        }
        return try batcher.finish(path: path, duration: duration)
    }

    /// The file's mel power in consecutive frame ranges of `chunkFrames` (Features' streaming STFT).
    @discardableResult
    public func melPowerChunks(source: AudioSource, _ body: (Int, Spectrogram) throws -> Void) throws -> Int {
        try logMel.melPowerChunks(source: source, chunkFrames: chunkFrames, body)
    }
}

/// Collects normalised windows into batches, runs them and keeps each window's probabilities;
/// silent windows are counted and left out.
final class WindowBatcher {
    private let predictor: Predictor
    private let cutter: WindowCutter
    private let silenceLevel: Float
    private let input: Tensor
    /// Windows a pass takes (`Predictor.balancedBatchSize`).
    private let capacity: Int
    private var filled = 0
    private var starts: [Int] = []
    private var results: [[Float]] = []
    private var silent = 0

    /// `silenceLevel`: the file's `WindowCutter.silenceLevel`; `windows`: how many the file has.
    init(_ predictor: Predictor, silenceLevel: Float, windows: Int) {
        self.predictor = predictor
        self.silenceLevel = silenceLevel
        cutter = predictor.cutter
        capacity = predictor.balancedBatchSize(windows: windows)
        input = Tensor(uninitialized: [capacity, cutter.nMels, cutter.width, 1])
    }

    /// Adds the window of `clip` that starts at its frame `start`, unless it is silent;
    /// `clipFrame` is where that is in the whole file.
    func add(_ clip: Spectrogram, from start: Int, clipFrame: Int) {
        if cutter.isSilent(clip, from: start, level: silenceLevel) {
            silent += 1
            return
        }
        cutter.cut(clip, from: start, into: input.data + filled * cutter.nMels * cutter.width)
        starts.append(clipFrame)
        filled += 1
        if filled == capacity { run() }
    }

    private func run() {
        guard filled > 0 else { return }
        let batch = filled == capacity ? input : {
            let part = Tensor(uninitialized: [filled, cutter.nMels, cutter.width, 1])
            part.data.update(from: input.data, count: part.count)
            return part
        }()
        results += predictor.probabilities(normalised: batch)
        filled = 0
    }

    func finish(path: String, duration: Double) throws -> Prediction {
        run()
        let secondsPerFrame = Double(predictor.info.features.hopLength) / Double(predictor.info.features.sampleRate)
        guard !results.isEmpty else {
            // The file's peak is loud enough, so it lies past the last whole window (§2 drops a partial one).
            let covered = Double(cutter.start(silent - 1) + cutter.width) * secondsPerFrame
            throw NothingToClassify(path: path, problem: "silent in every window: its only sound is in the last "
                + "\(String(cFormat: "%.1f", max(duration - covered, 0))) s, past its last whole window")
        }
        let classes = predictor.labels.count
        if let row = results.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
            throw FileError(path: path, problem: "the network's output is not finite in window \(row + 1) (a damaged checkpoint, or samples far outside -1…1)")
        }
        var mean = [Float](repeating: 0, count: classes)
        for row in results { for k in 0..<classes { mean[k] += row[k] } }
        mean = mean.map { $0 / Float(results.count) }
        let windows = zip(starts, results).map { start, p in
            WindowPrediction(start: Double(start) * secondsPerFrame,
                             end: min(duration, Double(start + cutter.width) * secondsPerFrame), probabilities: p)
        }
        return Prediction(path: path, duration: duration, labels: predictor.labels, probabilities: mean, windows: windows, silentWindows: silent)
    }
}
