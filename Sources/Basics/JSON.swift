import FoundationEssentials

/// A parsed JSON value. Numbers are `Double`s (what JSON promises); a reader that wants an
/// integer checks that the number is one.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// Parses UTF-8 JSON text (any value at the top, not only an object or array; see `JSONParser`).
    public init(parsing bytes: some Sequence<UInt8>) throws {
        var parser = JSONParser(Array(bytes))
        self = try parser.document()
    }

    /// Compact JSON with the keys sorted and `/` left as it is, so the same value always has
    /// the same bytes; a NaN or infinite number is written as null. A file name's byte that is not
    /// UTF-8 (`FileSystemBytes`) is written `\udcXX`, as Python's `json` writes such a name and
    /// `os.fsencode` turns it back into the byte.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
        guard text.utf8.contains(0xF4) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if let byte = FileSystemBytes.escapedByte(scalar) {
                escaped += String(cFormat: "\\udc%02x", Int(byte)).unicodeScalars
            } else {
                escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    public var object: [String: JSON]? { if case .object(let v) = self { v } else { nil } }
    public var array: [JSON]? { if case .array(let v) = self { v } else { nil } }
    public var string: String? { if case .string(let v) = self { v } else { nil } }
    public var number: Double? { if case .number(let v) = self { v } else { nil } }
    public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var isNull: Bool { self == .null }

    /// The number when it is a whole one a `Double` holds exactly (|n| < 10¹⁵).
    public var integer: Int? {
        guard let n = number, n == n.rounded(), abs(n) < 1e15 else { return nil }
        return Int(n)
    }

    /// An array of strings, or nil when anything in it is not a string.
    public var strings: [String]? {
        guard let array else { return nil }
        let strings = array.compactMap(\.string)
        return strings.count == array.count ? strings : nil
    }

    /// What the value is, for messages: "a string", "a number", "an array"…
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSON: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .number(let v) where !v.isFinite: try container.encodeNil()  // JSON has no NaN or infinity
        case .number(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
}
