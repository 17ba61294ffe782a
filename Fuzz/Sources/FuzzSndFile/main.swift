import Audio
import FuzzDriver

/// Any bytes as an audio file opened from memory through libsndfile, decoded block by block,
/// mixed to mono and resampled to 22050 Hz (odd sizes keep the file's own rate).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let stream = try? AudioStream(bytes: bytes, name: "fuzz", sampleRate: size % 2 == 0 ? 22050 : nil,
                                              blockFrames: 4096, library: .libsndfile) else {
        return 0
    }
    var samples = 0
    // A few seconds are enough to reach every decoder path; headers may announce hours.
    while samples < 2_000_000, let block = try? stream.next() {
        samples += block.count
    }
    return 0
}

runFuzzer(fuzz)
