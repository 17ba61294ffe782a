import Basics
import Glibc
import Files

/// Element types of the safetensors format (the subset this project reads and writes).
public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteCount: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

/// One tensor: its type, shape and raw little-endian bytes.
public struct StoredTensor: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    /// The tensor's bytes; a tensor read from a file shares the file's mapping (no copy).
    public let bytes: SharedBytes

    public init(dtype: DType, shape: [Int], bytes: SharedBytes) {
        precondition(bytes.count == shape.reduce(1, *) * dtype.byteCount, "byte count does not match shape")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(floats: [Float], shape: [Int]) {
        self.init(dtype: .f32, shape: shape, bytes: floats.withUnsafeBytes { SharedBytes($0) })
    }

    public init(int64s: [Int64], shape: [Int]) {
        self.init(dtype: .i64, shape: shape, bytes: int64s.withUnsafeBytes { SharedBytes($0) })
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The values as Float, converting from any floating or integer type.
    public func floats() -> [Float] {
        bytes.withUnsafeBytes { raw -> [Float] in
            let n = elementCount
            switch dtype {
            case .f32:  // little-endian float32, as this machine's: the bytes as they are
                return [Float](unsafeUninitializedCapacity: n) { values, count in
                    UnsafeMutableRawBufferPointer(values).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(4 * n)]))
                    count = n
                }
            case .f64: return (0..<n).map { Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            case .i64: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            case .i32: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            case .i16: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
            case .i8: return (0..<n).map { Float(raw.load(fromByteOffset: $0, as: Int8.self)) }
            case .u8, .bool: return (0..<n).map { Float(raw.load(fromByteOffset: $0, as: UInt8.self)) }
            case .f16: return (0..<n).map { Float(halfBits: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
            case .bf16: return (0..<n).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
            }
        }
    }

    /// The values as Int64 (integer types only).
    public func int64s() -> [Int64]? {
        bytes.withUnsafeBytes { raw -> [Int64]? in
            let n = elementCount
            switch dtype {
            case .i64: return (0..<n).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
            case .i32: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            case .i16: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
            case .i8: return (0..<n).map { Int64(raw.load(fromByteOffset: $0, as: Int8.self)) }
            case .u8, .bool: return (0..<n).map { Int64(raw.load(fromByteOffset: $0, as: UInt8.self)) }
            default: return nil
            }
        }
    }
}

extension Float {
    init(halfBits h: UInt16) {
        self = Float(Float16(bitPattern: h))
    }
}

/// What can be wrong with a safetensors file; `description` is one line naming the file.
public typealias SafeTensorsError = FileError

/// A parsed safetensors file: tensors by name and the string metadata.
public struct SafeTensorsFile: Sendable {
    public var tensors: [String: StoredTensor]
    public var metadata: [String: String]

    public init(tensors: [String: StoredTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Names in a stable (sorted) order.
    public var names: [String] { tensors.keys.sorted() }

    public subscript(name: String) -> StoredTensor? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    /// Largest header we accept; real headers are a few hundred kB at most.
    static let maxHeaderBytes = 100_000_000

    /// The file at `path`, mapped: its tensors are read in place (`MappedFile`).
    public init(contentsOf path: String) throws {
        let failure = "genre: error: \(path): could not be read while in use (changed in place by another program, or a disk error)"
        if let file = ReadOnlyFile(path: path), let mapping = MappedFile(file, failureMessage: failure) {
            try self.init(shared: SharedBytes(mapping), path: path)
            return
        }
        // Empty, not mappable (a file system without mmap) or not readable: read, or refused
        // with the reason.
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path: path)
        } catch let error as FileError {
            throw SafeTensorsError(path: path, problem: error.problem)
        }
        try self.init(bytes: bytes, path: path)
    }

    /// Parses and validates: header length, JSON, dtypes, shapes, offsets inside the data, no overlap.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        try self.init(shared: SharedBytes(bytes), path: path)
    }

    private init(shared bytes: SharedBytes, path: String) throws {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(path: path, problem: problem) }
        guard bytes.count >= 8 else {
            throw fail("not a safetensors file (\(bytes.count) bytes, shorter than the 8-byte header length)")
        }
        let headerLength = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw fail("header length \(headerLength) is implausibly large (not a safetensors file?)")
        }
        guard 8 + Int(headerLength) <= bytes.count else {
            throw fail("truncated: header says \(headerLength) bytes but the file has \(bytes.count - 8) after the length")
        }
        let headerBytes = bytes.withUnsafeBytes { Array($0[8..<(8 + Int(headerLength))]) }
        guard let header = (try? JSON(parsing: headerBytes))?.object else {
            throw fail("header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataCount = bytes.count - dataStart
        var tensors: [String: StoredTensor] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value.object else { throw fail("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v.string else { throw fail("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value.object else { throw fail("entry '\(name)' is not an object") }
            guard let dtypeName = entry["dtype"]?.string else { throw fail("tensor '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor '\(name)' has unsupported dtype \(dtypeName)") }
            guard let shape = entry["shape"].flatMap(Self.integers), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has an invalid shape")
            }
            guard let offs = entry["data_offsets"].flatMap(Self.integers), offs.count == 2 else {
                throw fail("tensor '\(name)' has invalid data_offsets")
            }
            let (begin, end) = (offs[0], offs[1])
            guard begin >= 0, begin <= end, end <= dataCount else {
                throw fail("tensor '\(name)' data_offsets [\(begin), \(end)] lie outside the \(dataCount) data bytes")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d)
                return (r.partialValue, acc.1 || r.overflow)
            }
            let (byteCount, tooMany) = count.multipliedReportingOverflow(by: dtype.byteCount)
            guard !overflow, !tooMany, byteCount == end - begin else {
                throw fail("tensor '\(name)' shape \(shape) of \(dtypeName) needs \(overflow || tooMany ? "too many" : String(byteCount)) bytes but its offsets span \(end - begin)")
            }
            if end > begin { ranges.append((begin, end, name)) }
            tensors[name] = StoredTensor(dtype: dtype, shape: shape, bytes: bytes[(dataStart + begin)..<(dataStart + end)])
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw fail("tensors '\(a.2)' and '\(b.2)' overlap")
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func integers(_ value: JSON) -> [Int]? {
        guard let values = value.array else { return nil }
        let integers = values.compactMap(\.integer)
        return integers.count == values.count ? integers : nil
    }

    /// The serialised file: header JSON (keys sorted, 8-byte aligned) and data in name order.
    public func serialized() -> [UInt8] {
        var entries: [String] = []
        var offset = 0
        let names = self.names
        for name in names {
            let t = tensors[name]!
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(Self.jsonString(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        if !metadata.isEmpty {
            let meta = metadata.keys.sorted().map { "\(Self.jsonString($0)):\(Self.jsonString(metadata[$0]!))" }
            entries.insert("\"__metadata__\":{\(meta.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8((length >> (8 * UInt64(i))) & 0xff)) }
        out += header
        for name in names { tensors[name]!.bytes.withUnsafeBytes { out.append(contentsOf: $0) } }
        return out
    }

    /// Writes atomically: a temporary file in the same folder, fsync, then rename over `path`.
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(cFormat: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
