/// Whole-file reads straight into an array, where `[UInt8](Data(contentsOf:))` reads into a Data
/// and then copies it (one more pass over a 9 MB checkpoint, and its pages).
public enum FileBytes {
    /// The bytes of the file at `path`; a `FileError` (see `FileProblem`) when it cannot be read.
    public static func read(path: String) throws -> [UInt8] {
        // A file that shrank while it was read is read as far as it goes, as Data would.
        guard let file = ReadOnlyFile(path: path), file.isRegularFile, let bytes = file.read(at: 0, count: Int(file.size)) else {
            throw FileError(path: path, problem: FileProblem.describe(path: path))
        }
        return bytes
    }
}
