import Basics

/// A strict reader over a parsed JSON object: every key must be known and of the right type,
/// and errors name the key by its dotted path (`training.optimizer.lr`).
struct JSONObject {
    let path: String
    private let values: [String: JSON]
    private var known: Set<String> = []

    init(_ json: JSON, path: String) throws {
        guard let values = json.object else {
            throw ConfigError(key: path, problem: "expected an object, got \(json.kind)")
        }
        self.path = path
        self.values = values
    }

    private func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value of `key`, marking it as known; nil when absent or null.
    private mutating func raw(_ key: String) -> JSON? {
        known.insert(key)
        guard let value = values[key], !value.isNull else { return nil }
        return value
    }

    mutating func object(_ key: String) throws -> JSONObject? {
        try raw(key).map { try JSONObject($0, path: keyPath(key)) }
    }

    mutating func string(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard let s = value.string else { throw typeError(key, "a string", value) }
        return s
    }

    /// One of an enumeration's names; anything else is an error listing the choices.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ key: String) throws -> Choice? where Choice.RawValue == String {
        guard let name = try string(key) else { return nil }
        guard let value = Choice(rawValue: name) else {
            throw error(key, "'\(name)' is not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    mutating func double(_ key: String) throws -> Double? {
        guard let value = raw(key) else { return nil }
        guard let n = value.number else { throw typeError(key, "a number", value) }
        return n
    }

    mutating func int(_ key: String) throws -> Int? {
        guard let value = raw(key) else { return nil }
        guard let n = value.integer else { throw typeError(key, "an integer", value) }
        return n
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let value = raw(key) else { return nil }
        guard let b = value.bool else { throw typeError(key, "true or false", value) }
        return b
    }

    mutating func doubles(_ key: String) throws -> [Double]? {
        guard let value = raw(key) else { return nil }
        guard let array = value.array else { throw typeError(key, "an array of numbers", value) }
        return try array.map { item in
            guard let n = item.number else { throw typeError(key, "an array of numbers", value) }
            return n
        }
    }

    mutating func strings(_ key: String) throws -> [String]? {
        guard let value = raw(key) else { return nil }
        guard let strings = value.strings else { throw typeError(key, "an array of strings", value) }
        return strings
    }

    /// Call after reading every key: anything left over is a typo or an unsupported setting.
    func rejectUnknownKeys() throws {
        if let unknown = values.keys.filter({ !known.contains($0) }).sorted().first {
            throw ConfigError(key: keyPath(unknown), problem: "unknown key")
        }
    }

    func error(_ key: String, _ problem: String) -> ConfigError { ConfigError(key: keyPath(key), problem: problem) }

    private func typeError(_ key: String, _ expected: String, _ value: JSON) -> ConfigError {
        ConfigError(key: keyPath(key), problem: "expected \(expected), got \(value.kind)")
    }
}

/// A bad setting: the dotted key and what is wrong with it.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let problem: String
    public var description: String { key.isEmpty ? problem : "\(key): \(problem)" }
}
