import Engine
import Files
import Glibc
import Models
import SafeTensors

/// Starting from another checkpoint (`--init`) and keeping layers fixed (`training.freeze`).
public enum FineTuning {
    /// The classifier's state_dict prefix in every architecture (docs/contracts.md §3).
    public static let classifierPrefix = "classifier."

    /// What `load` did, for the log.
    public enum Outcome: Equatable, Sendable {
        /// Same labels: every tensor loaded.
        case everything
        /// Other labels: every tensor but the classifier's, which keeps its fresh initialisation.
        case allButClassifier(previousLabels: [String])
    }

    /// Loads `path` into `network` for training on `labels`: everything when the checkpoint has
    /// the same labels, otherwise every layer but the classifier. The architecture and width must
    /// be the network's.
    @discardableResult
    public static func load(checkpoint path: String, into network: Network, labels: [String]) throws -> Outcome {
        let file = try SafeTensorsFile(contentsOf: path)
        let info = try Checkpoint.info(file, path: path)
        let spec = network.spec
        guard info.spec.arch == spec.arch, info.spec.width == spec.width, info.spec.inChannels == spec.inChannels,
              info.spec.arch != .shufflenetV1 || info.spec.groups == spec.groups else {
            throw FileError(path: path, problem: "holds \(info.spec.arch.rawValue) α=\(info.spec.width), the config trains "
                + "\(spec.arch.rawValue) α=\(spec.width): --init needs the same architecture and width")
        }
        if info.labels == labels {
            try Checkpoint.load(file, into: network, path: path)
            return .everything
        }
        // Every tensor outside the classifier, checked as strictly as a full load.
        var body = SafeTensorsFile(metadata: file.metadata)
        for name in file.names where !name.hasPrefix(classifierPrefix) { body[name] = file[name] }
        let fresh = Checkpoint.file(network, info: try Checkpoint.info(file, path: path))
        for name in fresh.names where name.hasPrefix(classifierPrefix) { body[name] = fresh[name] }
        try Checkpoint.load(body, into: network, path: path)
        return .allButClassifier(previousLabels: info.labels)
    }

    /// The parameters the optimiser updates: all trainable ones except those under a `freeze`
    /// prefix (a prefix matches a whole name or a dotted beginning: `features.1` holds
    /// `features.1.conv.0.0.weight`, not `features.10…`). A prefix that matches nothing is an error.
    public static func trainable(_ network: Network, freeze: [String]) throws -> [NamedParameter] {
        let all = network.parameters(prefix: "")
        func frozen(_ name: String, by prefix: String) -> Bool { name == prefix || name.hasPrefix(prefix + ".") }
        for prefix in freeze where !all.contains(where: { frozen($0.name, by: prefix) }) {
            let roots = Array(Set(all.map { $0.name.split(separator: ".").prefix(2).joined(separator: ".") })).sorted()
            throw ConfigError(key: "training.freeze", problem: "'\(prefix)' names no parameter of \(network.spec.arch.rawValue) "
                + "(prefixes such as \(roots.prefix(4).joined(separator: ", ")), …, \(roots.last ?? ""))")
        }
        return all.filter { named in !freeze.contains { frozen(named.name, by: $0) } }
    }
}
