import Engine
import Models
import TestSupport
import XCTest

/// Every model fixture reproduced by the `Network` built from its spec, with PyTorch's weights
/// loaded by state_dict name: training-mode logits, loss, every parameter gradient, the running
/// statistics after that forward, and evaluation-mode logits.
///
/// The bar is 1e-3·(1 + |reference|) per element, plus what float32 cannot promise: these tiny
/// random networks normalise batches of 2–3 samples at 1×1 or 2×2, and BatchNorm's 1/σ makes them
/// ill-conditioned (gradients reach 10⁶). Rounding the input by one float32 step moves the
/// engine's own results as far as they are from PyTorch's, so each tensor also gets 4× the
/// largest spread the engine shows under four such perturbations. Where a tensor is
/// well conditioned (eval logits, the classifier, the 48×40 network's logits) that extra is
/// ~1e-5 and the plain bar decides; a wrong op is off by O(|reference|) everywhere.
final class NetworkFixtureTests: XCTestCase {
    private let tolerance: Float = 1e-3

    func testEveryModelFixture() throws {
        let urls = Fixtures.files(in: "models")
        XCTAssertFalse(urls.isEmpty, "no model fixtures in \(Fixtures.root.path)/models")
        for url in urls {
            let fixture = try Fixture(url)
            let network = Network(try spec(fixture))
            let x = fixture.tensor("x")
            let reference = trainingStep(network, fixture, x)
            let perturbed = (1...4 as ClosedRange<UInt64>).map { seed in
                var random = SeededRandom(seed: seed)
                let rounded = Tensor(shape: x.shape, values: x.values.map { $0 * (1 + 1.2e-7 * random.nextNormal()) })
                return trainingStep(network, fixture, rounded)
            }
            for (key, values) in reference.sorted(by: { $0.key < $1.key }) {
                let expected = fixture.floats(key)
                let spread = perturbed.map { maxAbsoluteError(values, $0[key]!) }.max()!
                XCTAssertEqual(values.count, expected.count, "\(fixture.name): \(key)")
                let worst = zip(values, expected).map { abs($0 - $1) - tolerance * (1 + abs($1)) }.max()!
                XCTAssertLessThanOrEqual(worst, 4 * spread, "\(fixture.name): \(key) off by \(maxAbsoluteError(values, expected)), spread \(spread)")
            }

            load(network, from: fixture)
            XCTAssertNil(fixture.mismatch(network(x, Tape(mode: .evaluation)), "eval_logits", tolerance: tolerance))
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

    /// `mobilenet_v2_w0.5_in1_48x40_c5` → MobileNetV2, α 0.5, 1 input channel, 5 classes; dropout 0.
    private func spec(_ fixture: Fixture) throws -> ModelSpec {
        let stem = fixture.url.deletingPathExtension().lastPathComponent
        let arch = try XCTUnwrap(ModelSpec.Architecture.allCases.first { stem.hasPrefix($0.rawValue + "_") }, stem)
        let fields = stem.dropFirst(arch.rawValue.count + 1).split(separator: "_")
        func value(_ prefix: String) throws -> Double {
            try XCTUnwrap(fields.first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }, "\(stem): no \(prefix)")
        }
        return ModelSpec(arch: arch, width: try value("w"), inChannels: Int(try value("in")), classes: Int(try value("c")), dropout: 0)
    }

    private func load(_ network: Network, from fixture: Fixture) {
        for named in network.state(prefix: "") where !named.name.hasSuffix("num_batches_tracked") {
            named.parameter.load(torchValues: fixture.floats("param." + named.name))
        }
    }
}
