import Audio
import Foundation
import TestSupport
import XCTest

/// What a start costs (README, "Speed"): the libraries a process loads before it runs, and the
/// FFTW wisdom that saves re-planning the STFT in every process.
final class StartupCLITests: XCTestCase {
    /// libsndfile and its codecs, libsoxr, FFmpeg (and the ~120 libraries libavcodec pulls in),
    /// TagLib (through genre's plugin) and Open MPI load with dlopen where a file or mpirun needs
    /// them; the Swift runtime and FoundationEssentials are linked into the executable.
    func testVersionLoadsNoOptionalLibrary() throws {
        let result = try CommandRunner.run(["--version"], environment: ["LD_DEBUG": "files"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let loaded = result.stderr.split(separator: "\n").filter { $0.contains("file=") }
        XCTAssertFalse(loaded.isEmpty, "LD_DEBUG=files printed nothing: \(result.stderr.prefix(500))")
        for library in ["libsndfile", "libFLAC", "libvorbis", "libmpg123", "libsoxr", "libgomp", "libavformat",
                        "libavcodec", "libavutil", "libmpi", "libswiftCore", "libFoundation", "libtag", "libGenreTagLib"] {
            XCTAssertFalse(loaded.contains { $0.contains(library) }, "\(library) is loaded at start-up")
        }
    }

    /// No module imports Foundation (FoundationEssentials and `Basics` instead), so the statically
    /// linked executable carries neither Foundation's CoreFoundation, whose initialiser ran at every
    /// start, nor ICU's 30 MB of data; its symbols would name them.
    func testExecutableCarriesNoFoundationOrICU() throws {
        let binary = try Data(contentsOf: CommandRunner.genre)
        XCTAssertNotNil(binary.firstRange(of: Data("genre_main".utf8)), "the symbol table is not where this test looks")
        for symbol in ["__CFInitialize", "icudt"] {
            XCTAssertNil(binary.firstRange(of: Data(symbol.utf8)), "the executable links \(symbol) (a module imports Foundation)")
        }
    }

    /// The first run writes the wisdom, the next one plans from it: the spectrograms are the
    /// same bytes (the wisdom holds FFTW_ESTIMATE's own plan), and a cache that cannot be written
    /// changes nothing either.
    func testFeaturesWithAndWithoutWisdomAreIdentical() throws {
        let folder = makeTemporaryFolder("genre-wisdom")
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let samples = (0..<22050 * 3).map { Float(0.3 * sin(Double($0) * 0.05) + 0.1 * sin(Double($0) * 0.31)) }
        try AudioWriter.write(samples: samples, sampleRate: 22050, to: path("clip.wav"))
        let cache = path("cache")
        var outputs: [Data] = []
        for (run, home) in [cache, cache, "/proc/genre-no-cache"].enumerated() {
            let result = try CommandRunner.run(["features", path("clip.wav"), "-o", path("run\(run).npy")],
                                               environment: ["XDG_CACHE_HOME": home])
            XCTAssertEqual(result.status, 0, result.stderr)
            if run == 0 {
                XCTAssertTrue(FileManager.default.fileExists(atPath: cache + "/genre/fftw-wisdom"), "no wisdom written")
            }
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: path("run\(run).npy"))))
        }
        XCTAssertEqual(outputs[1], outputs[0], "features differ once the wisdom is read")
        XCTAssertEqual(outputs[2], outputs[0], "features differ without a cache")

        // A cache folder whose name is not UTF-8 (Latin-1 `cach\xE9`) is the folder written.
        let result = try CommandRunner.run(["features", path("clip.wav"), "-o", path("latin1.npy")],
                                           wrapper: ["/bin/sh", "-c", #"XDG_CACHE_HOME="$(printf "$GENRE_TEST_FOLDER/cach\351")" exec "$0" "$@""#],
                                           environment: ["GENRE_TEST_FOLDER": folder.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let wisdom = Array(folder.path.utf8) + Array("/cach".utf8) + [0xE9] + Array("/genre/fftw-wisdom".utf8)
        XCTAssertEqual((wisdom + [0]).withUnsafeBufferPointer { access(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), R_OK) }, 0,
                       "no wisdom in the Latin-1 folder")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("latin1.npy"))), outputs[0])
    }
}
