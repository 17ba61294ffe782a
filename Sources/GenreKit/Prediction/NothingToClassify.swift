/// A file that decodes but holds nothing a genre can be named for: silent throughout, or too
/// short to fill a useful part of one window. `genre predict` reports it as a failed row; `genre
/// tag` skips it, as it skips a file below `--min-confidence`.
public struct NothingToClassify: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String

    public var description: String { "\(path): \(problem)" }
}
