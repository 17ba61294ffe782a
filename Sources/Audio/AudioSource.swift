import Basics
import Glibc

/// Where audio is read from: a file by its path, or a whole file's bytes held in memory — what
/// the commands read from standard input when the path is `-` (`… | genre predict -`).
public enum AudioSource: Sendable {
    case file(String)
    case memory([UInt8], name: String)

    /// The path `-`: standard input.
    public static let standardInputPath = "-"
    /// The most taken from standard input (a stream that never ends would fill the memory).
    public static let standardInputLimit = 2 << 30

    /// The path, or the name that stands for the bytes in results and errors.
    public var name: String {
        switch self {
        case .file(let path): path
        case .memory(_, let name): name
        }
    }

    /// A file, or for `-` standard input read to its end: refused when it is a terminal, empty,
    /// or larger than `standardInputLimit`.
    public static func named(_ path: String) throws -> AudioSource {
        guard path == standardInputPath else { return .file(path) }
        func failure(_ problem: String) -> AudioError { AudioError(path: path, problem: problem) }
        guard isatty(STDIN_FILENO) == 0 else { throw failure("standard input is a terminal: pipe audio into it (… | genre predict -)") }
        let bytes = StandardInput.readAll(limit: standardInputLimit)
        guard !bytes.isEmpty else { throw failure("standard input is empty") }
        guard bytes.count <= standardInputLimit else {
            throw failure("standard input holds more than \(standardInputLimit >> 30) GiB: save it to a file")
        }
        return .memory(bytes, name: path)
    }

    func open() throws -> any AudioDecoder {
        switch self {
        case .file(let path): try AudioDecoders.open(path: path)
        case .memory(let bytes, let name): try AudioDecoders.open(bytes: bytes, name: name)
        }
    }
}
