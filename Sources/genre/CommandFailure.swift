import Basics
import ArgumentParser
import Glibc

/// Prints a one-line error to stderr and leaves with status 1.
func fail(_ message: String) -> ExitCode {
    StandardError.write("genre: error: \(message)\n")
    return ExitCode(1)
}

/// Runs `body`, turning any error into a one-line message and exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw fail(String(describing: error))
    }
}
