import Basics
import Engine
import Features
import Files
import FoundationEssentials
import Glibc
import Models

/// A training run, read from a JSON file. Every field has a documented default (README,
/// "Configuration"); unknown keys and wrong types are errors that name the key.
public struct Config: Sendable {
    public struct Data: Sendable {
        /// Folder with one sub-folder per label.
        public var root = "data/demo"
        /// Render the built-in demo data set into `root` when the folder is missing.
        public var synthesizeIfMissing = false
        /// Fractions of each label's files for training, validation, calibration and test.
        public var trainFraction = 0.7
        public var validationFraction = 0.15
        /// Files kept apart to fit the temperature on; 0 fits it on the validation split, which
        /// also chose the checkpoint.
        public var calibrationFraction = 0.0
        public var testFraction = 0.15
        public var splitSeed: UInt64 = 0
        /// Optional split lists (GTZAN's `train_filtered.txt` layout: `label/file` per line),
        /// relative to `root` unless absolute. When given, they replace the fractions.
        public var splitFiles: (train: String, validation: String, calibration: String?, test: String)?
        /// A regular expression on the root-relative path: files whose match (first capture group
        /// if the expression has one, else the whole match) is the same stay in one split.
        public var groupBy: String?
    }

    public struct Model: Sendable {
        public var arch = ModelSpec.Architecture.mobilenetV2
        public var width = 1.0
        public var dropout = 0.2
        /// ShuffleNet's group count.
        public var groups = 3
    }

    public struct Optimizer: Sendable {
        public enum Kind: String, CaseIterable, Sendable {
            case sgd, adam, adamw
        }

        public var kind = Kind.adamw
        public var learningRate = 0.001
        public var momentum = 0.9
        public var nesterov = false
        public var weightDecay = 0.01
        public var betas = (0.9, 0.999)
        public var eps = 1e-8
    }

    public struct Schedule: Sendable {
        public enum Kind: String, CaseIterable, Sendable {
            /// Linear warm-up, then cosine decay.
            case cosine
            case step
            case onecycle
            case constant
        }

        public var kind = Kind.cosine
        public var warmupEpochs = 1.0
        public var stepEpochs = 10
        public var gamma = 0.1
        public var minLearningRate = 0.0
    }

    public struct Augment: Sendable {
        /// SpecAugment: up to this many frames / mel bands masked per window (0 = off).
        public var timeMask = 0
        public var frequencyMask = 0
        /// Random circular time shift, as a fraction of the window.
        public var timeShift = 0.0
    }

    /// How the loss weighs classes (`training.class_weights`).
    public enum ClassWeighting: String, CaseIterable, Sendable {
        /// Every class weighs 1.
        case none
        /// n_samples / (n_classes · n_c), from the training files' classes.
        case balanced
    }

    /// How training windows are drawn (`training.sampler`).
    public enum Sampler: String, CaseIterable, Sendable {
        /// Every window once per epoch, shuffled.
        case shuffle
        /// Windows drawn with replacement, with probability inverse to their class's frequency.
        case balanced
    }

    public struct Training: Sendable {
        public var epochs = 20
        public var batchSize = 32
        public var optimizer = Optimizer()
        public var schedule = Schedule()
        public var labelSmoothing = 0.0
        public var augment = Augment()
        public var seed: UInt64 = 0
        /// 0 = every core.
        public var threads = 0
        /// Batch norm over the whole global batch in data-parallel training (nil: on when there
        /// is more than one process).
        public var syncBatchNorm: Bool?
        public var classWeights = ClassWeighting.none
        public var sampler = Sampler.shuffle
        /// state_dict name prefixes (`features.0`) whose parameters are not updated.
        public var freeze: [String] = []

        /// The worker threads `threads` asks for.
        public var workerThreads: Int { threads > 0 ? threads : Parallel.processorCount }
    }

    public var data = Data()
    public var features = FeatureParameters()
    public var windowing = Windowing()
    public var model = Model()
    public var training = Training()
    /// Run folder for checkpoints and metrics.
    public var output = "runs/default"
    /// The run folder's files.
    public var run: RunFolder { RunFolder(output) }
    /// Where the config was read from, for messages and relative paths.
    public var source = ""

    public init() {}

    /// The network this config trains for a data set with `classes` labels (one input channel).
    public func modelSpec(classes: Int) -> ModelSpec {
        ModelSpec(arch: model.arch, width: model.width, inChannels: 1, classes: classes, dropout: model.dropout, groups: model.groups)
    }

    /// Reads and checks a config file; errors are one line naming the file and the key.
    public static func load(path: String) throws -> Config {
        let bytes = try FileBytes.read(path: path)
        let json: JSON
        do {
            json = try JSON(parsing: bytes)
        } catch {
            throw FileError(path: path, problem: "not valid JSON (\(error))")
        }
        do {
            var config = try Config(json: json)
            config.source = path
            return config
        } catch let error as ConfigError {
            throw FileError(path: path, problem: error.description)
        }
    }

    /// Builds a config from parsed JSON, applying defaults and validating every value.
    public init(json: JSON) throws {
        var top = try JSONObject(json, path: "")
        if var d = try top.object("data") {
            data.root = try d.string("root") ?? data.root
            data.synthesizeIfMissing = try d.bool("synthesize_if_missing") ?? data.synthesizeIfMissing
            if var s = try d.object("split") {
                data.trainFraction = try s.double("train") ?? data.trainFraction
                data.validationFraction = try s.double("validation") ?? data.validationFraction
                data.calibrationFraction = try s.double("calibration") ?? data.calibrationFraction
                data.testFraction = try s.double("test") ?? data.testFraction
                if let seed = try s.int("seed") {
                    guard seed >= 0 else { throw s.error("seed", "must be ≥ 0") }
                    data.splitSeed = UInt64(seed)
                }
                if let pattern = try s.string("group_by") {
                    do { _ = try Regex(pattern) } catch {
                        throw s.error("group_by", "'\(pattern)' is not a valid regular expression")
                    }
                    data.groupBy = pattern
                }
                let fractions = [data.trainFraction, data.validationFraction, data.calibrationFraction, data.testFraction]
                guard fractions.allSatisfy({ $0 >= 0 }), abs(fractions.reduce(0, +) - 1) < 1e-6, data.trainFraction > 0 else {
                    throw s.error("train", "split fractions (train, validation, calibration, test) must be ≥ 0, train > 0, and add up to 1 (got \(fractions))")
                }
                try s.rejectUnknownKeys()
            }
            if var f = try d.object("split_files") {
                guard let train = try f.string("train"), let validation = try f.string("validation"), let test = try f.string("test") else {
                    throw f.error("train", "split_files needs train, validation and test")
                }
                data.splitFiles = (train, validation, try f.string("calibration"), test)
                try f.rejectUnknownKeys()
            }
            try d.rejectUnknownKeys()
        }
        if var f = try top.object("features") {
            try f.readFeatures(into: &features, &windowing)
            if let problem = features.problem ?? windowing.problem(features) {
                throw ConfigError(key: "features", problem: problem)
            }
            try f.rejectUnknownKeys()
        }
        if var m = try top.object("model") {
            model.arch = try m.choice("arch") ?? model.arch
            model.width = try m.double("width") ?? model.width
            guard model.width > 0, model.width <= 4 else { throw m.error("width", "must be in (0, 4]") }
            model.dropout = try m.double("dropout") ?? model.dropout
            guard (0..<1).contains(model.dropout) else { throw m.error("dropout", "must be in [0, 1)") }
            model.groups = try m.int("groups") ?? model.groups
            guard [1, 2, 3, 4, 8].contains(model.groups) else { throw m.error("groups", "must be 1, 2, 3, 4 or 8") }
            if let problem = ModelSpec(arch: model.arch, width: model.width, classes: 2, groups: model.groups).structureProblem {
                throw m.error("width", "\(model.width) is too small for \(model.arch.rawValue) (\(problem))")
            }
            try m.rejectUnknownKeys()
        }
        if var t = try top.object("training") {
            training.epochs = try t.int("epochs") ?? training.epochs
            guard training.epochs >= 1 else { throw t.error("epochs", "must be ≥ 1") }
            training.batchSize = try t.int("batch_size") ?? training.batchSize
            guard training.batchSize >= 1 else { throw t.error("batch_size", "must be ≥ 1") }
            training.labelSmoothing = try t.double("label_smoothing") ?? training.labelSmoothing
            guard (0..<1).contains(training.labelSmoothing) else { throw t.error("label_smoothing", "must be in [0, 1)") }
            if let seed = try t.int("seed") {
                guard seed >= 0 else { throw t.error("seed", "must be ≥ 0") }
                training.seed = UInt64(seed)
            }
            training.threads = try t.int("threads") ?? training.threads
            guard training.threads >= 0 else { throw t.error("threads", "must be ≥ 0 (0 = every core)") }
            training.syncBatchNorm = try t.bool("sync_batch_norm") ?? training.syncBatchNorm
            training.classWeights = try t.choice("class_weights") ?? training.classWeights
            training.sampler = try t.choice("sampler") ?? training.sampler
            training.freeze = try t.strings("freeze") ?? training.freeze
            guard training.freeze.allSatisfy({ !$0.isEmpty }) else { throw t.error("freeze", "prefixes must not be empty") }
            if var o = try t.object("optimizer") {
                training.optimizer.kind = try o.choice("name") ?? training.optimizer.kind
                training.optimizer.learningRate = try o.double("lr") ?? training.optimizer.learningRate
                guard training.optimizer.learningRate > 0 else { throw o.error("lr", "must be > 0") }
                training.optimizer.momentum = try o.double("momentum") ?? training.optimizer.momentum
                training.optimizer.nesterov = try o.bool("nesterov") ?? training.optimizer.nesterov
                training.optimizer.weightDecay = try o.double("weight_decay") ?? training.optimizer.weightDecay
                guard training.optimizer.weightDecay >= 0 else { throw o.error("weight_decay", "must be ≥ 0") }
                if let betas = try o.doubles("betas") {
                    guard betas.count == 2, betas.allSatisfy({ (0..<1).contains($0) }) else { throw o.error("betas", "must be two numbers in [0, 1)") }
                    training.optimizer.betas = (betas[0], betas[1])
                }
                training.optimizer.eps = try o.double("eps") ?? training.optimizer.eps
                try o.rejectUnknownKeys()
            }
            if var s = try t.object("schedule") {
                training.schedule.kind = try s.choice("name") ?? training.schedule.kind
                training.schedule.warmupEpochs = try s.double("warmup_epochs") ?? training.schedule.warmupEpochs
                training.schedule.stepEpochs = try s.int("step_epochs") ?? training.schedule.stepEpochs
                training.schedule.gamma = try s.double("gamma") ?? training.schedule.gamma
                training.schedule.minLearningRate = try s.double("min_lr") ?? training.schedule.minLearningRate
                try s.rejectUnknownKeys()
            }
            if var a = try t.object("augment") {
                training.augment.timeMask = try a.int("time_mask") ?? training.augment.timeMask
                training.augment.frequencyMask = try a.int("freq_mask") ?? training.augment.frequencyMask
                training.augment.timeShift = try a.double("time_shift") ?? training.augment.timeShift
                try a.rejectUnknownKeys()
            }
            try t.rejectUnknownKeys()
        }
        output = try top.string("output") ?? output
        try top.rejectUnknownKeys()
    }
}

extension JSONObject {
    /// The §1 feature keys and the §2 window keys, over the values already in place.
    mutating func readFeatures(into features: inout FeatureParameters, _ windowing: inout Windowing) throws {
        features.sampleRate = try int("sample_rate") ?? features.sampleRate
        features.nFFT = try int("n_fft") ?? features.nFFT
        features.hopLength = try int("hop_length") ?? features.hopLength
        features.nMels = try int("n_mels") ?? features.nMels
        features.fmin = try double("fmin") ?? features.fmin
        features.fmax = try double("fmax") ?? features.fmax
        features.topDB = Float(try double("top_db") ?? Double(features.topDB))
        windowing.segmentSeconds = try double("segment_seconds") ?? windowing.segmentSeconds
        windowing.segmentHopSeconds = try double("segment_hop_seconds") ?? windowing.segmentHopSeconds
    }
}
