import Basics
import FuzzDriver
import GenreKit

/// Any bytes as an earlier `genre predict --out` file read back by `--skip-done`, in both formats,
/// decoded as file names are (`FileSystemBytes`), which must give the same bytes back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = FileSystemBytes.string(bytes)
    precondition(FileSystemBytes.bytes(text).elementsEqual(bytes))
    _ = PredictionFormat.csv.donePaths(text)
    _ = PredictionFormat.jsonLines.donePaths(text)
    return 0
}

runFuzzer(fuzz)
