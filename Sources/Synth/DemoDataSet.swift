import Basics
import Audio
import Files
import Dispatch
import FoundationEssentials
import Glibc

/// The built-in demo data set: short procedurally generated clips in one folder per genre,
/// named as GTZAN names them (`rock/rock.00000.wav`), 22050 Hz mono 16-bit WAV.
public enum DemoDataSet {
    /// The file that marks a folder as made by `synthesize`, holding its parameters.
    public static let markerName = ".genre-synth.json"
    public static let sampleRate = 22050

    /// What a folder was (or is to be) synthesised with; stored in the marker file.
    public struct Parameters: Codable, Sendable, Equatable {
        public var clipsPerGenre = 80
        public var seconds = 8.0
        public var seed: UInt64 = 1
        public var genres = GenreStyle.all.map(\.name)
        public var sampleRate = DemoDataSet.sampleRate
        /// False while clips are being written: a folder whose run was interrupted says so.
        public var complete = false

        public init(clipsPerGenre: Int = 80, seconds: Double = 8, seed: UInt64 = 1,
                    genres: [String] = GenreStyle.all.map(\.name)) {
            self.clipsPerGenre = clipsPerGenre
            self.seconds = seconds
            self.seed = seed
            self.genres = genres
        }

        enum CodingKeys: String, CodingKey {
            case clipsPerGenre = "clips_per_genre", seconds, seed, genres, sampleRate = "sample_rate", complete
        }

        /// The relative path of every clip, genre by genre.
        public var clipPaths: [String] {
            genres.flatMap { genre in (0..<clipsPerGenre).map { DemoDataSet.clipPath(genre: genre, index: $0) } }
        }
    }

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public static func clipPath(genre: String, index: Int) -> String {
        "\(genre)/\(genre).\(String(cFormat: "%05d", index)).wav"
    }

    /// The parameters a folder was made with, or nil if `synthesize` did not make it.
    public static func marker(in folder: String) -> Parameters? {
        let url = URL(fileURLWithPath: folder).appendingPathComponent(markerName)
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Parameters.self, from: data)
    }

    /// Renders the data set into `folder`, `progress(done, total)` after every clip (from worker
    /// threads, one call at a time). The same parameters always give byte-identical files.
    /// Refuses a non-empty folder it did not make unless `force`; in a folder it made, it first
    /// removes the clips of the previous run. Returns the paths written.
    @discardableResult
    public static func synthesize(to folder: String, parameters: Parameters = Parameters(), force: Bool = false,
                                  progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [String] {
        let styles = try validate(parameters)
        try prepare(folder, force: force)
        var pending = parameters
        pending.complete = false
        try writeMarker(pending, in: folder)
        for style in styles {
            try FileSystem.createFolder(folder + "/" + style.name)
        }

        let jobs = styles.flatMap { style in (0..<parameters.clipsPerGenre).map { (style, $0) } }
        let tracker = ProgressTracker(total: jobs.count, progress: progress)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { job in
            let (style, index) = jobs[job]
            let path = folder + "/" + clipPath(genre: style.name, index: index)
            // Each clip has its own generator, so the files do not depend on thread scheduling.
            var random = SeededRandom(seed: parameters.seed, stream: style.name, index: index)
            let clip = style.render(seconds: parameters.seconds, sampleRate: parameters.sampleRate, random: &random)
            do {
                try AudioWriter.write(samples: clip.samples, sampleRate: clip.sampleRate, to: path)
                tracker.finished()
            } catch {
                tracker.failed(error)
            }
        }
        if let error = tracker.firstError { throw error }
        pending.complete = true
        try writeMarker(pending, in: folder)
        return jobs.map { folder + "/" + clipPath(genre: $0.0.name, index: $0.1) }
    }

    private static func validate(_ parameters: Parameters) throws -> [GenreStyle] {
        guard parameters.clipsPerGenre >= 1 else { throw Problem(description: "clips per genre must be at least 1") }
        guard parameters.seconds >= 0.5, parameters.seconds <= 600 else {
            throw Problem(description: "clip length must be between 0.5 and 600 seconds")
        }
        guard parameters.sampleRate >= 8000 else { throw Problem(description: "sample rate must be at least 8000 Hz") }
        guard !parameters.genres.isEmpty else { throw Problem(description: "no genres given") }
        guard Set(parameters.genres).count == parameters.genres.count else {
            throw Problem(description: "a genre is listed twice: \(parameters.genres.joined(separator: ","))")
        }
        return try parameters.genres.map { name in
            guard let style = GenreStyle.named(name) else {
                let known = GenreStyle.all.map(\.name).joined(separator: ", ")
                throw Problem(description: "unknown genre '\(name)' (known: \(known))")
            }
            return style
        }
    }

    /// Creates the folder, or checks that it may be written into and clears an earlier run.
    private static func prepare(_ folder: String, force: Bool) throws {
        guard FileSystem.exists(folder) else { return try FileSystem.createFolder(folder) }
        guard FileSystem.isDirectory(folder) else { throw Problem(description: "\(folder): exists and is not a folder") }
        if var previous = marker(in: folder) {
            previous.genres.removeAll { GenreStyle.named($0) == nil }  // only ever delete what we name
            for path in previous.clipPaths { FileSystem.unlink(folder + "/" + path) }
            return
        }
        guard let contents = FileSystem.entries(folder) else {
            throw Problem(description: "\(folder): cannot list the folder (\(String(cString: strerror(errno))))")
        }
        guard contents.isEmpty || force else {
            throw Problem(description: "\(folder): folder is not empty and was not made by 'genre synth' (use --force to write into it)")
        }
    }

    private static func writeMarker(_ parameters: Parameters, in folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write([UInt8](try encoder.encode(parameters)), to: Path.join(folder, markerName))
    }
}

/// Counts finished clips and keeps the first error, across the worker threads.
private final class ProgressTracker: @unchecked Sendable {
    private let lock = Lock()
    private let total: Int
    private let progress: (@Sendable (Int, Int) -> Void)?
    private var done = 0
    private var error: Error?

    init(total: Int, progress: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.progress = progress
    }

    func finished() {
        lock.withLock {
            done += 1
            progress?(done, total)
        }
    }

    func failed(_ error: Error) {
        lock.withLock {
            if self.error == nil { self.error = error }
        }
    }

    var firstError: Error? {
        lock.withLock { error }
    }
}
