import ArgumentParser
import Foundation

/// Prints a one-line error to stderr and leaves with status 1.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("genre: error: \(message)\n".utf8))
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
