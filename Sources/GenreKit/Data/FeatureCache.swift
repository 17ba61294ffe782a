import Features
import Files
import Foundation

/// Each file's whole-clip log-mel, computed once and kept on disk as `.npy`, keyed by the feature
/// parameters and the file's path, size and modification time: edit a file or change a parameter
/// and it is computed again; otherwise a second run reads it back at once.
public struct FeatureCache: Sendable {
    public let folder: String
    public let parameters: FeatureParameters
    private let writes = CacheWrites()

    public init(folder: String, parameters: FeatureParameters) {
        self.folder = folder
        self.parameters = parameters
    }

    /// The first entry that could not be written (a full or read-only cache folder): from then
    /// on nothing more is written and features are computed without caching.
    public var writeFailure: FileError? { writes.failure }

    /// The cache entry's file name for `path` in its current state.
    func key(for path: String) throws -> String {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw FileError(path: path, problem: FileProblem.describe(path: path))
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let p = parameters
        let description = "\(URL(fileURLWithPath: path).standardizedFileURL.path)|\(size)|\(modified)|"
            + "\(p.sampleRate)|\(p.nFFT)|\(p.hopLength)|\(p.nMels)|\(p.fmin)|\(p.fmax ?? -1)|\(p.topDB)"
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in description.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16) + ".npy"
    }

    /// The log-mel of `path`, from the cache when it is there.
    public func spectrogram(for path: String) throws -> Spectrogram {
        let entry = folder + "/" + (try key(for: path))
        if FileManager.default.fileExists(atPath: entry), let cached = try? NpyReader.spectrogram(path: entry),
           cached.nMels == parameters.nMels {
            return cached
        }
        let spectrogram = try LogMel(parameters).compute(path: path)
        guard writes.failure == nil else { return spectrogram }
        do {
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw FileError(path: folder, problem: "cannot create the cache folder")
            }
            try NpyWriter.write(spectrogram, to: entry)
        } catch {
            writes.record(error as? FileError ?? FileError(path: entry, problem: "\(error)"))
        }
        return spectrogram
    }

    /// Log-mels of many files, in parallel over `threads` workers; a failure is kept per file.
    public func spectrograms(for paths: [String], threads: Int,
                             progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) -> [Result<Spectrogram, Error>] {
        let results = ResultSlots<Result<Spectrogram, Error>>(count: paths.count)
        let counter = ProgressCounter()
        let workers = max(1, min(threads, paths.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: paths.count, by: workers) {
                results[index] = Result { try spectrogram(for: paths[index]) }
                progress(counter.increment(), paths.count)
            }
        }
        return results.values.map { $0! }
    }
}

/// Fixed slots written by parallel workers, each slot by exactly one worker.
final class ResultSlots<T>: @unchecked Sendable {
    private(set) var values: [T?]
    private let lock = NSLock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    subscript(index: Int) -> T? {
        get { lock.withLock { values[index] } }
        set { lock.withLock { values[index] = newValue } }
    }
}

final class ProgressCounter: @unchecked Sendable {
    private var count = 0
    private let lock = NSLock()

    func increment() -> Int { lock.withLock { count += 1; return count } }
}

/// Whether cache writes still work, shared by the workers of one cache.
final class CacheWrites: @unchecked Sendable {
    private var first: FileError?
    private let lock = NSLock()

    var failure: FileError? { lock.withLock { first } }

    func record(_ error: FileError) { lock.withLock { if first == nil { first = error } } }
}
