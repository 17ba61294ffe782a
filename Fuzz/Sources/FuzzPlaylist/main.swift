import Basics
import FuzzDriver
import GenreKit

/// Any bytes as a playlist: as M3U and as PLS, every entry resolved against a folder. An entry is
/// never empty, and resolves to a path that is not either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for pls in [false, true] {
        for entry in Playlist.entries(bytes, pls: pls) {
            precondition(!entry.isEmpty)
            precondition(!Playlist.resolve(entry, in: "/music/lists").isEmpty)
        }
    }
    return 0
}

runFuzzer(fuzz)
