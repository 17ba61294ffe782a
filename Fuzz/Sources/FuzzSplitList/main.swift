import Foundation
import Basics
import FuzzDriver
import GenreKit

/// A small data set on disk, made once: two labels with a few (empty) audio files each.
enum Fixture {
    static let dataSet: DataSet = {
        let root = NSTemporaryDirectory() + "genre-fuzz-splitlist-\(getpid())"
        for path in ["blues/blues.00000.wav", "blues/blues.00001.wav", "jazz/jazz.00000.flac", "jazz/more/jazz.00001.mp3"] {
            let url = URL(fileURLWithPath: root).appendingPathComponent(path)
            try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            precondition(FileManager.default.createFile(atPath: url.path, contents: Data()))
        }
        let dataSet = try! DataSet(root: root)
        try? FileManager.default.removeItem(atPath: root)
        return dataSet
    }()
}

/// Any bytes as a split list (`data.split_files`): either the items it names, or an error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FileSystemBytes.string(UnsafeBufferPointer(start: data, count: size))
    if let items = try? Fixture.dataSet.items(inSplitList: text, path: "split.txt") {
        precondition(items.allSatisfy { Fixture.dataSet.items.contains($0) })
    }
    return 0
}

runFuzzer(fuzz)
