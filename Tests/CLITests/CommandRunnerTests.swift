import Foundation
import TestSupport
import XCTest

/// The harness itself: a child that writes more to stderr than a pipe holds, while stdout is
/// being read, must not deadlock, and every byte of both streams arrives.
final class CommandRunnerTests: XCTestCase {
    func testLargeStderrAndStdoutTogether() throws {
        let folder = makeTemporaryFolder("genre-runner")
        defer { try? FileManager.default.removeItem(at: folder) }
        // 3000 missing files: one error line each on stderr, about 300 KB in all (a pipe holds 64 KB).
        let missing = (0..<3000).map { folder.appendingPathComponent("missing-\($0)-" + String(repeating: "x", count: 40) + ".wav").path }
        let result = try CommandRunner.run(["info"] + missing)
        XCTAssertEqual(result.status, 1)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, missing.count, "every error line arrives")
        XCTAssertTrue(lines.last?.contains("missing-2999-") ?? false, String(lines.last ?? ""))
    }
}
