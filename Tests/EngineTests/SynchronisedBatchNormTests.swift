import Engine
import Foundation
import TestSupport
import XCTest

/// Synchronised batch norm: two "processes" (threads here, as `mpirun` ranks would be) each run
/// half of a batch through the same network, their batch norms summing statistics through a
/// `BatchStatisticsReducer`; their parameter gradients added and their input gradients side by
/// side must be the whole batch's, as one process computes them.
final class SynchronisedBatchNormTests: XCTestCase {
    private struct Gradients: Sendable {
        var input: [Float]
        var weights: [[Float]]
    }

    /// Two parties: each `sum` waits for the other's values, and both get party 0's + party 1's.
    private final class PairReducer: BatchStatisticsReducer, @unchecked Sendable {
        private let condition = NSCondition()
        private var deposits: [[Double]?] = [nil, nil]
        private var collected = 0
        private let party: Int
        private let shared: PairReducer?

        init() { party = 0; shared = nil }
        private init(party: Int, shared: PairReducer) { self.party = party; self.shared = shared }
        func handle(_ party: Int) -> PairReducer { PairReducer(party: party, shared: self) }

        func sum(_ values: inout [Double]) { shared!.exchange(&values, party: party) }

        private func exchange(_ values: inout [Double], party: Int) {
            condition.lock()
            defer { condition.unlock() }
            while deposits[party] != nil { condition.wait() }  // the previous round is still being read
            deposits[party] = values
            condition.broadcast()
            while deposits[0] == nil || deposits[1] == nil { condition.wait() }
            values = zip(deposits[0]!, deposits[1]!).map { $0 + $1 }
            collected += 1
            if collected == 2 {
                collected = 0
                deposits = [nil, nil]
                condition.broadcast()
            } else {
                while deposits[party] != nil { condition.wait() }
            }
        }
    }

    /// stem 3×3/2 → BN → ReLU → expand 1×1 → BN → ReLU6 → depthwise 3×3 → BN → ReLU → project
    /// 1×1 → BN, backward from `mix`, on `images` of the batch `x` [N, height, width, 1].
    private static func run(_ x: [Float], images: Range<Int>, mix: [Float], reducer: BatchStatisticsReducer?,
                            side: (Int, Int), stride: Int) -> Gradients {
        var random = SeededRandom(seed: 11)
        let stem = Conv2D(inputChannels: 1, outputChannels: 5, kernelSize: 3, stride: 2, padding: 1, random: &random)
        let expand = Conv2D(inputChannels: 5, outputChannels: 12, kernelSize: 1, random: &random)
        let depthwise = Conv2D(inputChannels: 12, outputChannels: 12, kernelSize: 3, stride: stride, padding: 1, groups: 12, random: &random)
        let project = Conv2D(inputChannels: 12, outputChannels: 7, kernelSize: 1, random: &random)
        let norms = [BatchNorm(channels: 12), BatchNorm(channels: 12), BatchNorm(channels: 7), BatchNorm(channels: 5)]
        for norm in norms { norm.randomizeAffine(&random) }
        let (height, width) = side
        let image = height * width, outputImage = Self.outputSize(side, stride: stride)
        let input = Tensor(shape: [images.count, height, width, 1], values: Array(x[(images.lowerBound * image)..<(images.upperBound * image)]),
                           requiresGrad: true)
        let tape = Tape(mode: .training)
        tape.batchStatistics = reducer
        var h = norms[3](stem(input, tape), tape, activationUpperBound: .infinity)
        h = norms[0](expand(h, tape), tape, activationUpperBound: 6)
        h = norms[1](depthwise(h, tape), tape, activationUpperBound: .infinity)
        let y = norms[2](project(h, tape), tape, activationUpperBound: nil)
        let gradient = Tensor(shape: y.shape, values: Array(mix[(images.lowerBound * outputImage)..<(images.upperBound * outputImage)]))
        tape.backward(y, gradient: gradient)
        let parameters = [stem.weight, expand.weight, depthwise.weight, project.weight] + norms.flatMap { [$0.weight, $0.bias] }
        return Gradients(input: input.grad!.values, weights: parameters.map { $0.value.grad!.values })
    }

    /// Values per image of `run`'s output.
    private static func outputSize(_ side: (Int, Int), stride: Int) -> Int {
        func out(_ n: Int) -> Int { ((n + 1) / 2 + stride - 1) / stride }
        return out(side.0) * out(side.1) * 7
    }

    /// Stride 1 and 2, an odd width after the stem, and a batch whose halves fill no block.
    func testHalvesOfABatchGiveTheWholeBatchsGradients() {
        for (side, stride, batch) in [((12, 12), 1, 8), ((16, 22), 2, 28), ((18, 26), 2, 6)] {
            check(side: side, stride: stride, batch: batch)
        }
    }

    private func check(side: (Int, Int), stride: Int, batch: Int) {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 1
        var random = SeededRandom(seed: 3)
        // An offset well above the spread, as real activations have: centring must stay exact.
        let x = (0..<(batch * side.0 * side.1)).map { i in random.nextNormal() + (i % 5 == 0 ? 40 : 0) }
        let mix = (0..<(batch * Self.outputSize(side, stride: stride))).map { _ in random.nextNormal() }
        let whole = Self.run(x, images: 0..<batch, mix: mix, reducer: nil, side: side, stride: stride)

        let reducer = PairReducer()
        let halves = Halves()
        let done = DispatchGroup()
        let half = batch / 2
        for party in 0..<2 {
            done.enter()
            let handle = reducer.handle(party)
            Thread {
                let gradients = Self.run(x, images: (party * half)..<(party * half + half), mix: mix, reducer: handle, side: side, stride: stride)
                halves.store(gradients, party: party)
                done.leave()
            }.start()
        }
        done.wait()
        let (first, second) = (halves.values[0]!, halves.values[1]!)
        let what = "\(side) stride \(stride) batch \(batch)"
        assertClose(first.input + second.input, whole.input, "\(what): input gradient")
        for (index, expected) in whole.weights.enumerated() {
            assertClose(zip(first.weights[index], second.weights[index]).map { $0 + $1 }, expected, "\(what): parameter \(index)")
        }
    }

    /// Each thread's result, stored under a lock; read after both have finished.
    private final class Halves: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Gradients?] = [nil, nil]
        var values: [Gradients?] { lock.withLock { slots } }
        func store(_ gradients: Gradients, party: Int) { lock.withLock { slots[party] = gradients } }
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String) {
        XCTAssertEqual(actual.count, expected.count, what)
        let scale = max(expected.map { abs($0) }.max() ?? 0, 1e-6)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst / scale, 1e-4, "\(what): halves differ from the whole batch by \(worst / scale) of its largest value")
    }
}
