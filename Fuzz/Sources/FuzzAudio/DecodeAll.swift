import Audio

/// Any bytes as an audio file opened from memory through `library`, decoded block by block,
/// mixed to mono and resampled to 22050 Hz (odd sizes keep the file's own rate): the body of
/// the audio fuzz targets.
public func decodeAll(_ data: UnsafePointer<UInt8>, _ size: Int, library: AudioLibrary) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let stream = try? AudioStream(bytes: bytes, name: "fuzz", sampleRate: size % 2 == 0 ? 22050 : nil,
                                        blockFrames: 4096, library: library) else {
        return 0
    }
    var samples = 0
    // A few seconds are enough to reach every decoder path; headers may announce hours.
    while samples < 2_000_000, let block = try? stream.next() {
        samples += block.count
    }
    return 0
}
