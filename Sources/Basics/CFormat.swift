import Glibc

extension String {
    /// printf-style formatting through C's `vsnprintf` (`%.1f`, `%5d`, `%02x`…), for the figures in
    /// messages and tables. The arguments are numbers: `%d` takes an `Int` whose value fits 32 bits.
    public init(cFormat format: String, _ arguments: any CVarArg...) {
        self = Self.formatted(format, arguments)
    }

    public init(cFormat format: String, arguments: [any CVarArg]) {
        self = Self.formatted(format, arguments)
    }

    private static func formatted(_ format: String, _ arguments: [any CVarArg]) -> String {
        var buffer = [UInt8](repeating: 0, count: 128)
        func print() -> Int {
            Int(withVaList(arguments) { list in
                buffer.withUnsafeMutableBufferPointer { vsnprintf(UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count, format, list) }
            })
        }
        let needed = print()
        if needed >= buffer.count {
            buffer = [UInt8](repeating: 0, count: needed + 1)
            _ = print()
        }
        return String(decoding: buffer.prefix(Swift.max(0, needed)), as: UTF8.self)
    }
}
