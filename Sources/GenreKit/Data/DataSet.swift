import Basics
import Engine
import Files
import Glibc

/// A folder-per-label collection of audio files (GTZAN's layout: `blues/blues.00000.wav`),
/// split by file into training, validation and test sets.
public struct DataSet: Sendable {
    public struct Item: Sendable, Hashable {
        /// Absolute or root-relative path as found.
        public let path: String
        /// `label/…/file`, relative to the root: the key split lists use.
        public let relativePath: String
        public let label: Int
    }

    public let root: String
    /// Label names in class-index order (sorted folder names).
    public let labels: [String]
    public let items: [Item]

    /// Extensions of the formats libsndfile reads, then of those FFmpeg decodes.
    public static let audioExtensions: Set<String> = [
        "wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "snd", "caf", "w64", "rf64",
        "m4a", "m4b", "m4p", "m4r", "mp4", "mov", "aac", "wma", "wv", "ape", "mpc", "ac3", "mka", "webm", "weba",
        "mp2", "mpa", "tta", "spx", "3gp", "3g2", "eac3", "dts", "dtshd", "thd", "mlp", "dsf", "dff", "amr",
    ]

    /// Scans `root`: every sub-folder is a label; audio files are collected recursively within it.
    public init(root: String) throws {
        guard let status = FileSystem.status(root) else { throw FileError(path: root, problem: "data folder does not exist") }
        guard status.isDirectory else { throw FileError(path: root, problem: "data root is not a folder") }
        guard let names = FileSystem.entries(root) else {
            throw FileError(path: root, problem: "cannot list the data folder (\(String(cString: strerror(errno))))")
        }
        let folders = names.filter { !Path.isHidden($0) && FileSystem.isDirectory(Path.join(root, $0)) }.sorted()
        guard !folders.isEmpty else {
            throw FileError(path: root, problem: "data folder has no label sub-folders (expected one folder per label)")
        }
        var items: [Item] = []
        for (label, folder) in folders.enumerated() {
            // A label is written into checkpoints and results as text.
            guard !folder.unicodeScalars.contains(where: { FileSystemBytes.escapedByte($0) != nil }) else {
                throw FileError(path: Path.join(root, folder), problem: "label folder's name is not UTF-8 text; rename it")
            }
            let files = try Self.audioFiles(under: Path.join(root, folder))
            guard !files.isEmpty else {
                throw FileError(path: Path.join(root, folder), problem: "label folder holds no audio files")
            }
            for relative in files {
                let rel = folder + "/" + relative
                items.append(Item(path: Path.join(root, rel), relativePath: rel, label: label))
            }
        }
        // One folder is most often a root one level too high (`music/genres/<label>/…`): a
        // one-class network would score 100 % and say nothing.
        if folders.count == 1 {
            throw FileError(path: root, problem: "data folder has one label sub-folder (\(folders[0])); a classifier needs two or more "
                + "(if the label folders are inside \(folders[0])/, point data.root there)")
        }
        self.root = root
        self.labels = folders
        self.items = items
    }

    /// Audio files below `folder`, as sorted paths relative to it; hidden files and folders
    /// skipped, as `genre predict` skips them. A folder that cannot be listed is an error: the
    /// data set would be silently smaller.
    static func audioFiles(under folder: String) throws -> [String] {
        var files: [String] = []
        var unlisted: (path: String, reason: String)?
        FileSystem.walk(folder, unlisted: { path in
            unlisted = unlisted ?? (path.isEmpty ? folder : Path.join(folder, path), String(cString: strerror(errno)))
        }) { path, name, status in
            guard let status, !Path.isHidden(name) else { return false }  // a dangling link, a hidden entry
            if status.isDirectory { return true }
            if audioExtensions.contains(Path.fileExtension(name).lowercased()) { files.append(path) }
            return false
        }
        if let unlisted { throw FileError(path: unlisted.path, problem: "cannot list the folder (\(unlisted.reason))") }
        return files.sorted()
    }

    public struct Split: Sendable {
        public var train: [Item]
        public var validation: [Item]
        /// Files the temperature is fitted on (`data.split.calibration`); empty when it is fitted
        /// on the validation split.
        public var calibration: [Item] = []
        public var test: [Item]

        /// The parts in the order the fractions cut them.
        var parts: [[Item]] { [train, validation, calibration, test] }
        init(parts: [[Item]]) { (train, validation, calibration, test) = (parts[0], parts[1], parts[2], parts[3]) }
        init(train: [Item], validation: [Item], calibration: [Item] = [], test: [Item]) {
            (self.train, self.validation, self.calibration, self.test) = (train, validation, calibration, test)
        }
    }

    /// How many of a label's `n` files go to each part: training (at least one), validation,
    /// calibration, and the rest to test, each fraction rounded.
    static func counts(_ n: Int, train: Double, validation: Double, calibration: Double) -> [Int] {
        let nTrain = max(1, Int((Double(n) * train).rounded()))
        let nValidation = min(n - nTrain, Int((Double(n) * validation).rounded()))
        let nCalibration = min(n - nTrain - nValidation, Int((Double(n) * calibration).rounded()))
        return [nTrain, nValidation, nCalibration, n - nTrain - nValidation - nCalibration]
    }

    /// Stratified, deterministic split: each label's files are shuffled with `seed` and cut by the
    /// fractions (rounded, at least one training file per label).
    public func split(train: Double, validation: Double, calibration: Double = 0, seed: UInt64) -> Split {
        var parts: [[Item]] = [[], [], [], []]
        for label in labels.indices {
            var files = items.filter { $0.label == label }
            var rng = SeededRandom(seed: seed &+ UInt64(label) &* 0x9E37_79B9_7F4A_7C15)
            files.shuffle(using: &rng)
            var start = 0
            for (part, count) in Self.counts(files.count, train: train, validation: validation, calibration: calibration).enumerated() {
                parts[part] += files[start..<(start + count)]
                start += count
            }
        }
        return Split(parts: parts)
    }

    /// Split from lists of `label/file` lines (GTZAN's fault-filtered split files).
    /// Listed files missing from the data set are errors; files in no list are left out.
    public func split(trainList: String, validationList: String, calibrationList: String? = nil, testList: String) throws -> Split {
        func read(_ list: String) throws -> [Item] {
            // Decoded as file names are, so a listed name that is not UTF-8 matches its file.
            try items(inSplitList: FileSystemBytes.string(FileBytes.read(path: list)), path: list)
        }
        return Split(train: try read(trainList), validation: try read(validationList), calibration: try calibrationList.map(read) ?? [],
                     test: try read(testList))
    }

    /// The items a split list names, one `label/file` per line; blank lines and `#` comments are
    /// skipped, and so is a byte-order mark (lists saved on Windows). `path` names the list in errors.
    public func items(inSplitList text: String, path: String) throws -> [Item] {
        let byPath = Dictionary(items.map { ($0.relativePath, $0) }, uniquingKeysWith: { a, _ in a })
        let text = text.unicodeScalars.first == "\u{FEFF}" ? Substring(text.unicodeScalars.dropFirst()) : Substring(text)
        return try text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().compactMap { number, raw in
            let line = raw.trimmingWhitespace()
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            guard let item = byPath[line] else {
                throw FileError(path: path, problem: "line \(number + 1): '\(line)' is not an audio file under \(root)")
            }
            return item
        }
    }
}
