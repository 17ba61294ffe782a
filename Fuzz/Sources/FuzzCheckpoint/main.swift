import Features
import Foundation
import FuzzDriver
import GenreKit
import Models
import SafeTensors

/// Any bytes as a checkpoint, as `genre predict --checkpoint` reads it: the safetensors header and
/// data, the genre metadata, then the network it describes, built and loaded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile(bytes: bytes) else { return 0 }
    // What parses must write out and parse back to the same tensors.
    let again = try! SafeTensorsFile(bytes: file.serialized())
    precondition(again.tensors == file.tensors && again.metadata == file.metadata, "serialized file reads back differently")
    guard let info = try? Checkpoint.info(file, path: "fuzz.safetensors") else { return 0 }
    let network = Network(info.spec)
    try? Checkpoint.load(file, into: network, path: "fuzz.safetensors")
    return 0
}

/// `GENRE_FUZZ_WRITE_SEEDS=FOLDER FuzzCheckpoint` writes the seed checkpoints (small networks of
/// each architecture) into FOLDER and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    guard let folder = ProcessInfo.processInfo.environment["GENRE_FUZZ_WRITE_SEEDS"] else { return 0 }
    let specs = [ModelSpec(arch: .mobilenetV1, width: 0.0625, classes: 2), ModelSpec(arch: .mobilenetV2, width: 0.05, classes: 2),
                 ModelSpec(arch: .shufflenetV1, width: 0.25, classes: 3, groups: 1)]
    for spec in specs {
        let info = CheckpointInfo(spec: spec, labels: (0..<spec.classes).map { "genre\($0)" }, features: FeatureParameters(nMels: 64),
                                  windowing: Windowing(), mean: -30, std: 12, extra: ["epoch": "3"])
        try! Checkpoint.write(Network(spec, seed: 1), info: info, to: "\(folder)/\(spec.arch.rawValue).safetensors")
    }
    exit(0)
}

runFuzzer(fuzz)
