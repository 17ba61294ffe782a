import Engine
import TestSupport
import XCTest

extension Fixture {
    func assertMatches(_ actual: Engine.Tensor?, _ key: String, weight: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(mismatch(actual, key, weight: weight), file: file, line: line)
    }
}
