import Basics
import Features
import Files
import FoundationEssentials
import Glibc
import Synth

/// What training reads, prepared before the first step: the split by file, each decodable file's
/// log-mel (through the feature cache), the windows of each split and the scalar normalisation
/// measured on the training windows (docs/contracts.md §2).
public struct TrainingData: Sendable {
    public let labels: [String]
    public let train: WindowSet
    public let validation: WindowSet
    /// The files the temperature is fitted on when `data.split.calibration` holds some.
    public let calibration: WindowSet
    public let test: WindowSet
    /// Files of each split in the order of their clips in the window sets.
    public let trainItems: [DataSet.Item]
    public let validationItems: [DataSet.Item]
    public let calibrationItems: [DataSet.Item]
    public let testItems: [DataSet.Item]
    /// Files that could not be decoded, with the reason; they take no part.
    public let skipped: [(path: String, problem: String)]
    public let mean: Float
    public let std: Float

    /// The files the temperature is fitted on, and their split's name: the calibration split when
    /// it holds files (they took no part in choosing the checkpoint), else the validation split.
    public var temperatureFiles: (split: String, windows: WindowSet) {
        calibrationItems.isEmpty ? ("validation", validation) : ("calibration", calibration)
    }

    /// The label of each training window.
    public var trainWindowLabels: [Int] { train.windows.map { train.labels[$0.clip] } }

    /// The log-mel cache shared by every run: `$XDG_CACHE_HOME/genre/features`, else
    /// `~/.cache/genre/features` (data folders may be read-only).
    public static var defaultCacheFolder: String {
        let base = Environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache").path
        return base + "/genre/features"
    }

    /// Scans and splits the data set (rendering the demo set first when the config asks for it and
    /// the folder is missing), then computes or reads every file's log-mel on `threads` workers.
    ///
    /// In a data-parallel job (`group`) the processes of each machine share the work: the first
    /// renders the demo set, then process r of n fills the cache with files r, r + n, …, and after
    /// a barrier every process reads them all from the cache.
    public static func prepare(_ config: Config, cacheFolder: String = defaultCacheFolder, threads: Int, group: (any ProcessGroup)? = nil,
                               log: (String) -> Void, progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> TrainingData {
        let root = config.data.root
        if config.data.synthesizeIfMissing, !FileSystem.exists(root), group?.localRank ?? 0 == 0 {
            log("\(root) is missing: rendering the demo data set there (genre synth, \(DemoDataSet.Parameters().clipPaths.count) clips)")
            _ = try DemoDataSet.synthesize(to: root)
        }
        group?.barrier()
        let dataSet = try DataSet(root: root)
        let split: DataSet.Split
        if let lists = config.data.splitFiles {
            func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : root + "/" + path }
            split = try dataSet.split(trainList: resolve(lists.train), validationList: resolve(lists.validation),
                                      calibrationList: lists.calibration.map(resolve), testList: resolve(lists.test))
        } else {
            split = try config.data.groupBy.map {
                try dataSet.split(train: config.data.trainFraction, validation: config.data.validationFraction,
                                  calibration: config.data.calibrationFraction, seed: config.data.splitSeed, groupBy: $0)
            } ?? dataSet.split(train: config.data.trainFraction, validation: config.data.validationFraction,
                               calibration: config.data.calibrationFraction, seed: config.data.splitSeed)
        }

        let cache = FeatureCache(folder: cacheFolder, parameters: config.features)
        let all = split.parts.flatMap { $0 }
        if let warning = FeatureCache.mappingWarning(files: all.count, limit: FeatureCache.systemMappingLimit) { log(warning) }
        let results: [Result<(spectrogram: StoredSpectrogram, audioHash: String), any Error>]
        if let group {
            let mine = all.indices.filter { $0 % group.localSize == group.localRank }.map { all[$0].path }
            _ = cache.entries(for: mine, threads: threads, progress: progress)
            group.barrier()
            results = cache.entries(for: all.map(\.path), threads: threads)
        } else {
            results = cache.entries(for: all.map(\.path), threads: threads, progress: progress)
        }
        if let failure = cache.writeFailure { log("warning: \(failure); features are not cached") }
        var spectrograms: [String: StoredSpectrogram] = [:]
        var hashes: [String: String] = [:]
        var skipped: [(path: String, problem: String)] = []
        for (item, result) in zip(all, results) {
            switch result {
            case let .success(entry):
                spectrograms[item.path] = entry.spectrogram
                hashes[item.path] = entry.audioHash
            case let .failure(error): skipped.append((item.path, (error as? FileError)?.problem ?? "\(error)"))
            }
        }
        for (path, problem) in skipped { log("skipping \(path): \(problem)") }
        let decodedTrain = split.train.filter { spectrograms[$0.path] != nil }
        if let empty = dataSet.labels.indices.first(where: { label in !decodedTrain.contains { $0.label == label } }) {
            throw FileError(path: root + "/" + dataSet.labels[empty], problem: "label has no decodable audio file in the training split")
        }
        let named = [("train", split.train), ("validation", split.validation), ("calibration", split.calibration), ("test", split.test)]
        for line in duplicateAudioWarnings(named, hashes: hashes) { log(line) }
        for line in ClassBalance.warnings(filesPerLabel: ClassBalance.counts(decodedTrain.map(\.label), classes: dataSet.labels.count),
                                          labels: dataSet.labels) { log(line) }

        func windows(_ items: [DataSet.Item]) -> ([DataSet.Item], WindowSet) {
            let kept = items.filter { spectrograms[$0.path] != nil }
            return (kept, WindowSet(clips: kept.map { spectrograms[$0.path]! }, labels: kept.map(\.label),
                                    parameters: config.features, windowing: config.windowing))
        }
        let (trainItems, train) = windows(split.train)
        let (validationItems, validation) = windows(split.validation)
        let (calibrationItems, calibration) = windows(split.calibration)
        let (testItems, test) = windows(split.test)
        guard train.windows.count >= config.training.batchSize else {
            throw FileError(path: config.source, problem: "training.batch_size \(config.training.batchSize) is more than the "
                + "\(train.windows.count) windows of the training split: lower it or add data")
        }
        let (mean, std) = train.statistics()
        return TrainingData(labels: dataSet.labels, train: train, validation: validation, calibration: calibration, test: test,
                            trainItems: trainItems, validationItems: validationItems, calibrationItems: calibrationItems,
                            testItems: testItems, skipped: skipped, mean: mean, std: std)
    }

    /// Warnings for files with identical decoded audio in different splits (a leak: the test
    /// split would partly measure memory). At most `limit` pairs are named, then a count.
    public static func duplicateAudioWarnings(_ splits: [(name: String, items: [DataSet.Item])], hashes: [String: String], limit: Int = 10) -> [String] {
        var firstSeen: [String: (split: String, path: String)] = [:]
        var lines: [String] = []
        var total = 0
        for (name, items) in splits {
            for item in items {
                guard let hash = hashes[item.path] else { continue }
                if let earlier = firstSeen[hash] {
                    guard earlier.split != name else { continue }
                    total += 1
                    if lines.count < limit {
                        lines.append("warning: identical audio in the \(earlier.split) and \(name) splits: \(earlier.path) and \(item.relativePath)")
                    }
                } else {
                    firstSeen[hash] = (name, item.relativePath)
                }
            }
        }
        if total > lines.count { lines.append("warning: \(total - lines.count) more files with identical audio in another split") }
        if total > 0 { lines.append("warning: \(total) file\(total == 1 ? "" : "s") repeat audio of another split; data.split.group_by keeps related files together") }
        return lines
    }
}
