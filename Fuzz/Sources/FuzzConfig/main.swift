import Foundation
import FuzzDriver
import GenreKit

/// Any bytes as a config file, as `Config.load` reads it: JSON, then every key checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let json = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) else { return 0 }
    if let config = try? Config(json: json) {
        _ = config.modelSpec(classes: 10)
        _ = config.training.workerThreads
    }
    return 0
}

runFuzzer(fuzz)
