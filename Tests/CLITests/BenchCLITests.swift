import Engine
import Foundation
import TestSupport
import XCTest

/// `genre bench train` and `genre bench infer` on a tiny network: the JSON they print has every
/// field, with positive figures. Nothing here is timed against a threshold.
final class BenchCLITests: XCTestCase {
    func benchJSON(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = try CommandRunner.run(["bench"] + arguments + ["--json"])
        XCTAssertEqual(result.status, 0, "exit status; stderr: \(result.stderr)", file: file, line: line)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "not one line of JSON: \(result.stdout)", file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(result.stdout)", file: file, line: line)
    }

    func assertPositive(_ json: [String: Any], _ keys: [String], file: StaticString = #filePath, line: UInt = #line) {
        for key in keys {
            guard let value = json[key] as? NSNumber else {
                XCTFail("\(key) missing or not a number in \(json)", file: file, line: line)
                continue
            }
            XCTAssertGreaterThan(value.doubleValue, 0, key, file: file, line: line)
            XCTAssertTrue(value.doubleValue.isFinite, key, file: file, line: line)
        }
    }

    /// The GEMM ceiling is a plausible rate and the fraction is the effective rate over it.
    func assertCeiling(_ json: [String: Any], rate: String = "gflops", fraction: String = "fraction_of_ceiling",
                       file: StaticString = #filePath, line: UInt = #line) {
        assertPositive(json, ["ceiling_gflops", fraction], file: file, line: line)
        guard let ceiling = (json["ceiling_gflops"] as? NSNumber)?.doubleValue, let share = (json[fraction] as? NSNumber)?.doubleValue,
              let gflops = (json[rate] as? NSNumber)?.doubleValue else { return }
        XCTAssertGreaterThan(ceiling, 1, "a GEMM below 1 GFLOP/s", file: file, line: line)
        XCTAssertLessThan(ceiling, 100_000, file: file, line: line)
        XCTAssertLessThan(share, 2, "\(fraction): far above the ceiling", file: file, line: line)
        XCTAssertEqual(share, gflops / ceiling, accuracy: 1e-3 * max(1, share), fraction, file: file, line: line)
    }

    func testTrainJSON() throws {
        for arch in ["mobilenet_v2", "mobilenet_v1"] {
            let json = try benchJSON(["train", "--arch", arch, "--steps", "2", "--batch", "4", "--input", "32x32", "--threads", "1"])
            XCTAssertEqual(json["command"] as? String, "train")
            XCTAssertEqual(json["arch"] as? String, arch)
            XCTAssertEqual(json["batch"] as? Int, 4)
            XCTAssertEqual(json["threads"] as? Int, 1)
            XCTAssertEqual(json["input"] as? String, "32x32")
            XCTAssertTrue(["avx2", "avx512"].contains(json["simd"] as? String), "simd: \(json["simd"] ?? "missing")")
            assertPositive(json, ["samples_per_second", "ms_per_step", "gflops", "peak_rss_mb", "loss"])
            assertCeiling(json)
        }
    }

    func testInferJSON() throws {
        let json = try benchJSON(["infer", "--arch", "shufflenet_v1", "--steps", "2", "--single-steps", "2",
                                  "--batch", "3", "--input", "32x40", "--classes", "4"])
        XCTAssertEqual(json["command"] as? String, "infer")
        XCTAssertEqual(json["arch"] as? String, "shufflenet_v1")
        XCTAssertEqual(json["classes"] as? Int, 4)
        XCTAssertEqual(json["input"] as? String, "32x40")
        assertPositive(json, ["samples_per_second", "ms_per_step", "gflops", "single_ms", "single_gflops", "peak_rss_mb", "threads"])
        assertCeiling(json)
        assertCeiling(json, rate: "single_gflops", fraction: "single_fraction_of_ceiling")
    }

    /// The figures say which vector instructions made them; GENRE_SIMD=avx2 holds a run to AVX2.
    func testInstructionSetIsReported() throws {
        let arguments = ["bench", "infer", "--steps", "1", "--single-steps", "1", "--batch", "2", "--input", "32x32", "--threads", "1"]
        let held = try CommandRunner.run(arguments + ["--json"], environment: ["GENRE_SIMD": "avx2"])
        XCTAssertEqual(held.status, 0, held.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(held.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["simd"] as? String, "avx2")
        let text = try CommandRunner.run(arguments, environment: ["GENRE_SIMD": "avx2"])
        XCTAssertTrue(text.stdout.contains("1 thread, AVX2,"), text.stdout)
        let native = try benchJSON(Array(arguments.dropFirst()))
        XCTAssertEqual(native["simd"] as? String, InstructionSet.detected.rawValue)
    }

    func testBadOptionsFail() throws {
        let result = try CommandRunner.run(["bench", "train", "--batch", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("batch"), result.stderr)
    }
}
