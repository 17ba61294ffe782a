import Engine
import TestSupport
import XCTest

/// Every file in fixtures/ops, driven by its `op` metadata: outputs and every gradient the
/// file holds must match PyTorch within 1e-4·(1 + |reference|).
final class OpFixtureTests: XCTestCase {
    func testEveryOpFixture() throws {
        for url in Fixtures.files(in: "ops") {
            let fixture = try Fixture(url)
            switch fixture.metadata("op") {
            case "conv2d": checkConvolution(fixture)
            case "batchnorm": checkBatchNorm(fixture)
            case "relu": checkUnary(fixture) { $0.relu($1) }
            case "relu6": checkUnary(fixture) { $0.relu6($1) }
            case "channel_shuffle": checkUnary(fixture) { $0.channelShuffle($1, groups: fixture.int("groups")!) }
            case "global_avgpool": checkUnary(fixture) { $0.globalAveragePool($1) }
            case "avgpool2d":
                XCTAssertEqual(fixture.metadata("count_include_pad"), "True", "\(fixture.name): only count_include_pad is implemented")
                checkUnary(fixture) {
                    $0.averagePool2d($1, kernel: fixture.int("kernel")!, stride: fixture.int("stride")!, padding: fixture.int("padding")!)
                }
            case "linear": checkLinear(fixture)
            case "softmax_cross_entropy": checkCrossEntropy(fixture)
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

    private func checkUnary(_ fixture: Fixture, _ op: (Tape, Engine.Tensor) -> Engine.Tensor) {
        let x = fixture.tensor("x", requiresGrad: true)
        let y = trainingStep(fixture) { op($0, x) }
        fixture.assertMatches(y, "y")
        fixture.assertMatches(x.grad, "dx")
    }

    private func checkBatchNorm(_ fixture: Fixture) {
        let training = fixture.metadata("training") == "True"
        let x = fixture.tensor("x", requiresGrad: training)
        let gamma = fixture.tensor("gamma", requiresGrad: training), beta = fixture.tensor("beta", requiresGrad: training)
        let runningMean = fixture.tensor("running_mean"), runningVariance = fixture.tensor("running_var")
        let forward = { (tape: Tape) in
            tape.batchNorm(x, weight: gamma, bias: beta, runningMean: runningMean, runningVariance: runningVariance,
                           momentum: fixture.float("momentum") ?? 0.1, epsilon: fixture.float("eps")!)
        }
        guard training else {
            fixture.assertMatches(forward(Tape(mode: .evaluation)), "y")
            return
        }
        let y = trainingStep(fixture, forward)
        fixture.assertMatches(y, "y")
        fixture.assertMatches(x.grad, "dx")
        fixture.assertMatches(gamma.grad, "dgamma")
        fixture.assertMatches(beta.grad, "dbeta")
        fixture.assertMatches(runningMean, "running_mean_after")
        fixture.assertMatches(runningVariance, "running_var_after")
    }

    private func checkLinear(_ fixture: Fixture) {
        let x = fixture.tensor("x", requiresGrad: true)
        let w = fixture.tensor("w", requiresGrad: true), b = fixture.tensor("b", requiresGrad: true)
        let y = trainingStep(fixture) { $0.linear(x, weight: w, bias: b) }
        fixture.assertMatches(y, "y")
        fixture.assertMatches(x.grad, "dx")
        fixture.assertMatches(w.grad, "dw")
        fixture.assertMatches(b.grad, "db")
    }

    private func checkCrossEntropy(_ fixture: Fixture) {
        let logits = fixture.tensor("logits", requiresGrad: true)
        let labels = fixture.file["labels"]!.int64s()!.map { Int($0) }
        let tape = Tape(mode: .training)
        let loss = tape.crossEntropy(logits, labels: labels, labelSmoothing: fixture.float("label_smoothing")!)
        tape.backward(loss)
        fixture.assertMatches(loss, "loss")
        fixture.assertMatches(softmax(logits), "probs")
        fixture.assertMatches(logits.grad, "dlogits")
    }
}
