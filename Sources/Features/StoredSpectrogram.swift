import Files
import Glibc

/// What windows are cut from: a [nMels, frames] log-mel's values in one contiguous run.
public protocol SpectrogramValues {
    var nMels: Int { get }
    var frames: Int { get }
    /// The smallest value, which pads a clip shorter than one window (docs/contracts.md §2).
    var minimum: Float { get }
    var maximum: Float { get }
    func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

extension Spectrogram: SpectrogramValues {
    public func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer(body)
    }
}

/// A clip's log-mel as a data set keeps it: mapped from its feature-cache `.npy` file, so that a
/// data set larger than memory (25 000 clips of 30 s are 16.5 GB of log-mels) is paged in and out
/// by the kernel instead of held whole, and the processes of a machine share one copy; or, when
/// there is no file to map, held in memory.
public final class StoredSpectrogram: SpectrogramValues, @unchecked Sendable {
    public let nMels: Int
    public let frames: Int
    public let minimum: Float
    public let maximum: Float
    private let values: UnsafeBufferPointer<Float>
    /// The mapping to undo, or nil when `values` was allocated.
    private let mapping: (address: UnsafeMutableRawPointer, length: Int)?

    /// A copy of `spectrogram` in memory.
    public init(_ spectrogram: Spectrogram) {
        let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: spectrogram.values.count)
        _ = copy.initialize(from: spectrogram.values)
        (nMels, frames, values, mapping) = (spectrogram.nMels, spectrogram.frames, UnsafeBufferPointer(copy), nil)
        (minimum, maximum) = spectrogram.extremes
    }

    /// The [nMels, frames] float32 `.npy` file at `path`, mapped read-only. The file must not be
    /// changed in place while mapped (the feature cache replaces its files by renaming); if a
    /// read fails all the same, the process ends with `failureMessage` (`ReadOnlyFile.map`).
    public init(mapping path: String, failureMessage: String) throws {
        guard let file = ReadOnlyFile(path: path), file.isRegularFile else {
            throw FileError(path: path, problem: FileProblem.describe(path: path))
        }
        let size = Int(file.size)
        guard let head = file.read(at: 0, count: min(size, 1 << 16)) else { throw FileError(path: path, problem: "cannot be read") }
        let layout = try NpyReader.layout(head: head, fileSize: size, path: path)
        guard layout.shape.count == 2 else { throw FileError(path: path, problem: "expected a 2-D array, got shape \(layout.shape)") }
        guard layout.body % MemoryLayout<Float>.alignment == 0 else { throw FileError(path: path, problem: "floats not aligned for mapping") }
        guard let address = file.map(failureMessage: failureMessage) else {
            throw FileError(path: path, problem: "cannot be mapped (\(String(cString: strerror(errno))))")
        }
        // The values are read in place: little-endian floats, as on every machine genre builds for.
        (nMels, frames) = (layout.shape[0], layout.shape[1])
        values = UnsafeBufferPointer(start: (address + layout.body).assumingMemoryBound(to: Float.self), count: layout.count)
        mapping = (address, size)
        (minimum, maximum) = Spectrogram.extremes(of: values)
    }

    deinit {
        if let mapping {
            munmap(mapping.address, mapping.length)
        } else {
            UnsafeMutableBufferPointer(mutating: values).deallocate()
        }
    }

    public func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R { try body(values) }

    /// A copy of the values as a `Spectrogram`.
    public var inMemory: Spectrogram { Spectrogram(nMels: nMels, frames: frames, values: Array(values)) }

    /// Whether the values are read from a mapped file rather than held in memory.
    public var isMapped: Bool { mapping != nil }
}
