import Files

/// A tensor's bytes, shared with what holds them: a file mapped read-only (`MappedFile`), or a
/// copy of bytes made in memory. A file's tensors are views of the one mapping, not copies.
public struct SharedBytes: @unchecked Sendable, Equatable {
    /// Keeps `start` valid: the mapping, or the allocation of a copy.
    private let owner: AnyObject
    private let start: UnsafeRawPointer
    public let count: Int

    /// A copy of `bytes`.
    public init(_ bytes: some Collection<UInt8>) {
        let copy = Allocation(bytes)
        (owner, start, count) = (copy, UnsafeRawPointer(copy.base), bytes.count)
    }

    /// All of `file`'s bytes, in place.
    init(_ file: MappedFile) {
        (owner, start, count) = (file, file.bytes.baseAddress!, file.bytes.count)
    }

    private init(owner: AnyObject, start: UnsafeRawPointer, count: Int) {
        (self.owner, self.start, self.count) = (owner, start, count)
    }

    /// Bytes `range` of these, sharing their owner.
    subscript(range: Range<Int>) -> SharedBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the bytes")
        return SharedBytes(owner: owner, start: start + range.lowerBound, count: range.count)
    }

    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(owner) { try body(UnsafeRawBufferPointer(start: start, count: count)) }
    }

    public static func == (a: SharedBytes, b: SharedBytes) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }

    /// Bytes copied into memory of their own.
    private final class Allocation {
        let base: UnsafeMutableRawPointer

        init(_ bytes: some Collection<UInt8>) {
            base = .allocate(byteCount: max(1, bytes.count), alignment: 16)
            _ = UnsafeMutableRawBufferPointer(start: base, count: bytes.count).initializeMemory(as: UInt8.self, from: bytes)
        }

        deinit { base.deallocate() }
    }
}
