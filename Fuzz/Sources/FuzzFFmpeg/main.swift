import FuzzAudio
import FuzzDriver

/// Any bytes as an audio file opened from memory through FFmpeg (libavformat custom I/O,
/// libavcodec), decoded to the end.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    decodeAll(data, size, library: .ffmpeg)
}

runFuzzer(fuzz)
