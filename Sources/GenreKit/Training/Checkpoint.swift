import Basics
import Engine
import Features
import Files
import FoundationEssentials
import Glibc
import Models
import SafeTensors

/// What a checkpoint says about the network it holds (docs/contracts.md §3 `__metadata__`): enough to
/// rebuild the network and turn audio into exactly the input it was trained on.
public struct CheckpointInfo: Sendable {
    public var spec: ModelSpec
    public var labels: [String]
    public var features: FeatureParameters
    public var windowing: Windowing
    /// Scalar normalisation of the log-mel input, measured on the training windows.
    public var mean: Float
    public var std: Float
    /// Anything else worth keeping (epoch, metrics, config), as strings.
    public var extra: [String: String]

    public init(spec: ModelSpec, labels: [String], features: FeatureParameters, windowing: Windowing,
                mean: Float, std: Float, extra: [String: String] = [:]) {
        (self.spec, self.labels, self.features, self.windowing) = (spec, labels, features, windowing)
        (self.mean, self.std, self.extra) = (mean, std, extra)
    }
}

/// Checkpoints PyTorch loads as they are: the network's state_dict (conv OIHW, linear [out, in],
/// float32, `num_batches_tracked` int64) in a safetensors file with `format` `genre/1` metadata.
public enum Checkpoint {
    public static let format = "genre/1"

    /// Writes atomically: the last good checkpoint survives a crash mid-write.
    public static func write(_ network: Network, info: CheckpointInfo, to path: String) throws {
        try file(network, info: info).write(to: path)
    }

    /// The checkpoint as a safetensors file in memory.
    public static func file(_ network: Network, info: CheckpointInfo) -> SafeTensorsFile {
        var file = SafeTensorsFile(metadata: metadata(info))
        for (entry, parameter) in network.stateTensors.map({ ($0.entry, $0.parameter) }) {
            file[entry.name] = entry.isInt64
                ? StoredTensor(int64s: [Int64(parameter.value.data[0])], shape: entry.shape)
                : StoredTensor(floats: parameter.torchValues(), shape: entry.shape)
        }
        return file
    }

    /// Reads a checkpoint, rebuilds its network and loads every tensor; any problem is one line
    /// naming the file.
    public static func load(path: String) throws -> (network: Network, info: CheckpointInfo) {
        let (file, info) = try read(path: path)
        return (network(file, info: info), info)
    }

    /// Reads a checkpoint and checks its metadata and every tensor against the spec's state_dict,
    /// without building the network; any problem is one line naming the file.
    public static func read(path: String) throws -> (file: SafeTensorsFile, info: CheckpointInfo) {
        let file = try SafeTensorsFile(contentsOf: path)
        let info = try self.info(file, path: path)
        try validate(file, entries: info.spec.network.stateDict, describe: describe(info.spec), path: path)
        return (file, info)
    }

    /// The network of a checkpoint `read` has validated, its tensors loaded.
    public static func network(_ file: SafeTensorsFile, info: CheckpointInfo) -> Network {
        let network = Network(zeroed: info.spec)
        assign(file, into: network)  // validated against the same state_dict
        return network
    }

    /// Reads the metadata alone.
    public static func info(_ file: SafeTensorsFile, path: String) throws -> CheckpointInfo {
        func fail(_ problem: String) -> FileError { FileError(path: path, problem: problem) }
        guard let format = file.metadata["format"] else { throw fail("not a genre checkpoint (no format in its metadata)") }
        guard format == Self.format else { throw fail("checkpoint format '\(format)' is not \(Self.format)") }
        func object(_ key: String) throws -> JSONObject {
            guard let text = file.metadata[key], let json = try? JSON(parsing: text.utf8) else {
                throw fail("metadata '\(key)' is missing or not JSON")
            }
            do { return try JSONObject(json, path: key) } catch let error as ConfigError { throw fail(error.description) }
        }
        do {
            guard let text = file.metadata["labels"], let labels = (try? JSON(parsing: text.utf8))?.strings,
                  !labels.isEmpty else { throw fail("metadata 'labels' is missing or not a JSON array of names") }
            var model = try object("model")
            guard let archName = try model.string("arch"), let arch = ModelSpec.Architecture(rawValue: archName) else {
                throw fail("metadata 'model' has no known arch (\(ModelSpec.Architecture.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let width = try model.double("width"), let inChannels = try model.int("in_channels"), let classes = try model.int("classes") else {
                throw fail("metadata 'model' needs width, in_channels and classes (= \(labels.count) labels)")
            }
            // Bounds that keep a hostile header from asking for absurd networks (or trapping while building one).
            guard width >= Self.widths.lowerBound, width <= Self.widths.upperBound else {
                throw fail("metadata 'model.width' \(width) is outside \(Self.widths.lowerBound)…\(Self.widths.upperBound)")
            }
            guard (1...Self.maxInChannels).contains(inChannels) else {
                throw fail("metadata 'model.in_channels' \(inChannels) is outside 1…\(Self.maxInChannels)")
            }
            guard (1...Self.maxClasses).contains(classes) else { throw fail("metadata 'model.classes' \(classes) is outside 1…\(Self.maxClasses)") }
            guard classes == labels.count else {
                throw fail("metadata 'model.classes' is \(classes) but 'labels' names \(labels.count)")
            }
            let dropout = try model.double("dropout")
            if let dropout, !(0..<1).contains(dropout) { throw fail("metadata 'model.dropout' \(dropout) is outside [0, 1)") }
            let groups = try model.int("groups") ?? 3
            guard [1, 2, 3, 4, 8].contains(groups) else { throw fail("metadata 'model.groups' \(groups) is not 1, 2, 3, 4 or 8") }
            let spec = ModelSpec(arch: arch, width: width, inChannels: inChannels, classes: classes, dropout: dropout, groups: groups)
            if let problem = spec.structureProblem { throw fail("metadata 'model' describes no working network: \(problem)") }
            var f = try object("features")
            var features = FeatureParameters()
            var windowing = Windowing()
            try f.readFeatures(into: &features, &windowing)
            guard let mean = try f.double("mean"), let std = try f.double("std"), std > 0 else {
                throw fail("metadata 'features' needs mean and std > 0")
            }
            guard abs(mean) <= 1e6, std >= 1e-6, std <= 1e6 else {
                throw fail("metadata 'features.mean' \(mean) or 'features.std' \(std) is implausible (|mean| ≤ 1e6, 1e-6 ≤ std ≤ 1e6)")
            }
            if let problem = features.problem ?? windowing.problem(features) { throw fail("metadata 'features': \(problem)") }
            let known: Set = ["format", "labels", "model", "features"]
            return CheckpointInfo(spec: spec, labels: labels, features: features, windowing: windowing, mean: Float(mean), std: Float(std),
                                  extra: file.metadata.filter { !known.contains($0.key) })
        } catch let error as ConfigError {
            throw fail("metadata \(error.description)")
        }
    }

    /// Loads a state_dict into a network of the same spec: every expected tensor must be there
    /// with its shape and dtype, and nothing else (PyTorch's strict loading). Like PyTorch, a
    /// missing BatchNorm `num_batches_tracked` (older state_dicts) is accepted and counts as 0.
    public static func load(_ file: SafeTensorsFile, into network: Network, path: String) throws {
        try validate(file, entries: network.stateTensors.map(\.entry), describe: describe(network.spec), path: path)
        assign(file, into: network)
    }

    /// Copies every tensor of a validated `file` into `network`.
    private static func assign(_ file: SafeTensorsFile, into network: Network) {
        for (entry, parameter) in network.stateTensors.map({ ($0.entry, $0.parameter) }) {
            if entry.isInt64 {
                parameter.value.data[0] = Float(file[entry.name]?.int64s()?[0] ?? 0)
            } else {
                let tensor = file[entry.name]!
                if tensor.dtype == .f32 {
                    tensor.bytes.withUnsafeBytes { parameter.load(torchFloats: $0) }
                } else {
                    parameter.load(torchValues: tensor.floats())
                }
            }
        }
    }

    /// Widest range of the width multiplier, input channels and classes a checkpoint may claim.
    static let widths = 0.01...4.0
    static let maxInChannels = 1024
    static let maxClasses = 100_000

    private static func describe(_ spec: ModelSpec) -> String {
        "\(spec.arch.rawValue) α=\(spec.width) with \(spec.classes) classes"
    }

    /// Checks a state_dict against `entries` without touching a network: the names, shapes and
    /// dtypes, and the values — every float finite, running variances ≥ 0, batch counts ≥ 0.
    static func validate(_ file: SafeTensorsFile, entries: [StateEntry], describe: String, path: String) throws {
        func fail(_ problem: String) -> FileError { FileError(path: path, problem: problem) }
        for entry in entries {
            guard let tensor = file[entry.name] else {
                if entry.isInt64 { continue }
                throw fail("missing tensor '\(entry.name)' (\(describe))")
            }
            guard tensor.shape == entry.shape else {
                throw fail("tensor '\(entry.name)' has shape \(tensor.shape), \(describe) expects \(entry.shape)")
            }
            guard tensor.dtype == (entry.isInt64 ? .i64 : .f32) else {
                throw fail("tensor '\(entry.name)' is \(tensor.dtype.rawValue), expected \(entry.isInt64 ? "I64" : "F32")")
            }
        }
        let expected = Set(entries.map(\.name))
        if let unexpected = file.names.first(where: { !expected.contains($0) }) {
            throw fail("unexpected tensor '\(unexpected)' for \(describe)")
        }
        for entry in entries {
            guard let tensor = file[entry.name] else { continue }
            if entry.isInt64 {
                if let count = tensor.int64s()?.first, count < 0 { throw fail("tensor '\(entry.name)' is negative (\(count))") }
                continue
            }
            let isVariance = entry.name.hasSuffix(".running_var")
            guard !Self.allFinite(tensor, nonNegative: isVariance) else { continue }
            // Something is wrong: find the first bad value to name it.
            try tensor.bytes.withUnsafeBytes { raw in
                for index in 0..<tensor.elementCount {
                    let value = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
                    guard value.isFinite else { throw fail("tensor '\(entry.name)' holds a non-finite value (\(value)) at index \(index)") }
                    if isVariance, value < 0 { throw fail("tensor '\(entry.name)' holds a negative variance (\(value)) at index \(index)") }
                }
            }
        }
    }

    /// Whether every float32 of `tensor` is finite (and not below zero with `nonNegative`),
    /// eight at a time: a float is finite unless its exponent bits are all ones.
    private static func allFinite(_ tensor: StoredTensor, nonNegative: Bool) -> Bool {
        typealias V = SIMD8<UInt32>
        let exponent = V(repeating: 0x7F80_0000), sign = V(repeating: 0x8000_0000)
        return tensor.bytes.withUnsafeBytes { raw in
            let n = tensor.elementCount
            var bad = SIMDMask<V.MaskStorage>(repeating: false)
            var i = 0
            while i + 8 <= n {
                let bits = raw.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
                bad .|= (bits & exponent) .== exponent
                // Below zero: the sign bit set on anything but −0.
                if nonNegative { bad .|= ((bits & sign) .!= 0) .& ((bits & ~sign) .!= 0) }
                i += 8
            }
            for index in i..<n {
                let value = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
                if !value.isFinite || nonNegative && value < 0 { return false }
            }
            return !any(bad)
        }
    }

    static func metadata(_ info: CheckpointInfo) -> [String: String] {
        func number(_ value: some BinaryInteger) -> JSON { .number(Double(value)) }
        var model: [String: JSON] = ["arch": .string(info.spec.arch.rawValue), "width": .number(info.spec.width),
                                     "in_channels": number(info.spec.inChannels), "classes": number(info.spec.classes),
                                     "dropout": .number(info.spec.dropout)]
        if info.spec.arch == .shufflenetV1 { model["groups"] = number(info.spec.groups) }
        let f = info.features
        let features: [String: JSON] = [
            "sample_rate": number(f.sampleRate), "n_fft": number(f.nFFT), "hop_length": number(f.hopLength),
            "n_mels": number(f.nMels), "fmin": .number(f.fmin), "fmax": .number(f.fmax ?? Double(f.sampleRate) / 2),
            "top_db": .number(Double(f.topDB)),
            "segment_seconds": .number(info.windowing.segmentSeconds), "segment_hop_seconds": .number(info.windowing.segmentHopSeconds),
            "mean": .number(Double(info.mean)), "std": .number(Double(info.std)),
        ]
        // Compact JSON with sorted keys, so the same checkpoint always has the same bytes.
        var metadata = info.extra
        metadata["format"] = format
        metadata["labels"] = JSON.array(info.labels.map(JSON.string)).text
        metadata["model"] = JSON.object(model).text
        metadata["features"] = JSON.object(features).text
        return metadata
    }
}
