import Audio
import Foundation
import TestSupport
import XCTest

/// What a start costs (README, "Speed"): the libraries a process loads before it runs, and what
/// a run leaves behind besides its output.
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

    /// FFTW's plan is made anew in each process (FFTW_ESTIMATE costs less than reading it back
    /// from a wisdom file), so `genre features` writes its output and nothing else: no cache in
    /// `$XDG_CACHE_HOME` or `$HOME`, and the same bytes on every run.
    func testFeaturesWriteOnlyTheirOutput() throws {
        let folder = makeTemporaryFolder("genre-no-cache")
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let samples = (0..<22050 * 3).map { Float(0.3 * sin(Double($0) * 0.05) + 0.1 * sin(Double($0) * 0.31)) }
        try AudioWriter.write(samples: samples, sampleRate: 22050, to: path("clip.wav"))
        for name in ["cache", "home"] { try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: false) }
        var outputs: [Data] = []
        for run in 0..<2 {
            let result = try CommandRunner.run(["features", path("clip.wav"), "-o", path("run\(run).npy")],
                                               environment: ["XDG_CACHE_HOME": path("cache"), "HOME": path("home")])
            XCTAssertEqual(result.status, 0, result.stderr)
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: path("run\(run).npy"))))
        }
        XCTAssertEqual(outputs[1], outputs[0], "features differ between runs")
        for name in ["cache", "home"] {
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path(name)), [], "genre features wrote into the \(name) folder")
        }
    }

    /// Arguments are parsed without ArgumentParser's look for a completion-script request
    /// (`Genre.main`), yet a request still gets its script, and help, usage and errors still
    /// name the commands as typed.
    func testCompletionScriptsAndMessagesAfterTheShortParse() throws {
        let script = try CommandRunner.run(["--generate-completion-script", "bash"])
        XCTAssertEqual(script.status, 0, script.stderr)
        XCTAssertTrue(script.stdout.contains("complete -o filenames -F _genre genre"), String(script.stdout.suffix(300)))
        XCTAssertTrue(script.stdout.contains("predict"), "the script leaves out the subcommands")

        let version = try CommandRunner.run(["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertEqual(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "0.1.0")

        let help = try CommandRunner.run(["predict", "--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertTrue(help.stdout.contains("USAGE: genre predict "), String(help.stdout.prefix(400)))

        let mistyped = try CommandRunner.run(["bench", "trian"])
        XCTAssertNotEqual(mistyped.status, 0)
        XCTAssertTrue(mistyped.stderr.contains("Usage: genre bench <subcommand>"), mistyped.stderr)
        XCTAssertFalse((help.stdout + mistyped.stderr).contains("genre genre"), "a message names the command twice")
    }
}
