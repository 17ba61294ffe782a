import Glibc

/// The process's environment variables, read from libc's `environ` as they are asked for. Values
/// are decoded as file names are (`FileSystemBytes`): a `HOME` or `XDG_CACHE_HOME` that is not
/// UTF-8 still names its folder.
/// (FoundationEssentials' `ProcessInfo.environment`, linked into the executable, freed memory that
/// ThreadSanitizer's allocator had not handed out, which stopped `make sanitize-thread`.)
public enum Environment {
    /// The value of `name`, or nil when it is not set.
    public static subscript(_ name: String) -> String? {
        getenv(name).map { FileSystemBytes.string(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
    }

    /// Every variable, each NAME=value entry split at its first "=".
    public static var all: [String: String] {
        var variables: [String: String] = [:]
        // environ is nil after clearenv().
        var next: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        while let entry = next, let pointer = entry.pointee {
            let text = FileSystemBytes.string(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            next = entry + 1
        }
        return variables
    }
}
