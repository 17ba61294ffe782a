import Engine
import TestSupport
import XCTest

/// Every file in fixtures/ops, driven by its `op` metadata: outputs and every gradient the
/// file holds must match PyTorch within 1e-4·(1 + |reference|).
final class OpFixtureTests: XCTestCase {
    func testEveryOpFixture() throws {
        let urls = Fixtures.files(in: "ops")
        XCTAssertFalse(urls.isEmpty, "no fixtures in \(Fixtures.root.path)/ops")
        for url in urls {
            let fixture = try Fixture(url)
            switch fixture.metadata("op") {
            case "conv2d": checkConvolution(fixture)
            case let op: XCTFail("\(fixture.name): no test for op \(op ?? "nil")")
            }
        }
    }

    /// Runs `forward` in training mode and backpropagates the fixture's `dy`.
    private func trainingStep(_ fixture: Fixture, _ forward: (Tape) -> Engine.Tensor) -> Engine.Tensor {
        let tape = Tape(mode: .training)
        let y = forward(tape)
        tape.backward(y, gradient: fixture.tensor("dy"))
        return y
    }

    private func checkConvolution(_ fixture: Fixture) {
        let x = fixture.tensor("x", requiresGrad: true)
        let w = fixture.tensor("w", weight: true, requiresGrad: true)
        let y = trainingStep(fixture) {
            $0.conv2d(x, w, stride: fixture.int("stride")!, padding: fixture.int("padding")!, groups: fixture.int("groups")!)
        }
        fixture.assertMatches(y, "y")
        fixture.assertMatches(x.grad, "dx")
        fixture.assertMatches(w.grad, "dw", weight: true)
    }
}
