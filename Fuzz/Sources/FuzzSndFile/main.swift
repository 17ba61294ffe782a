import FuzzAudio
import FuzzDriver

/// Any bytes as an audio file opened from memory through libsndfile (virtual I/O), decoded to
/// the end.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    decodeAll(data, size, library: .libsndfile)
}

runFuzzer(fuzz)
