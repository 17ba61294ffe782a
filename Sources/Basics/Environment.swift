import Glibc

/// The process's environment variables, read from libc's `environ` as they are asked for.
/// (FoundationEssentials' `ProcessInfo.environment` frees memory that ThreadSanitizer's
/// allocator never handed out, which stops a `make sanitize-thread` run.)
public enum Environment {
    /// The value of `name`, or nil when it is not set.
    public static subscript(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Every variable, as NAME=value pairs are split at their first "=" (later ones win).
    public static var all: [String: String] {
        var variables: [String: String] = [:]
        // nil after clearenv().
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        while let pointer = entry?.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry = entry! + 1
        }
        return variables
    }
}
