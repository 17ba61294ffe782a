import Engine
import Foundation
import XCTest

final class ScheduleTests: XCTestCase {
    func testCosineWithWarmupRisesLinearlyThenDecaysToMinimum() {
        let schedule = CosineWithWarmup(peak: 0.1, warmupSteps: 10, totalSteps: 110, minimum: 0.001)
        for step in 0..<10 { XCTAssertEqual(schedule.learningRate(step: step), 0.1 * Float(step + 1) / 10, accuracy: 1e-7) }
        XCTAssertEqual(schedule.learningRate(step: 10), 0.1, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(step: 60), (0.1 + 0.001) / 2, accuracy: 1e-6)
        XCTAssertEqual(schedule.learningRate(step: 110), 0.001, accuracy: 1e-7)
        let decay = (10...110).map { schedule.learningRate(step: $0) }
        XCTAssertEqual(decay, decay.sorted(by: >))
    }

    func testStepDecayMultipliesByGammaEveryStepSize() {
        let schedule = StepDecay(initial: 0.1, stepSize: 30, gamma: 0.5)
        XCTAssertEqual(schedule.learningRate(step: 29), 0.1, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(step: 30), 0.05, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(step: 95), 0.0125, accuracy: 1e-7)
    }

    /// PyTorch's OneCycleLR defaults: start at max/25, peak at step 0.3·total − 1, end at max/25/1e4.
    func testOneCycleMatchesPyTorchShape() {
        let schedule = OneCycle(maximum: 0.5, totalSteps: 100)
        XCTAssertEqual(schedule.learningRate(step: 0), 0.02, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(step: 29), 0.5, accuracy: 1e-6)
        XCTAssertEqual(schedule.learningRate(step: 99), 0.02 / 1e4, accuracy: 1e-9)
        // Half-way through the warm-up phase the cosine is at its midpoint.
        XCTAssertEqual(schedule.learningRate(step: 14) + schedule.learningRate(step: 15), 0.52, accuracy: 0.02)
        let rise = (0...29).map { schedule.learningRate(step: $0) }, fall = (29...99).map { schedule.learningRate(step: $0) }
        XCTAssertEqual(rise, rise.sorted())
        XCTAssertEqual(fall, fall.sorted(by: >))
    }
}
