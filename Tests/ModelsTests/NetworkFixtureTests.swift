import Engine
import Foundation
import Models
import TestSupport
import XCTest

/// Every model fixture (MobileNetV1, MobileNetV2, ShuffleNet v1) reproduced by the `Network` its
/// file name describes, with PyTorch's weights loaded by state_dict name: training-mode logits,
/// loss, every parameter gradient, the running statistics after that forward, and
/// evaluation-mode logits, each element within max |Δ| ≤ 1e-3·(1 + |reference|).
///
/// The references are computed in float64 at shapes where every batch norm normalises at least
/// 16 values per channel (batch 2 at 128×128: 2·4·4 at the deepest layers), so float32 can meet
/// that bar; at 32×32 with 2–3 values per channel, 1/σ made them ill-conditioned.
final class NetworkFixtureTests: XCTestCase {
    private let tolerance: Float = 1e-3

    func testEveryModelFixture() throws {
        for url in Fixtures.files(in: "models") {
            let fixture = try Fixture(url)
            let network = Network(try ModelSpec(fixture: url))
            let x = fixture.tensor("x")
            var results = trainingStep(network, fixture, x)
            load(network, from: fixture)
            results["eval_logits"] = network(x, Tape(mode: .evaluation)).values

            // Every reference the file holds is compared, and every value the engine gives has one.
            let references = Set(fixture.file.tensors.keys.filter { !$0.hasPrefix("param.") && $0 != "x" && $0 != "labels" })
            XCTAssertEqual(Set(results.keys), references, url.path)

            var worst: [String: (error: Float, key: String)] = [:]
            for (key, values) in results.sorted(by: { $0.key < $1.key }) where fixture.has(key) {
                let expected = fixture.floats(key)
                XCTAssertEqual(values.count, expected.count, "\(url.path): \(key)")
                guard values.count == expected.count else { continue }
                let error = maxRelativeError(values, expected)
                XCTAssertLessThanOrEqual(error, tolerance, "\(url.path): \(key) off by \(error) (|Δ| / (1 + |reference|))")
                let kind = String(key.prefix { $0 != "." })
                if error >= worst[kind]?.error ?? -1 { worst[kind] = (error, key) }
            }
            let summary = worst.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2e", $0.value.error)) (\($0.value.key))" }
            print("\(fixture.name): worst |Δ|/(1+|ref|): " + summary.joined(separator: ", "))
        }
    }

    /// One training-mode forward and backward from the fixture's weights: every compared tensor
    /// under its fixture key, in PyTorch's layouts.
    private func trainingStep(_ network: Network, _ fixture: Fixture, _ x: Tensor) -> [String: [Float]] {
        load(network, from: fixture)
        network.zeroGrad()
        let tape = Tape(mode: .training)
        let logits = network(x, tape)
        let loss = tape.crossEntropy(logits, labels: fixture.file["labels"]!.int64s()!.map { Int($0) })
        tape.backward(loss)
        var results = ["train_logits": logits.values, "loss": loss.values]
        for named in network.parameters(prefix: "") {
            let grad = named.parameter.grad!
            results["grad." + named.name] = named.parameter.torchLayout == .convolution
                ? Layout.oihw(fromHWIO: grad.values, shape: grad.shape).values : grad.values
        }
        for named in network.state(prefix: "") where named.name.hasSuffix("running_mean") || named.name.hasSuffix("running_var") {
            results["after." + named.name] = named.parameter.value.values
        }
        return results
    }

    private func load(_ network: Network, from fixture: Fixture) {
        for named in network.state(prefix: "") where !named.name.hasSuffix("num_batches_tracked") {
            named.parameter.load(torchValues: fixture.floats("param." + named.name))
        }
    }
}
