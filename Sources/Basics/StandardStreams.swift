import Glibc

/// The process's standard error and input, written and read through their file descriptors
/// (unbuffered, as the shell expects progress lines and errors to arrive).
public enum StandardError {
    /// Whether a person is watching (a terminal, not a file or pipe): progress may redraw a line.
    public static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}

public enum StandardInput {
    /// Every byte until the end of input.
    public static func readAll() -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(STDIN_FILENO, &chunk, chunk.count)
            if n > 0 { bytes += chunk[..<n] } else if n < 0 && errno == EINTR { continue } else { return bytes }
        }
    }
}
