import Engine
import Models
import XCTest

/// The engine networks of every architecture: state_dict order and shapes from the layer tree,
/// torchvision's initialisation, and whole-network gradients against finite differences (the
/// only gradient check ShuffleNet has: no PyTorch fixture exists for it).
final class NetworkTests: XCTestCase {
    private let specs = [
        ModelSpec(arch: .mobilenetV1, width: 0.25, classes: 3, dropout: 0),
        ModelSpec(arch: .mobilenetV2, width: 0.35, classes: 3, dropout: 0),
        ModelSpec(arch: .shufflenetV1, width: 0.25, classes: 3, dropout: 0, groups: 3),
    ]

    func testStateFollowsTheLayerTree() {
        for spec in specs + [ModelSpec(arch: .shufflenetV1, width: 0.5, groups: 8)] {
            let network = Network(spec)
            let tree = spec.network.stateDict
            XCTAssertEqual(network.state(prefix: "").map(\.name), tree.map(\.name), "\(spec.arch)")
            for (named, entry) in zip(network.state(prefix: ""), tree) where !entry.isInt64 {
                XCTAssertEqual(named.parameter.torchShape, entry.shape, entry.name)
                XCTAssertEqual(named.parameter.isTrainable, entry.kind == .parameter, entry.name)
            }
        }
    }

    /// Conv: Kaiming normal with PyTorch's fan-out (out·k·k, groups ignored); BN 1 and 0;
    /// linear normal(0, 0.01) with zero bias. Same seed, same weights.
    func testInitialisationFollowsTorchvision() {
        let spec = ModelSpec(arch: .mobilenetV2, width: 1, classes: 10)
        let network = Network(spec, seed: 7)
        for named in network.state(prefix: "") {
            let values = named.parameter.torchValues()
            let shape = named.parameter.torchShape
            let mean = values.reduce(0, +) / Float(values.count)
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
            if shape.count == 4 {
                let expected = (2 / Float(shape[0] * shape[2] * shape[3])).squareRoot()
                let slack: Float = values.count >= 1000 ? 0.1 : 0.35
                XCTAssertEqual(deviation, expected, accuracy: slack * expected, named.name)
            } else if named.name.hasPrefix("classifier") {
                if named.name.hasSuffix("weight") { XCTAssertEqual(deviation, 0.01, accuracy: 0.001) } else { XCTAssertEqual(values, Array(repeating: 0, count: values.count)) }
            } else if named.name.hasSuffix(".weight") || named.name.hasSuffix("running_var") {
                XCTAssertEqual(values, Array(repeating: 1, count: values.count), named.name)
            } else {
                XCTAssertEqual(values, Array(repeating: 0, count: values.count), named.name)
            }
        }
        XCTAssertEqual(Network(spec, seed: 7).state(prefix: "").map { $0.parameter.torchValues() },
                       network.state(prefix: "").map { $0.parameter.torchValues() })
        XCTAssertNotEqual(Network(spec, seed: 8).state(prefix: "")[0].parameter.torchValues(),
                          network.state(prefix: "")[0].parameter.torchValues())
    }

    /// d loss / d θ along a random unit direction by central differences, against ⟨∇θ, v⟩ from one
    /// backward pass. ReLU kinks and batch statistics of 8 samples make the loss rough at the
    /// float32 scale, so the bar is 10 %: what a dropped or doubled gradient path exceeds.
    /// The loss is strongly curved at random initialisation (single-coordinate differences only
    /// approach the backward's value below steps of 1e-4), so a rounding-level change in the
    /// engine can move this estimate by several per cent: a failure here after such a change
    /// calls for checking convergence per tensor as the step shrinks before suspecting a bug.
    /// A predictor's evaluation, its 1×1 weights packed once, gives the bits of the plain one:
    /// one window (every thread sharing each op) and a batch (fused blocks, passes), on one and
    /// two threads. Every ungrouped 1×1 convolution is packed; ShuffleNet's grouped ones are not.
    func testInferenceWithPackedWeightsMatches() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        var random = SeededRandom(seed: 12)
        for spec in specs {
            let network = Network(spec, seed: 5)
            let pointwise = network.state(prefix: "").filter { $0.parameter.torchShape.count == 4 && $0.parameter.torchShape.suffix(2) == [1, 1] }
            for (batch, count) in [(1, 1), (1, 2), (5, 2)] {
                Parallel.threadCount = count
                let label = "\(spec.arch), batch \(batch), \(count) threads"
                let x = Tensor(shape: [batch, 64, 64, 1], values: (0..<batch * 4096).map { _ in random.nextNormal() })
                let packedWeights = PackedWeights()
                let packed = network.infer(x, packedWeights: packedWeights)
                let plain = network.infer(x)
                XCTAssertEqual(packed.shape, plain.shape, label)
                XCTAssertEqual(zip(packed.values, plain.values).filter { $0.bitPattern != $1.bitPattern }.count, 0, label)
                if spec.arch == .shufflenetV1 {
                    XCTAssertTrue((1..<pointwise.count).contains(packedWeights.count), "\(label): \(packedWeights.count) of \(pointwise.count)")
                } else {
                    XCTAssertEqual(packedWeights.count, pointwise.count, label)
                }
            }
        }
    }

    func testGradientsMatchFiniteDifferences() {
        for spec in specs {
            let network = Network(spec, seed: 3)
            var random = SeededRandom(seed: 11)
            let x = Tensor(shape: [8, 64, 64, 1], values: (0..<8 * 64 * 64).map { _ in random.nextNormal() })
            let labels = [0, 1, 2, 1, 0, 2, 2, 1]
            // Logits of O(1) instead of torchvision's O(0.01), so the loss is not flat.
            let classifier = network.parameters(prefix: "").first { $0.name == "classifier.1.weight" }!.parameter.value
            for i in 0..<classifier.count { classifier.data[i] *= 100 }
            func loss() -> Double {
                let tape = Tape(mode: .training)
                return Double(tape.crossEntropy(network(x, tape), labels: labels).values[0])
            }
            let parameters = network.parameters(prefix: "")
            let snapshot = parameters.map(\.parameter.value.values)
            var directions = parameters.map { named in (0..<named.parameter.value.count).map { _ in random.nextNormal() } }
            let norm = directions.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
            directions = directions.map { $0.map { $0 / norm } }

            network.zeroGrad()
            let tape = Tape(mode: .training)
            tape.backward(tape.crossEntropy(network(x, tape), labels: labels))
            var analytic = 0.0
            for (named, direction) in zip(parameters, directions) {
                analytic += zip(named.parameter.grad!.values, direction).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }

            let step: Float = 1e-3
            func shift(_ sign: Float) {
                for ((named, original), direction) in zip(zip(parameters, snapshot), directions) {
                    for i in original.indices { named.parameter.value.data[i] = original[i] + sign * step * direction[i] }
                }
            }
            shift(1); let plus = loss()
            shift(-1); let minus = loss()
            shift(0)
            let numeric = (plus - minus) / (2 * Double(step))
            XCTAssertEqual(numeric, analytic, accuracy: 0.1 * abs(analytic) + 1e-3, "\(spec.arch): numeric \(numeric), analytic \(analytic)")
        }
    }
}
