import FuzzAudio
import FuzzDriver

/// Any bytes as an audio file opened the way the tool opens one: the container sniffer picks
/// the library (the MPEG frame search included), libsndfile first for what it reads and FFmpeg
/// for the rest and for what libsndfile refuses; decoded to the end.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    decodeAll(data, size, library: .automatic)
}

runFuzzer(fuzz)
