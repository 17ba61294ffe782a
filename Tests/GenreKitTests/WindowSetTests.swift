import Engine
import Features
import GenreKit
import XCTest

final class WindowSetTests: XCTestCase {
    let parameters = FeatureParameters(nMels: 2)
    /// W = 4 frames, H = 2 frames.
    let windowing = Windowing(segmentSeconds: 4 * 512 / 22050.0 + 1e-9, segmentHopSeconds: 2 * 512 / 22050.0 + 1e-9)

    func clip(frames: Int, base: Float) -> Spectrogram {
        Spectrogram(nMels: 2, frames: frames, values: (0..<(2 * frames)).map { base + Float($0) })
    }

    func testWindowsOfEveryClipWithLabels() {
        let set = WindowSet(clips: [clip(frames: 8, base: 0), clip(frames: 3, base: 100)], labels: [1, 0],
                            parameters: parameters, windowing: windowing)
        XCTAssertEqual(set.width, 4)
        // Clip 0: starts 0, 2, 4; clip 1 is short: one padded window.
        XCTAssertEqual(set.windows, [.init(clip: 0, start: 0), .init(clip: 0, start: 2), .init(clip: 0, start: 4), .init(clip: 1, start: 0)])
        var out = [Float](repeating: 0, count: 8)
        set.copy(set.windows[1], into: &out, mean: 0, std: 1)
        XCTAssertEqual(out, [2, 3, 4, 5, 10, 11, 12, 13])
        set.copy(set.windows[3], into: &out, mean: 100, std: 2)
        XCTAssertEqual(out, [0, 0.5, 1, 0, 1.5, 2, 2.5, 0])
    }

    /// Silent windows are neither trained on nor scored: a clip keeps only its sounding windows,
    /// unless all of its windows are silent.
    func testSilentWindowsAreLeftOut() {
        var tail = clip(frames: 8, base: 0)  // starts 0, 2, 4; frames 4–7 silent in both bands
        for m in 0..<2 { for t in 4..<8 { tail.values[m * 8 + t] = -100 } }
        let hush = Spectrogram(nMels: 2, frames: 6, values: [Float](repeating: -90, count: 12))
        let set = WindowSet(clips: [tail, hush], labels: [1, 0], parameters: parameters, windowing: windowing)
        XCTAssertEqual(set.windows, [.init(clip: 0, start: 0), .init(clip: 0, start: 2), .init(clip: 1, start: 0), .init(clip: 1, start: 2)])
    }

    func testStatisticsMatchADirectComputation() {
        let set = WindowSet(clips: [clip(frames: 8, base: -40), clip(frames: 5, base: 7)], labels: [0, 1],
                            parameters: parameters, windowing: windowing)
        var all: [Float] = []
        var buffer = [Float](repeating: 0, count: 8)
        for w in set.windows {
            set.copy(w, into: &buffer, mean: 0, std: 1)
            all += buffer
        }
        let mean = all.reduce(0, +) / Float(all.count)
        let std = (all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(all.count)).squareRoot()
        let stats = set.statistics()
        XCTAssertEqual(stats.mean, mean, accuracy: 1e-4)
        XCTAssertEqual(stats.std, std, accuracy: 1e-4)
    }

    func testAugmentationMasksAndShiftsDeterministically() {
        let window = (0..<(8 * 10)).map { Float($0 + 1) }
        let augmentation = Augmentation(timeMask: 3, frequencyMask: 2, timeShift: 0.3)
        var a = window, b = window
        var rng1 = SeededRandom(seed: 5), rng2 = SeededRandom(seed: 5)
        augmentation.apply(to: &a, nMels: 8, width: 10, using: &rng1)
        augmentation.apply(to: &b, nMels: 8, width: 10, using: &rng2)
        XCTAssertEqual(a, b, "same seed, same augmentation")
        // Values are only moved within their row or zeroed: each row keeps its own values.
        for m in 0..<8 {
            let row = Set(a[(m * 10)..<(m * 10 + 10)].filter { $0 != 0 })
            XCTAssertTrue(row.isSubset(of: Set(window[(m * 10)..<(m * 10 + 10)])), "row \(m)")
        }
        var identity = window
        var rng = SeededRandom(seed: 1)
        Augmentation().apply(to: &identity, nMels: 8, width: 10, using: &rng)
        XCTAssertEqual(identity, window)
        // Over many draws, masks of up to 2 bands and 3 frames zero something.
        var zeroed = 0
        for seed in 0..<50 {
            var w = window
            var r = SeededRandom(seed: UInt64(seed))
            Augmentation(timeMask: 3, frequencyMask: 2).apply(to: &w, nMels: 8, width: 10, using: &r)
            zeroed += w.filter { $0 == 0 }.count
        }
        XCTAssertGreaterThan(zeroed, 0)
    }

    func testMetrics() {
        let m = Metrics(classes: 3, truth: [0, 0, 1, 1, 2, 2], predicted: [0, 1, 1, 1, 2, 0])
        XCTAssertEqual(m.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        XCTAssertEqual(m.accuracy, 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(m.precision(1), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.recall(0), 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.f1(2), 2 * 1 * 0.5 / 1.5, accuracy: 1e-12)
        XCTAssertEqual(m.macroF1, (0.5 + 0.8 + 2.0 / 3) / 3, accuracy: 1e-12)
        let report = m.report(labels: ["rock", "jazz", "pop"])
        XCTAssertTrue(report.hasPrefix("accuracy 66.67 % (4/6)"), report)
    }
}
