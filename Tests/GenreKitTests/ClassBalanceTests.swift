import Engine
import Foundation
import GenreKit
import XCTest

final class ClassBalanceTests: XCTestCase {
    /// n_samples / (n_classes · n_c): 10 samples, 3 classes of 6, 3 and 1.
    func testBalancedWeights() {
        let labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]
        let w = ClassBalance.balancedWeights(labels: labels, classes: 3)
        XCTAssertEqual(w[0], 10 / 18, accuracy: 1e-6)
        XCTAssertEqual(w[1], 10 / 9, accuracy: 1e-6)
        XCTAssertEqual(w[2], 10 / 3, accuracy: 1e-6)
        // Every class then weighs the same in total.
        XCTAssertEqual(w[0] * 6, w[2] * 1, accuracy: 1e-5)
        // A class without samples weighs nothing: 2 / (2 · 2) and 0.
        XCTAssertEqual(ClassBalance.balancedWeights(labels: [0, 0], classes: 2), [0.5, 0])
    }

    /// Class 0 has 90 windows, class 1 has 10: drawn, both come up about equally often, every
    /// window of the rare class is reached, and the same seed gives the same draw.
    func testBalancedSamplerDrawsInverseToClassFrequency() {
        let labels = Array(repeating: 0, count: 90) + Array(repeating: 1, count: 10)
        let draw = ClassBalance.balancedSample(labels: labels, classes: 2, count: 20000, seed: 3)
        XCTAssertEqual(draw.count, 20000)
        let rare = draw.filter { labels[$0] == 1 }.count
        XCTAssertEqual(Double(rare) / 20000, 0.5, accuracy: 0.02)
        XCTAssertEqual(Set(draw.filter { labels[$0] == 1 }), Set(90..<100))
        // Inside the common class each window has probability 1/90 of its class's draws.
        let first = draw.filter { $0 == 0 }.count
        XCTAssertEqual(Double(first) / Double(20000 - rare), 1.0 / 90, accuracy: 0.004)
        XCTAssertEqual(draw, ClassBalance.balancedSample(labels: labels, classes: 2, count: 20000, seed: 3))
        XCTAssertNotEqual(draw, ClassBalance.balancedSample(labels: labels, classes: 2, count: 20000, seed: 4))
    }

    func testWarningForRareLabels() {
        // Median of [40, 40, 7, 9] is 24.5; a fifth is 4.9: none under it.
        XCTAssertEqual(ClassBalance.warnings(filesPerLabel: [40, 40, 7, 9], labels: ["a", "b", "c", "d"]), [])
        let lines = ClassBalance.warnings(filesPerLabel: [40, 40, 4, 38], labels: ["a", "b", "c", "d"])
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("'c'") && lines[0].contains("4 training files"), lines[0])
    }
}
