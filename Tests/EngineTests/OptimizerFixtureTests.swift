import Engine
import TestSupport
import XCTest

/// Every file in fixtures/optim: three steps from p0 with gradients g1…g3 must land on p1…p3.
/// The optimiser and its settings come from the file's metadata.
final class OptimizerFixtureTests: XCTestCase {
    func testEveryOptimizerFixture() throws {
        for url in Fixtures.files(in: "optim") {
            let fixture = try Fixture(url)
            guard let optimizer = makeOptimizer(fixture) else {
                XCTFail("\(fixture.name): no optimiser for \(fixture.metadata("opt") ?? "nil")")
                continue
            }
            let parameter = Parameter(fixture.tensor("p0", requiresGrad: true))
            for step in 1...3 {
                parameter.value.grad = fixture.tensor("g\(step)")
                optimizer.step([NamedParameter("p", parameter)])
                fixture.assertMatches(parameter.value, "p\(step)")
            }
        }
    }

    private func makeOptimizer(_ fixture: Fixture) -> (any Optimizer)? {
        let learningRate = fixture.float("lr")!
        let weightDecay = fixture.float("weight_decay") ?? 0
        switch fixture.metadata("opt") {
        case "sgd_momentum", "sgd_nesterov", "sgd":
            XCTAssertEqual(fixture.float("dampening") ?? 0, 0, "\(fixture.name): only dampening 0 is implemented")
            return SGD(learningRate: learningRate, momentum: fixture.float("momentum") ?? 0,
                       nesterov: fixture.metadata("nesterov") == "True", weightDecay: weightDecay)
        case "adam", "adamw":
            let betas = fixture.metadata("betas")!.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
                .split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces))! }
            return Adam(learningRate: learningRate, beta1: betas[0], beta2: betas[1], epsilon: fixture.float("eps")!,
                        weightDecay: weightDecay, decoupledWeightDecay: fixture.metadata("decoupled_weight_decay") == "True")
        default:
            return nil
        }
    }

    func testGradientsAccumulateUntilZeroed() {
        let weight = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let x = Tensor(shape: [1, 3], values: [1, -1, 2])
        for _ in 0..<2 {
            let tape = Tape(mode: .training)
            tape.backward(tape.linear(x, weight: weight, bias: nil), gradient: Tensor(shape: [1, 2], values: [1, 1]))
        }
        XCTAssertEqual(weight.grad?.values, [2, -2, 4, 2, -2, 4])
        Parameter(weight).zeroGrad()
        XCTAssertNil(weight.grad)
    }

    func testEvaluationRecordsNothing() {
        let weight = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let tape = Tape(mode: .evaluation)
        let y = tape.linear(Tensor(shape: [1, 3], values: [1, -1, 2]), weight: weight, bias: nil)
        XCTAssertEqual(tape.recordedCount, 0)
        XCTAssertFalse(y.requiresGrad)
    }
}
