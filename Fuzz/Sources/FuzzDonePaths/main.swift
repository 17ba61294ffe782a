import FuzzDriver
import GenreKit

/// Any bytes as an earlier `genre predict --out` file read back by `--skip-done`, in both formats.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = PredictionFormat.csv.donePaths(text)
    _ = PredictionFormat.jsonLines.donePaths(text)
    return 0
}

runFuzzer(fuzz)
