import Files
import Foundation
import SafeTensors
import TestSupport
import XCTest

final class SafeTensorsTests: XCTestCase {
    func sample() -> SafeTensorsFile {
        var file = SafeTensorsFile(metadata: ["format": "genre/1", "labels": "[\"a\",\"b \\\"quoted\\\"\"]"])
        file["features.0.0.weight"] = StoredTensor(floats: (0..<24).map { Float($0) * 0.5 - 3 }, shape: [2, 3, 2, 2])
        file["features.0.1.num_batches_tracked"] = StoredTensor(int64s: [7], shape: [])
        file["empty"] = StoredTensor(floats: [], shape: [0, 4])
        return file
    }

    func testRoundTripIsExact() throws {
        let original = sample()
        let bytes = original.serialized()
        let back = try SafeTensorsFile(bytes: bytes)
        XCTAssertEqual(back.tensors, original.tensors)
        XCTAssertEqual(back.metadata, original.metadata)
        XCTAssertEqual(back.serialized(), bytes, "serialisation is deterministic")
        XCTAssertEqual(back["features.0.1.num_batches_tracked"]?.int64s(), [7])
    }

    func testAtomicWriteReplacesFileAndLeavesNoTemporaries() throws {
        let folder = makeTemporaryFolder("genre-st")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("best.safetensors").path
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        try sample().write(to: path)
        XCTAssertEqual(try SafeTensorsFile(contentsOf: path).tensors, sample().tensors)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["best.safetensors"])
    }

    /// Every fixture the project reads parses (header validation accepts real files).
    func testEveryFixtureParses() throws {
        var count = 0
        for folder in ["features", "ops", "optim", "models"] {
            for url in Fixtures.files(in: folder) {
                let file = try Fixtures.load(url)
                XCTAssertFalse(file.tensors.isEmpty, url.lastPathComponent)
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 20)
    }

    func expectProblem(_ bytes: [UInt8], _ phrase: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(bytes: bytes, path: "model.safetensors"), file: file, line: line) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix("model.safetensors: "), message, file: file, line: line)
            XCTAssertTrue(message.contains(phrase), "'\(message)' does not mention '\(phrase)'", file: file, line: line)
        }
    }

    /// A file with a hand-written header and `data` bytes.
    func handMade(_ header: String, data: Int) -> [UInt8] {
        let h = Array(header.utf8)
        return (0..<8).map { UInt8((UInt64(h.count) >> (8 * UInt64($0))) & 0xff) } + h + [UInt8](repeating: 0, count: data)
    }

    func testMalformedFilesAreExplained() {
        let good = sample().serialized()
        expectProblem(Array(good.prefix(5)), "shorter than the 8-byte header")
        expectProblem(Array(good.prefix(good.count - 4)), "outside")
        expectProblem(Array(good.prefix(40)), "truncated")
        expectProblem([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0] + good.dropFirst(8), "implausibly large")
        expectProblem(handMade("{not json", data: 0), "not a JSON object")
        expectProblem(handMade(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: 16), "needs 8 bytes")
        expectProblem(handMade(#"{"w":{"dtype":"Q8","shape":[2],"data_offsets":[0,8]}}"#, data: 8), "unsupported dtype")
        expectProblem(handMade(#"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: 8), "invalid shape")
        expectProblem(handMade(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: 8), "outside")
        expectProblem(handMade(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: 12), "overlap")
        expectProblem(handMade(#"{"__metadata__":{"epoch":3}}"#, data: 0), "not a string")
    }

    /// A file is read in place (mapped): its tensors compare equal to the written ones, and an
    /// empty file or a folder is refused as before, by name.
    func testFilesAreReadInPlace() throws {
        let folder = makeTemporaryFolder("genre-st")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.safetensors").path
        try sample().write(to: path)
        let read = try SafeTensorsFile(contentsOf: path)
        XCTAssertEqual(read.tensors, sample().tensors)
        XCTAssertEqual(read.serialized(), sample().serialized())
        let empty = folder.appendingPathComponent("empty.safetensors").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: empty)) { error in
            XCTAssertEqual(String(describing: error), "\(empty): not a safetensors file (0 bytes, shorter than the 8-byte header length)")
        }
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: folder.path)) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("\(folder.path): "), String(describing: error))
        }
    }

    /// A file cut short in place while its tensors are read from the mapping (another program, a
    /// disk error: the kernel's SIGBUS) ends the process with one line naming it and exit status
    /// 1, not a crash, even after another mapping set the message for every other file. The
    /// reading is done by a child: this test binary, running this test alone.
    func testFileCutShortWhileInUseEndsWithAMessage() throws {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["GENRE_TEST_CUT_SAFETENSORS"], let other = environment["GENRE_TEST_CUT_OTHER"] {
            XCTAssertNotNil(ReadOnlyFile(path: other)?.map(failureMessage: "genre: error: the message for every other mapping"))
            let file = try SafeTensorsFile(contentsOf: path)
            XCTAssertEqual(truncate(path, 8), 0)
            let sum = try XCTUnwrap(file["late"]).floats().reduce(0, +)
            XCTFail("read \(sum) from a file cut short")
            return
        }
        let folder = makeTemporaryFolder("genre-st")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("best.safetensors").path
        var file = sample()
        file["late"] = StoredTensor(floats: [Float](repeating: 1, count: 1 << 16), shape: [1 << 16])  // past the first pages
        try file.write(to: path)
        let other = folder.appendingPathComponent("other.bin").path
        XCTAssertTrue(FileManager.default.createFile(atPath: other, contents: Data(repeating: 1, count: 4096)))
        try ChildTest.assertFails("SafeTensorsTests.SafeTensorsTests/testFileCutShortWhileInUseEndsWithAMessage",
                                  environment: ["GENRE_TEST_CUT_SAFETENSORS": path, "GENRE_TEST_CUT_OTHER": other],
                                  lastLine: "genre: error: \(path): could not be read while in use (changed in place by another program, "
                                      + "or a disk error)")
    }

    func testMissingFileIsExplained() {
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: "/nonexistent/x.safetensors")) { error in
            XCTAssertEqual(String(describing: error), "/nonexistent/x.safetensors: no such file")
        }
    }
}
