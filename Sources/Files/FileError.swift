/// A file that could not be read, parsed or written; `description` is one line naming the file.
public struct FileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
