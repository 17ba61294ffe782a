import CFuzzDriver
import Foundation

/// Hands the command line to libFuzzer, which calls `test` with each input; exits with its status
/// (0 when the time or run limit is reached, non-zero on a crash, leak or timeout).
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
