import Basics
import FuzzDriver
import GenreKit

/// Any bytes as a config file, as `Config.load` reads it: JSON, then every key checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let json = try? JSON(parsing: UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    if let config = try? Config(json: json) {
        _ = config.modelSpec(classes: 10)
        _ = config.training.workerThreads
    }
    return 0
}

runFuzzer(fuzz)
