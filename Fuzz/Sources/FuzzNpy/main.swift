import Features
import FuzzDriver

/// Any bytes as a `.npy` file: either an error or a spectrogram whose values match its shape.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let (values, shape) = try? NpyReader.read(bytes: bytes) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count, "shape \(shape) for \(values.count) values")
    }
    if let spectrogram = try? NpyReader.spectrogram(bytes: bytes) {
        precondition(spectrogram.nMels * spectrogram.frames == spectrogram.values.count)
    }
    return 0
}

runFuzzer(fuzz)
