import Basics
import Foundation
import XCTest

/// The helpers that stand in for Foundation's in the executable, checked against Foundation's own.
final class BasicsTests: XCTestCase {
    func testCFormatMatchesFoundation() {
        let cases: [(String, [any CVarArg])] = [
            ("%.1f", [3.14159]), ("%7.1f ms", [12.345]), ("%.2e", [0.000123]), ("%g", [1e-7]), ("%.6g", [123456789.0]),
            ("%5d|%02d|%05d", [42, 7, -3]), ("%02x%04x", [UInt8(171), 4660]), ("%.0f%%", [99.5]), ("%11.1f", [-0.0]),
            ("%.3f", [Double.nan]), ("%.3f", [-Double.infinity]), ("%.1fk", [Float(2.5)]),
            ("a long line: %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f", Array(repeating: 1.0 / 3, count: 12)),
        ]
        for (format, arguments) in cases {
            XCTAssertEqual(String(cFormat: format, arguments: arguments), String(format: format, arguments: arguments), format)
        }
    }

    func testJSONReadsWhatFoundationReads() throws {
        let text = #"{"a": [1, 2.5, -3e2, true, false, null, "x\"y/z é\u00e9\ud83c\udfb8\n"], "b": {"c": {}}, "d": 1e-7, "e": [], "": 0}"#
        let ours = try JSON(parsing: text.utf8)
        let foundation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(ours.text.utf8)) as? NSDictionary, foundation)
        XCTAssertEqual(ours.object?["a"]?.array?.map(\.kind),
                       ["a number", "a number", "a number", "a boolean", "a boolean", "null", "a string"])
        XCTAssertEqual(ours.object?["a"]?.array?[2].integer, -300)
        XCTAssertNil(ours.object?["a"]?.array?[1].integer)
        XCTAssertNil(ours.object?["a"]?.array?[3].number, "true is not a number")
        XCTAssertEqual(try JSON(parsing: "[\"a\", \"b\"]".utf8).strings, ["a", "b"])
        XCTAssertNil(try JSON(parsing: "[\"a\", 1]".utf8).strings)
        XCTAssertEqual(try JSON(parsing: " 42 ".utf8), 42)
        // Malformed text is refused where Foundation refuses it (both take a trailing comma).
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let shallow = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        for text in ["", "{", "{\"a\": }", "[1,]", "{\"a\": 1,}", "[,]", "{,}", "[1,,]", "nul", "tru", "{\"a\" 1}", "{1: 2}",
                     "\"unterminated", "[01]", "[-0]", "[1.]", "[.5]", "[-]", "[1e]", "[1e+2]", "[+1]", "[1e400]", "[1e-400]",
                     "[\"\\u12\"]", "[\"\\u00e9\\ud83c\\udfb8\"]", "[\"\\ud800\"]", "[\"\\udc00x\"]", "[\"\\x\"]", "[\"a\tb\"]",
                     "[\"\u{7f}\"]", "[1] [2]", "[1] ", " \n\t[true, false, null]\r\n", deep, shallow] {
            let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
            XCTAssertEqual((try? JSON(parsing: text.utf8)) != nil, foundation, text)
        }
    }

    /// A hand-edited file's mistake is placed as an editor counts (lines and characters from 1,
    /// after a byte-order mark), and a comment is named as such.
    func testJSONErrorsSayWhere() {
        let cases: [(String, String)] = [
            ("{\n  \"data\": {\"root\": \"x\"}, // here\n}", "line 2, column 26: a comment, which JSON does not allow"),
            ("{ /* c */ }", "line 1, column 3: a comment, which JSON does not allow"),
            ("{\n  \"root\": \"données\"\n  \"x\": 1}", "line 3, column 3: expected , or } in an object"),
            ("\u{FEFF}{\"a\": tru}", "line 1, column 7: unexpected character"),
            ("{\"epochs\": 1e400}", "line 1, column 12: number out of range"),
            ("{\"model\": ", "line 1, column 11: missing value"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try JSON(parsing: text.utf8), text) { XCTAssertEqual("\($0)", message, text) }
        }
    }

    func testJSONTextIsCompactSortedAndStable() throws {
        let value: JSON = ["zeta": [1, 0.5, "a/b"], "alpha": ["y": nil, "x": true], "n": 1e-7]
        XCTAssertEqual(value.text, #"{"alpha":{"x":true,"y":null},"n":1e-07,"zeta":[1,0.5,"a/b"]}"#)
        XCTAssertEqual(try JSON(parsing: value.text.utf8), value)
        XCTAssertEqual(JSON.array([.number(.nan), .number(-.infinity), 2.5]).text, "[null,null,2.5]")
    }

    func testPathsAsNSStringHasThem() {
        for path in ["a/b.wav", "/a/b/", "/", "", "a//b", "./x.tar.gz", ".hidden", "dir/.hidden", "a/b.", "/top", "ab"] {
            let ns = path as NSString
            XCTAssertEqual(Path.lastComponent(path), ns.lastPathComponent, path)
            XCTAssertEqual(Path.parent(path), ns.deletingLastPathComponent, path)
            XCTAssertEqual(Path.fileExtension(path), ns.pathExtension, path)
            XCTAssertEqual(Path.stem(path), (ns.lastPathComponent as NSString).deletingPathExtension, path)
        }
        // A name that starts with a combining mark makes one character of the `/` or `.` before it
        // (NSString, working on characters, then finds no separator); the system sees the byte.
        XCTAssertEqual(Path.lastComponent("a/\u{301}b.wav"), "\u{301}b.wav")
        XCTAssertEqual(Path.parent("a/\u{301}b.wav"), "a")
        XCTAssertEqual(Path.fileExtension("a/b.\u{301}wav"), "\u{301}wav")
        XCTAssertEqual(Path.stem("a/b.\u{301}wav"), "b")
        XCTAssertEqual(Path.parent("/\u{301}x"), "/")
        XCTAssertEqual(Path.join("a/", "\u{301}b"), "a/\u{301}b")
        XCTAssertTrue(Path.isHidden(".\u{301}x") && !Path.isHidden("x.") && !Path.isHidden(""))
        // NSString's deletingLastPathComponent traps on a one-character last component here.
        XCTAssertEqual(Path.parent("b"), "")
        XCTAssertEqual(Path.parent("a/"), "")
        XCTAssertEqual(Path.parent("x/a/"), "x")
        for (folder, name) in [("a", "b"), ("a/", "b"), ("/", "b"), ("runs/x", "rank-0.safetensors")] {
            XCTAssertEqual(Path.join(folder, name), (folder as NSString).appendingPathComponent(name))
        }
        XCTAssertEqual(Path.join("", "b"), "b")
    }

    /// The environment as Foundation's ProcessInfo reads it, a variable set or unset since the
    /// start, and a value holding "=".
    func testEnvironmentMatchesFoundation() {
        setenv("GENRE_BASICS_TEST", "a=b", 1)
        defer { unsetenv("GENRE_BASICS_TEST") }
        XCTAssertEqual(Environment["GENRE_BASICS_TEST"], "a=b")
        XCTAssertEqual(Environment.all, ProcessInfo.processInfo.environment)
        XCTAssertEqual(Environment.all["GENRE_BASICS_TEST"], "a=b")
        unsetenv("GENRE_BASICS_TEST")
        XCTAssertNil(Environment["GENRE_BASICS_TEST"])
        XCTAssertNil(Environment.all["GENRE_BASICS_TEST"])
        XCTAssertEqual(Environment["PATH"], ProcessInfo.processInfo.environment["PATH"])
    }

    /// A variable that is not UTF-8 (a Latin-1 `XDG_CACHE_HOME`) keeps its bytes, so the folder
    /// it names is the folder used.
    func testEnvironmentKeepsBytesThatAreNotUTF8() {
        let raw = Array("/tmp/cach".utf8) + [0xE9]
        (raw + [0]).withUnsafeBufferPointer { value in
            _ = setenv("GENRE_BASICS_TEST", UnsafeRawPointer(value.baseAddress!).assumingMemoryBound(to: CChar.self), 1)
        }
        defer { unsetenv("GENRE_BASICS_TEST") }
        XCTAssertEqual(Environment["GENRE_BASICS_TEST"].map(FileSystemBytes.bytes), raw)
        XCTAssertEqual(Environment.all["GENRE_BASICS_TEST"].map(FileSystemBytes.bytes), raw)
    }

    func testTextHelpers() {
        XCTAssertEqual(" \t rock , \n".trimmingWhitespace(), "rock ,")
        XCTAssertEqual("   ".trimmingWhitespace(), "")
        XCTAssertEqual("ok".padded(to: 5), "ok   ")
        XCTAssertEqual("too long".padded(to: 3), "too")
    }

    func testLockKeepsCountsWhole() {
        let lock = Lock()
        nonisolated(unsafe) var total = 0
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { lock.withLock { total += 1 } }
        }
        XCTAssertEqual(total, 80_000)
    }

    func testDetachedThreadRunsAndConditionWakes() {
        let condition = Condition()
        nonisolated(unsafe) var done = false
        DetachedThread.start(name: "basics-test") {
            condition.lock()
            done = true
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        while !done { condition.wait() }
        condition.unlock()
        XCTAssertTrue(done)
    }
}
