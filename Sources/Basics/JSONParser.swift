/// RFC 8259 JSON text to a `JSON` value, in one pass over the bytes. (FoundationEssentials'
/// JSONDecoder can only learn a value's type by trying each and catching the error, which cost a
/// checkpoint's header thousands of thrown errors.) Like Foundation's reader it takes any value
/// at the top and a trailing comma in an array or object; it refuses invalid UTF-8, control
/// characters in strings, lone surrogates, numbers outside `Double`'s range, and nesting deeper
/// than `maximumDepth`.
struct JSONParser {
    /// Where the text stops being JSON, as an editor counts: line and column from 1, a column
    /// being a character.
    struct Failure: Error, CustomStringConvertible {
        let line: Int
        let column: Int
        let problem: String
        var description: String { "line \(line), column \(column): \(problem)" }
    }

    static let maximumDepth = 512

    private let bytes: [UInt8]
    private let start: Int
    private var index: Int
    private var depth = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte-order mark, as some editors write it.
        start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        index = start
    }

    mutating func document() throws -> JSON {
        let result = try value()
        skipWhitespace()
        guard index == bytes.count else { throw fail("text after the value") }
        return result
    }

    private func fail(_ problem: String) -> Failure {
        let end = min(index, bytes.count), slash = UInt8(ascii: "/")
        let lineStart = max(start, (bytes[..<end].lastIndex(of: 0x0A) ?? -1) + 1)
        let column = bytes[lineStart..<end].count { $0 & 0xC0 != 0x80 } + 1  // UTF-8 lead bytes
        // A hand-edited config's most common slip.
        let comment = end + 1 < bytes.count && bytes[end] == slash && [slash, UInt8(ascii: "*")].contains(bytes[end + 1])
        return Failure(line: bytes[..<end].count { $0 == 0x0A } + 1, column: column,
                       problem: comment ? "a comment, which JSON does not allow" : problem)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func value() throws -> JSON {
        skipWhitespace()
        guard let byte = next else { throw fail("missing value") }
        switch byte {
        case UInt8(ascii: "{"): return try nested { try $0.object() }
        case UInt8(ascii: "["): return try nested { try $0.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    private mutating func nested(_ body: (inout JSONParser) throws -> JSON) throws -> JSON {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw fail("nested more than \(Self.maximumDepth) deep") }
        return try body(&self)
    }

    private mutating func literal(_ word: StaticString, _ result: JSON) throws -> JSON {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              bytes[index..<(index + count)].elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: count)) else {
            throw fail("unexpected character")
        }
        index += count
        return result
    }

    /// `[` value (`,` value)* `,`? `]`, at the `[`.
    private mutating func array() throws -> JSON {
        var elements: [JSON] = []
        try members(closedBy: "]", in: "an array") { elements.append(try $0.value()) }
        return .array(elements)
    }

    /// `{` string `:` value (`,` …)* `,`? `}`, at the `{`.
    private mutating func object() throws -> JSON {
        var members: [String: JSON] = [:]
        try self.members(closedBy: "}", in: "an object") { parser in
            guard parser.next == UInt8(ascii: "\"") else { throw parser.fail("expected a key in an object") }
            let key = try parser.string()
            parser.skipWhitespace()
            guard parser.next == UInt8(ascii: ":") else { throw parser.fail("expected : after a key") }
            parser.index += 1
            members[key] = try parser.value()
        }
        return .object(members)
    }

    /// Comma-separated members up to `close` (a trailing comma taken too), from the opening
    /// bracket; `member` reads one, starting at its first character.
    private mutating func members(closedBy close: Unicode.Scalar, in container: String,
                                  _ member: (inout JSONParser) throws -> Void) throws {
        let close = UInt8(ascii: close)
        index += 1
        while true {
            skipWhitespace()
            if next == close {
                index += 1
                return
            }
            try member(&self)
            skipWhitespace()
            if next == UInt8(ascii: ",") {
                index += 1
            } else if next != close {
                throw fail("expected , or \(Character(Unicode.Scalar(close))) in \(container)")
            }
        }
    }

    /// `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?
    private mutating func number() throws -> Double {
        let numberStart = index
        func digits() -> Int {
            let first = index
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - first
        }
        if next == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0, bytes[integerStart] != UInt8(ascii: "0") || integerDigits == 1 else { throw fail("malformed number") }
        if next == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail("malformed number") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("malformed number") }
        }
        guard let value = Double(String(decoding: bytes[numberStart..<index], as: UTF8.self)), value.isFinite else {
            index = numberStart  // pointed at where it begins
            throw fail("number out of range")
        }
        return value
    }

    /// A string at its opening quote: escapes decoded, the bytes checked as UTF-8.
    private mutating func string() throws -> String {
        index += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = next else { throw fail("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &utf8)
            case 0..<0x20:
                index -= 1
                throw fail("control character in a string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func escape(into utf8: inout [UInt8]) throws {
        guard let byte = next else { throw fail("unterminated string") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard next == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail("lone surrogate in a string")
                }
                index += 2
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("lone surrogate in a string") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC80..<0xDD00).contains(scalar) {
                // A file name's byte that is not UTF-8, as `JSON.text` and Python write it.
                scalar = FileSystemBytes.escape(UInt8(scalar - 0xDC00)).value
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail("lone surrogate in a string")
            }
            utf8.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw fail("unknown escape in a string")
        }
    }

    private mutating func hexQuad() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16),
              bytes[index..<(index + 4)].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") }) else {
            throw fail("malformed \\u escape")
        }
        index += 4
        return value
    }
}
