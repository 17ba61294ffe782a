import Basics
import Engine
import Files
import FoundationEssentials
import Glibc
import Models
import SafeTensors

/// One finished epoch, as `metrics.jsonl` records it.
public struct EpochRecord: Sendable {
    /// 1-based.
    public let epoch: Int
    public let trainLoss: Double
    /// Window-level accuracy on the training batches, as they were trained.
    public let trainAccuracy: Double
    /// File-level accuracy and macro F1 on the validation split (mean of window probabilities).
    public let validationAccuracy: Double
    public let validationMacroF1: Double
    public let learningRate: Double
    public let isBest: Bool
    public let seconds: Double
    public let samplesPerSecond: Double

    /// One JSON line; everything but the timing is reproducible.
    public var json: String {
        let fields: [(String, Any)] = [
            ("epoch", epoch), ("train_loss", trainLoss), ("train_accuracy", trainAccuracy), ("val_accuracy", validationAccuracy),
            ("val_macro_f1", validationMacroF1), ("lr", learningRate), ("best", isBest), ("seconds", seconds), ("samples_per_s", samplesPerSecond),
        ]
        return "{" + fields.map { key, value in
            let text = switch value {
            case let v as Double: String(cFormat: "%.6g", v)
            case let v as Bool: v ? "true" : "false"
            default: "\(value)"
            }
            return "\"\(key)\":\(text)"
        }.joined(separator: ",") + "}"
    }
}

/// Where training is inside an epoch, for a progress bar.
public struct BatchProgress: Sendable {
    public let epoch: Int
    public let epochs: Int
    public let batch: Int
    public let batches: Int
    /// Running means over the epoch so far.
    public let loss: Double
    public let accuracy: Double
    public let samplesPerSecond: Double
    public let secondsLeft: Double
}

/// Trains a network from a config on prepared data, the way PyTorch training loops do: shuffled
/// window batches, optional SpecAugment, the configured optimiser and schedule, file-level
/// validation after each epoch, `best`/`last` checkpoints and `last.state` for `--resume`.
///
/// Every random choice (shuffle order, augmentation, dropout) is derived from the seed, the
/// epoch and the batch index, so a run resumed at any batch continues exactly as an
/// uninterrupted one with the same thread count.
public final class Trainer {
    public let config: Config
    public let data: TrainingData
    public let network: Network
    public let run: RunFolder
    public let batchesPerEpoch: Int
    private let optimizer: any Optimizer
    private let schedule: (any LearningRateSchedule)?
    private let augmentation: Augmentation
    /// Per-class loss weights (`training.class_weights`), nil for plain cross-entropy.
    private let classWeights: [Float]?

    /// Position of the next batch.
    public private(set) var epoch = 0
    public private(set) var batch = 0
    /// Sums over the current epoch's batches so far.
    private var lossSum = 0.0
    private var correct = 0
    private var seen = 0
    public private(set) var bestAccuracy = -1.0
    public private(set) var bestEpoch = 0
    /// Set for data-parallel training (`mpirun`): this process's part in the job. Only rank 0
    /// writes the run folder; every rank trains its slice of each batch (DataParallel).
    public var parallel: DataParallel?
    private var writes: Bool { parallel?.isWriter ?? true }

    public init(config: Config, data: TrainingData) {
        self.config = config
        self.data = data
        run = config.run
        let t = config.training
        network = Network(config.modelSpec(classes: data.labels.count), seed: t.seed)
        batchesPerEpoch = max(1, data.train.windows.count / t.batchSize)
        let o = t.optimizer
        let lr = Float(o.learningRate)
        optimizer = switch o.kind {
        case .sgd: SGD(learningRate: lr, momentum: Float(o.momentum), nesterov: o.nesterov, weightDecay: Float(o.weightDecay))
        case .adam: Adam(learningRate: lr, beta1: Float(o.betas.0), beta2: Float(o.betas.1), epsilon: Float(o.eps), weightDecay: Float(o.weightDecay))
        case .adamw: Adam.adamW(learningRate: lr, beta1: Float(o.betas.0), beta2: Float(o.betas.1), epsilon: Float(o.eps), weightDecay: Float(o.weightDecay))
        }
        let s = t.schedule
        let total = t.epochs * batchesPerEpoch
        schedule = switch s.kind {
        case .cosine: CosineWithWarmup(peak: lr, warmupSteps: Int(s.warmupEpochs * Double(batchesPerEpoch)), totalSteps: total, minimum: Float(s.minLearningRate))
        case .step: StepDecay(initial: lr, stepSize: s.stepEpochs * batchesPerEpoch, gamma: Float(s.gamma))
        case .onecycle: OneCycle(maximum: lr, totalSteps: total)
        case .constant: nil
        }
        augmentation = Augmentation(timeMask: t.augment.timeMask, frequencyMask: t.augment.frequencyMask, timeShift: t.augment.timeShift)
        classWeights = t.classWeights == .balanced ? ClassBalance.balancedWeights(labels: data.trainWindowLabels, classes: data.labels.count) : nil
    }

    public var isFinished: Bool { epoch >= config.training.epochs }

    // MARK: Training

    /// Trains until the last epoch, or until `shouldStop` says so after a batch; then writes a
    /// consistent `last` checkpoint and state. Returns true when every epoch is done.
    public func run(shouldStop: () -> Bool = { false }, progress: (BatchProgress) -> Void = { _ in },
                    epochEnd: (EpochRecord) -> Void = { _ in }) throws -> Bool {
        if writes {
            try FileSystem.createFolder(run.path)
        }
        let t = config.training
        // Every rank must stop at the same batch: a request seen by any stops all.
        let parallel = parallel
        func stopRequested() -> Bool { parallel.map { $0.any(shouldStop()) } ?? shouldStop() }
        // This process's positions in each batch (all of them when training alone).
        let part = parallel?.slice(of: t.batchSize) ?? 0..<t.batchSize
        let parameters = try FineTuning.trainable(network, freeze: t.freeze)
        let size = data.train.nMels * data.train.width
        var window = [Float](repeating: 0, count: size)
        let runStart = Date()
        var batchesThisRun = 0
        while !isFinished {
            let epochStart = Date()
            let firstBatch = batch
            let order = shuffledWindows(epoch: epoch)
            while batch < batchesPerEpoch {
                let start = batch * t.batchSize
                let indices = order[(start + part.lowerBound)..<(start + part.upperBound)]
                let input = Tensor(uninitialized: [indices.count, data.train.nMels, data.train.width, 1])
                var random = SeededRandom(seed: seed(epoch, batch, 1))
                // Windows before this process's part are augmented too, only to draw what they draw.
                for (n, index) in order[start..<(start + part.upperBound)].enumerated() where n >= part.lowerBound || !augmentation.isIdentity {
                    data.train.copy(data.train.windows[index], into: &window, mean: data.mean, std: data.std)
                    if !augmentation.isIdentity {
                        augmentation.apply(to: &window, nMels: data.train.nMels, width: data.train.width, using: &random)
                    }
                    guard n >= part.lowerBound else { continue }
                    window.withUnsafeBufferPointer { input.data.advanced(by: (n - part.lowerBound) * size).update(from: $0.baseAddress!, count: size) }
                }
                let labels = indices.map { data.train.labels[data.train.windows[$0].clip] }
                let tape = Tape(mode: .training, seed: parallel?.dropoutSeed(seed(epoch, batch, 2)) ?? seed(epoch, batch, 2))
                tape.batchStatistics = parallel?.batchStatistics
                let logits = network(input, tape)
                let loss = tape.crossEntropy(logits, labels: labels, labelSmoothing: Float(t.labelSmoothing), classWeights: classWeights)
                guard loss.data[0].isFinite else { throw diverged("the loss is \(loss.data[0])", batch: batch + 1) }
                if let parallel {
                    parallel.backward(tape, loss, rows: labels.count, of: t.batchSize)
                    parallel.averageGradients(parameters)
                } else {
                    tape.backward(loss)
                }
                optimizer.learningRate = learningRate(step: epoch * batchesPerEpoch + batch)
                optimizer.step(parameters)
                network.zeroGrad()
                parallel?.averageRunningStatistics(network)

                let classes = logits.shape[1]
                var right = 0
                for n in labels.indices {
                    let row = logits.data + n * classes
                    if (0..<classes).max(by: { row[$0] < row[$1] }) == labels[n] { right += 1 }
                }
                if let parallel {
                    let totals = parallel.batchTotals(loss: loss.data[0], correct: right, rows: labels.count, of: t.batchSize)
                    lossSum += totals.loss
                    correct += totals.correct
                } else {
                    lossSum += Double(loss.data[0])
                    correct += right
                }
                seen += t.batchSize
                batch += 1
                batchesThisRun += 1

                let elapsed = Date().timeIntervalSince(runStart)
                let remaining = (t.epochs - epoch) * batchesPerEpoch - batch
                progress(BatchProgress(epoch: epoch + 1, epochs: t.epochs, batch: batch, batches: batchesPerEpoch,
                                       loss: lossSum / Double(batch), accuracy: Double(correct) / Double(max(seen, 1)),
                                       samplesPerSecond: Double(batchesThisRun * t.batchSize) / max(elapsed, 1e-9),
                                       secondsLeft: elapsed / Double(batchesThisRun) * Double(remaining)))
                if batch < batchesPerEpoch, stopRequested() {
                    try saveLast()
                    return false
                }
            }
            try checkFinite()
            let seconds = Date().timeIntervalSince(epochStart)
            let record = finishEpoch(seconds: seconds, samples: (batchesPerEpoch - firstBatch) * t.batchSize)
            try parallel?.checkIdentical(network, after: "epoch \(record.epoch)")
            try appendMetrics(record)
            if writes { try TrainingCurves.redraw(metrics: run.metrics, to: run.curves) }
            if record.isBest, writes { try Checkpoint.write(network, info: checkpointInfo(), to: run.best) }
            try saveLast()
            epochEnd(record)
            if !isFinished, stopRequested() { return false }
        }
        return true
    }

    /// Validates, updates the best score and moves to the next epoch.
    private func finishEpoch(seconds: Double, samples: Int) -> EpochRecord {
        let metrics = data.validation.windows.isEmpty ? nil
            : parallel?.metrics(network, data.validation, mean: data.mean, std: data.std, batchSize: config.training.batchSize)
            ?? Evaluation.metrics(network, data.validation, mean: data.mean, std: data.std, batchSize: config.training.batchSize)
        let accuracy = metrics?.accuracy ?? 0
        // Without a validation split every epoch is the best so far.
        let isBest = metrics == nil || accuracy > bestAccuracy
        if isBest { (bestAccuracy, bestEpoch) = (accuracy, epoch + 1) }
        let record = EpochRecord(epoch: epoch + 1, trainLoss: lossSum / Double(batchesPerEpoch), trainAccuracy: Double(correct) / Double(max(seen, 1)),
                                 validationAccuracy: accuracy, validationMacroF1: metrics?.macroF1 ?? 0,
                                 learningRate: Double(optimizer.learningRate), isBest: isBest, seconds: seconds,
                                 samplesPerSecond: Double(samples) / max(seconds, 1e-9))
        epoch += 1
        batch = 0
        (lossSum, correct, seen) = (0, 0, 0)
        return record
    }

    private func learningRate(step: Int) -> Float {
        schedule?.learningRate(step: step) ?? Float(config.training.optimizer.learningRate)
    }

    /// The training windows in epoch `epoch`'s order: a shuffle, or a class-balanced draw of as
    /// many windows (`training.sampler`).
    private func shuffledWindows(epoch: Int) -> [Int] {
        if config.training.sampler == .balanced {
            return ClassBalance.balancedSample(labels: data.trainWindowLabels, classes: data.labels.count,
                                               count: data.train.windows.count, seed: seed(epoch, 0, 0))
        }
        var random = SeededRandom(seed: seed(epoch, 0, 0))
        return Array(data.train.windows.indices).shuffled(using: &random)
    }

    /// A seed for one purpose at one batch: SplitMix64 of the run seed mixed with the position.
    private func seed(_ epoch: Int, _ batch: Int, _ purpose: UInt64) -> UInt64 {
        var random = SeededRandom(seed: config.training.seed ^ (UInt64(epoch) << 40) ^ (UInt64(batch) << 8) ^ purpose)
        return random.next()
    }

    // MARK: Checkpoints and state

    /// What the checkpoints record besides the weights, with the position and best score.
    private func checkpointInfo() -> CheckpointInfo {
        CheckpointInfo(spec: network.spec, labels: data.labels, features: config.features, windowing: config.windowing,
                       mean: data.mean, std: data.std,
                       extra: ["epoch": "\(epoch)", "batch": "\(batch)", "best_epoch": "\(bestEpoch)",
                               "val_accuracy": String(cFormat: "%.6f", bestAccuracy)])
    }

    /// `last.safetensors` and `last.state.safetensors`, both marked with the same position, as a
    /// pair: the state goes to `last.state.safetensors.pending` first, then the checkpoint is
    /// replaced, then the pending state is renamed into place. A kill at any moment leaves a
    /// consistent pair, or a pending state that `RunFolder.completePendingState` finishes.
    private func saveLast() throws {
        try checkFinite()
        guard writes else { return }
        var state = SafeTensorsFile(metadata: [
            "format": "genre-state/1", "epoch": "\(epoch)", "batch": "\(batch)", "loss_sum": "\(lossSum)", "correct": "\(correct)",
            "seen": "\(seen)", "best_accuracy": "\(bestAccuracy)", "best_epoch": "\(bestEpoch)", "seed": "\(config.training.seed)",
        ])
        for (name, values) in optimizer.state {
            guard values.allSatisfy(\.isFinite) else { throw diverged("the optimiser state '\(name)' is not finite") }
            state["optimizer." + name] = StoredTensor(floats: values, shape: [values.count])
        }
        try state.write(to: run.pendingState)
        do { try Checkpoint.write(network, info: checkpointInfo(), to: run.last) } catch {
            unlink(run.pendingState)  // the previous pair stays as it was
            throw error
        }
        try run.commitPendingState()
    }

    /// Stops the run at the current batch: nothing more is written, the files on disk keep the last good epoch.
    private func diverged(_ what: String, batch: Int? = nil) -> TrainingDiverged {
        TrainingDiverged(run: run.path, epoch: epoch + 1, batch: batch ?? max(self.batch, 1), problem: what)
    }

    /// Every weight and running statistic finite, else the run stops before writing anything.
    private func checkFinite() throws {
        for tensor in network.stateTensors where !tensor.entry.isInt64 {
            let value = tensor.parameter.value
            if let bad = UnsafeBufferPointer(start: value.data, count: value.count).first(where: { !$0.isFinite }) {
                throw diverged("'\(tensor.entry.name)' holds \(bad)")
            }
        }
    }

    /// Continues from `last.safetensors` and `last.state.safetensors` in the run folder.
    public func resume() throws {
        try run.completePendingState()
        let weights = try SafeTensorsFile(contentsOf: run.last)
        let state = try SafeTensorsFile(contentsOf: run.state)
        func number(_ key: String) throws -> Double {
            guard let text = state.metadata[key], let value = Double(text) else {
                throw FileError(path: run.state, problem: "no '\(key)' in the training state")
            }
            return value
        }
        guard state.metadata["format"] == "genre-state/1" else { throw FileError(path: run.state, problem: "not a genre training state") }
        guard weights.metadata["epoch"] == state.metadata["epoch"], weights.metadata["batch"] == state.metadata["batch"] else {
            throw FileError(path: run.state, problem: "does not belong to \(run.last) (different epoch or batch)")
        }
        guard state.metadata["seed"] == "\(config.training.seed)" else {
            throw FileError(path: run.state, problem: "was trained with seed \(state.metadata["seed"] ?? "?"), the config says \(config.training.seed)")
        }
        let info = try Checkpoint.info(weights, path: run.last)
        guard info.spec == network.spec, info.labels == data.labels else {
            throw FileError(path: run.last, problem: "holds \(info.spec.arch.rawValue) α=\(info.spec.width) for labels \(info.labels), not this config's network and data")
        }
        try Checkpoint.load(weights, into: network, path: run.last)
        (epoch, batch) = (Int(try number("epoch")), Int(try number("batch")))
        (lossSum, correct, seen) = (try number("loss_sum"), Int(try number("correct")), Int(try number("seen")))
        (bestAccuracy, bestEpoch) = (try number("best_accuracy"), Int(try number("best_epoch")))
        let moments = Dictionary(uniqueKeysWithValues: state.tensors.compactMap { name, tensor in
            name.hasPrefix("optimizer.") ? (String(name.dropFirst(10)), tensor.floats()) : nil
        })
        // Each entry is "<parameter>.<key>": as many values as the parameter, or one step count.
        let sizes = Dictionary(uniqueKeysWithValues: network.parameters(prefix: "").map { ($0.name, $0.parameter.value.count) })
        for (key, values) in moments {
            let (parameter, entry) = key.lastIndex(of: ".").map { (String(key[..<$0]), key[key.index(after: $0)...]) } ?? (key, "")
            guard let size = sizes[parameter], values.count == (entry == "step" ? 1 : size) else {
                throw FileError(path: run.state, problem: "the optimiser state '\(key)' holds \(values.count) values, which fit no parameter of this network")
            }
        }
        optimizer.state = moments
        if writes { try truncateMetrics(toEpochs: epoch) }
    }

    /// Writes the current weights as a checkpoint (with the position) to `path`.
    public func writeWeights(to path: String) throws {
        try Checkpoint.write(network, info: checkpointInfo(), to: path)
    }

    /// Starts from the weights of another checkpoint of the same architecture (`--init`); with
    /// other labels, from every layer but the classifier (FineTuning.load).
    @discardableResult
    public func initialise(from path: String) throws -> FineTuning.Outcome {
        try FineTuning.load(checkpoint: path, into: network, labels: data.labels)
    }

    private func appendMetrics(_ record: EpochRecord) throws {
        guard writes else { return }
        try AppendingFile.append(line: record.json, to: run.metrics)
    }

    /// Keeps the first `epochs` lines: epochs after the saved state are trained again.
    private func truncateMetrics(toEpochs epochs: Int) throws {
        guard let text = try? FileSystemBytes.string(FileBytes.read(path: run.metrics)) else { return }
        let lines = text.split(separator: "\n").prefix(epochs)
        try AtomicFile.write(Array((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8), to: run.metrics)
    }
}
