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

    func testMissingFileIsExplained() {
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: "/nonexistent/x.safetensors")) { error in
            XCTAssertEqual(String(describing: error), "/nonexistent/x.safetensors: no such file")
        }
    }
}
