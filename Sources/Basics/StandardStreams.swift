import Glibc

/// The process's standard error and input, written and read through their file descriptors
/// (unbuffered, as the shell expects progress lines and errors to arrive).
public enum StandardError {
    /// Whether a person is watching (a terminal, not a file or pipe): progress may redraw a line.
    public static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    public static func write(_ text: String) { writeAll(STDERR_FILENO, text) }
}

/// The process's standard output, written through its file descriptor like `StandardError`.
public enum StandardOutput {
    /// Writes `text` and a newline.
    public static func print(_ text: String) { writeAll(STDOUT_FILENO, text + "\n") }
}

/// Writes all of `text` (a file name's undecodable bytes as they were: `FileSystemBytes`).
private func writeAll(_ fd: Int32, _ text: String) {
    FileSystemBytes.bytes(text).withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }
}

public enum StandardInput {
    /// Every byte until the end of input (or of the file or pipe `fd`); with `limit`, reading
    /// stops once more than that many have come (so the result's count tells that it was passed).
    public static func readAll(from fd: Int32 = STDIN_FILENO, limit: Int = .max) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= limit {
            let n = read(fd, &chunk, chunk.count)
            if n > 0 { bytes += chunk[..<n] } else if n < 0 && errno == EINTR { continue } else { return bytes }
        }
        return bytes
    }
}
