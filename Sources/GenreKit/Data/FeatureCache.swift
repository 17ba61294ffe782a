import Basics
import Audio
import Features
import Files
import FoundationEssentials
import Dispatch
import Glibc

/// Each file's whole-clip log-mel, computed once and kept on disk as `.npy`, keyed by the feature
/// parameters and the file's path, size and modification time: edit a file or change a parameter
/// and it is computed again; otherwise a second run reads it back at once. Entries are mapped
/// rather than read (`StoredSpectrogram`), so a data set need not fit in memory.
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
        guard let status = FileSystem.status(path) else { throw FileError(path: path, problem: FileProblem.describe(path: path)) }
        let size = Int64(status.st_size)
        let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        let p = parameters
        let description = "\(URL(fileURLWithPath: path).standardizedFileURL.path)|\(size)|\(modified)|\(LogMel.revision)|"
            + "\(p.sampleRate)|\(p.nFFT)|\(p.hopLength)|\(p.nMels)|\(p.fmin)|\(p.fmax ?? -1)|\(p.topDB)"
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in description.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16) + ".npy"
    }

    /// The log-mel of `path`, from the cache when it is there.
    public func spectrogram(for path: String) throws -> StoredSpectrogram {
        try entry(for: path).spectrogram
    }

    /// A file's log-mel and a hash of its decoded samples (mono, at the feature sample rate), which
    /// tells files with identical audio apart from merely similar ones. Both are cached: the hash
    /// in a small `.audiohash` file beside the `.npy` (computed on the first request for a log-mel
    /// cached before hashes were). A cache that cannot be written (a full disk) is only not used:
    /// the log-mel is then held in memory.
    public func entry(for path: String) throws -> (spectrogram: StoredSpectrogram, audioHash: String) {
        let key = try key(for: path)
        let entry = folder + "/" + key
        let hashEntry = folder + "/" + String(key.dropLast(4)) + ".audiohash"
        if FileSystem.exists(entry), let cached = try? map(entry), cached.nMels == parameters.nMels {
            if let hash = try? String(decoding: FileBytes.read(path: hashEntry), as: UTF8.self), hash.count == 32 { return (cached, hash) }
            let (_, hash) = try computeWithHash(path)
            store { try AtomicFile.write(Array(hash.utf8), to: hashEntry) }
            return (cached, hash)
        }
        let (spectrogram, hash) = try computeWithHash(path)
        let stored = store {
            try NpyWriter.write(spectrogram, to: entry)
            try AtomicFile.write(Array(hash.utf8), to: hashEntry)
        }
        // Mapped from the file just written; held in memory when it could not be written, or
        // mapped (the system's limit on mappings reached).
        let mapped = stored ? try? map(entry) : nil
        return (mapped ?? StoredSpectrogram(spectrogram), hash)
    }

    /// A warning when a data set of `files` files has more log-mels than the system lets a process
    /// map (`limit` regions, Linux's vm.max_map_count; a thousand left for the process itself):
    /// the rest are held in memory.
    public static func mappingWarning(files: Int, limit: Int?) -> String? {
        guard let limit, files > limit - 1000 else { return nil }
        return "warning: \(files) files, and the system maps at most \(limit) regions a process (vm.max_map_count): the log-mels "
            + "past about \(max(0, limit - 1000)) are held in memory; for a data set this large raise it (sysctl -w vm.max_map_count=\(2 * files))"
    }

    /// Linux's limit on the regions a process maps, if it can be read.
    public static var systemMappingLimit: Int? {
        // Read to its end: a /proc file reports a size of 0.
        let fd = FileSystem.open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return Int(String(decoding: StandardInput.readAll(from: fd), as: UTF8.self).trimmingWhitespace())
    }

    /// The entry file at `path`, mapped.
    private func map(_ path: String) throws -> StoredSpectrogram {
        try StoredSpectrogram(mapping: path, failureMessage: "genre: error: \(folder): a feature-cache file could not be read while in use "
            + "(changed by another program, or a disk error); run again to compute it anew")
    }

    /// Runs `write` into the cache folder unless an earlier write failed; a failure is recorded
    /// (`writeFailure`) and turns caching off for the rest of the run. True when it was written.
    @discardableResult
    private func store(_ write: () throws -> Void) -> Bool {
        guard writes.failure == nil else { return false }
        do {
            try FileSystem.createFolder(folder)
            try write()
            return true
        } catch {
            writes.record(error as? FileError ?? FileError(path: folder, problem: "\(error)"))
            return false
        }
    }

    /// LogMel.compute(path:) with the decoded samples hashed on the way.
    func computeWithHash(_ path: String) throws -> (Spectrogram, String) {
        let logMel = LogMel(parameters)
        let audio = try AudioStream(path: path, sampleRate: parameters.sampleRate)
        let stream = LogMelStream(logMel, expectedSamples: audio.expectedSamples)
        var hash = SampleHash()
        while let block = try audio.next() {
            hash.add(block)
            stream.append(block)
        }
        var spectrogram = stream.finishPower()
        logMel.powerToDB(&spectrogram.values)
        return (spectrogram, hash.hex)
    }

    /// Entries of many files, in parallel over `threads` workers; a failure is kept per file.
    public func entries(for paths: [String], threads: Int,
                        progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) -> [Result<(spectrogram: StoredSpectrogram, audioHash: String), Error>] {
        let results = ResultSlots<Result<(spectrogram: StoredSpectrogram, audioHash: String), Error>>(count: paths.count)
        let counter = ProgressCounter()
        let workers = max(1, min(threads, paths.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: paths.count, by: workers) {
                results[index] = Result { try entry(for: paths[index]) }
                progress(counter.increment(), paths.count)
            }
        }
        return results.values.map { $0! }
    }

    /// Log-mels of many files, in parallel over `threads` workers; a failure is kept per file.
    public func spectrograms(for paths: [String], threads: Int,
                             progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) -> [Result<StoredSpectrogram, Error>] {
        entries(for: paths, threads: threads, progress: progress).map { $0.map(\.spectrogram) }
    }
}

/// Fixed slots written by parallel workers, each slot by exactly one worker.
final class ResultSlots<T>: @unchecked Sendable {
    private(set) var values: [T?]
    private let lock = Lock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    subscript(index: Int) -> T? {
        get { lock.withLock { values[index] } }
        set { lock.withLock { values[index] = newValue } }
    }
}

final class ProgressCounter: @unchecked Sendable {
    private var count = 0
    private let lock = Lock()

    func increment() -> Int { lock.withLock { count += 1; return count } }
}

/// Whether cache writes still work, shared by the workers of one cache.
final class CacheWrites: @unchecked Sendable {
    private var first: FileError?
    private let lock = Lock()

    var failure: FileError? { lock.withLock { first } }

    func record(_ error: FileError) { lock.withLock { if first == nil { first = error } } }
}

/// Two FNV-1a 64-bit lanes (different offset bases) over the samples' bit patterns and their
/// count: 128 bits, so distinct audio practically never collides.
struct SampleHash {
    private var a: UInt64 = 0xCBF2_9CE4_8422_2325
    private var b: UInt64 = 0x6C62_272E_07BB_0142
    private var count: UInt64 = 0

    mutating func add(_ samples: [Float]) {
        for sample in samples {
            var bits = UInt64(sample.bitPattern)
            for _ in 0..<4 {
                let byte = bits & 0xff
                a = (a ^ byte) &* 0x0000_0100_0000_01B3
                b = (b ^ byte) &* 0x0000_0100_0000_01B3
                b ^= b >> 29
                bits >>= 8
            }
        }
        count += UInt64(samples.count)
    }

    var hex: String {
        let x = (a ^ count) &* 0x0000_0100_0000_01B3
        func pad(_ v: UInt64) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }
        return pad(x) + pad(b)
    }
}
