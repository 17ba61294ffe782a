import Engine
import XCTest

/// The optimisers update every parameter in one parallel region, each thread taking a share of
/// all the parameters laid end to end (shares begin and end inside parameters). Each element must
/// get exactly PyTorch's update, written out here one element at a time: once, whatever the split
/// (an element updated twice, or not at all, would land elsewhere).
final class OptimizerSweepTests: XCTestCase {
    /// Sizes around and across the shares' bounds: empty, tiny, one over the parallel threshold.
    private let sizes = [0, 5, 70_001, 3, 1_000, 100_003]

    func testSGDMatchesTheElementwiseUpdate() {
        for (momentum, nesterov) in [(Float(0), false), (0.9, false), (0.9, true)] {
            let weightDecay: Float = 0.01
            let run = parameters()
            let optimizer = SGD(learningRate: 0.05, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
            var expected = run.map { $0.parameter.value.values }
            var buffers = run.map { [Float](repeating: 0, count: $0.parameter.value.count) }
            for step in 0..<3 {
                setGradients(run, seed: UInt64(step))
                withThreads(2) { optimizer.step(run) }
                for (index, named) in run.enumerated() {
                    guard let g = named.parameter.grad?.values else {
                        XCTAssertEqual(named.parameter.value.values, expected[index], "\(named.name) has no gradient")
                        continue
                    }
                    for i in expected[index].indices {
                        let decayed = g[i] + weightDecay * expected[index][i]
                        if momentum == 0 {
                            expected[index][i] -= 0.05 * decayed
                            continue
                        }
                        buffers[index][i] = step == 0 ? decayed : momentum * buffers[index][i] + decayed
                        expected[index][i] -= 0.05 * (nesterov ? decayed + momentum * buffers[index][i] : buffers[index][i])
                    }
                    XCTAssertEqual(named.parameter.value.values, expected[index], "\(named.name), momentum \(momentum), nesterov \(nesterov)")
                }
            }
            XCTAssertEqual(optimizer.state.count, momentum == 0 ? 0 : run.count - 1, "one momentum buffer per parameter with a gradient")
        }
    }

    func testAdamMatchesTheElementwiseUpdate() {
        for decoupled in [false, true] {
            let (learningRate, beta1, beta2, epsilon, weightDecay): (Float, Float, Float, Float, Float) = (0.01, 0.9, 0.999, 1e-8, 0.02)
            let run = parameters()
            let optimizer = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                                 decoupledWeightDecay: decoupled)
            var expected = run.map { $0.parameter.value.values }
            var averages = run.map { [Float](repeating: 0, count: $0.parameter.value.count) }
            var squares = averages
            for step in 1...3 {
                setGradients(run, seed: UInt64(step))
                withThreads(2) { optimizer.step(run) }
                let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), Double(step))))
                let correction2 = Float((1 - pow(Double(beta2), Double(step))).squareRoot())
                for (index, named) in run.enumerated() {
                    guard let g = named.parameter.grad?.values else {
                        XCTAssertEqual(named.parameter.value.values, expected[index], "\(named.name) has no gradient")
                        continue
                    }
                    for i in expected[index].indices {
                        var gradient = g[i]
                        if decoupled {
                            expected[index][i] *= 1 - learningRate * weightDecay
                        } else {
                            gradient += weightDecay * expected[index][i]
                        }
                        averages[index][i] += (gradient - averages[index][i]) * (1 - beta1)
                        squares[index][i] = beta2 * squares[index][i] + (1 - beta2) * gradient * gradient
                        expected[index][i] -= stepSize * averages[index][i] / (squares[index][i].squareRoot() / correction2 + epsilon)
                    }
                    XCTAssertEqual(named.parameter.value.values, expected[index], "\(named.name), decoupled \(decoupled), step \(step)")
                }
            }
            // The state reads back as PyTorch's keys and survives a round trip.
            XCTAssertEqual(optimizer.state["p2.exp_avg"], averages[2])
            XCTAssertEqual(optimizer.state["p2.step"], [3])
            let copy = Adam(learningRate: learningRate)
            copy.state = optimizer.state
            XCTAssertEqual(copy.state, optimizer.state)
        }
    }

    /// One parameter per size, with values of both signs and many magnitudes.
    private func parameters() -> [NamedParameter] {
        sizes.enumerated().map { index, count in
            NamedParameter("p\(index)", Parameter(Tensor(shape: [count], values: wave(count, phase: Double(index)), requiresGrad: true)))
        }
    }

    /// Fresh gradients for every parameter but the last, which the optimisers must then leave alone.
    private func setGradients(_ run: [NamedParameter], seed: UInt64) {
        for named in run.dropLast() {
            let count = named.parameter.value.count
            named.parameter.value.grad = Tensor(shape: [count], values: wave(count, phase: 10 + Double(seed)))
        }
    }

    private func wave(_ count: Int, phase: Double) -> [Float] {
        (0..<count).map { index in
            let magnitude = 1 + Double(index % 7)
            return Float(sin(Double(index) * 0.37 + phase) * magnitude)
        }
    }

    private func withThreads(_ count: Int, _ body: () -> Void) {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = count
        body()
    }
}
