import Engine
import TestSupport
import XCTest

/// In training, a convolution gathers the batch-norm sums of its output block by block while
/// each block is in cache (Engine/Kernels/BatchNormKernels.swift, `ChannelMoments`), and the
/// batch norm after it uses them instead of reading the output again. The normalised output and
/// the running statistics must be the same bits as a batch norm over a copy of the output.
/// In the backward, a convolution reading a batch norm's output gathers that norm's gradient
/// sums while each block of its input gradient is in cache (`GradientSums`); the gradients
/// must be the same bits as with the sums from a pass over memory.
final class ConvolutionMomentsTests: XCTestCase {
    /// 1×1 with rows split across threads (several GEMM row blocks, the last partial) and with
    /// columns split (a short product); depthwise with image rows of 40 pixels (blocks span
    /// several rows) and at stride 2; im2col (3×3 dense) and grouped 1×1, which take the sums in
    /// a pass after the kernel.
    func testBatchNormAfterConvolutionMatchesBatchNormOfACopy() {
        let cases: [(input: [Int], kernel: Int, stride: Int, outputs: Int, groups: Int)] = [
            ([2, 23, 21, 24], 1, 1, 40, 1), ([1, 4, 5, 300], 1, 1, 700, 1),
            ([2, 40, 40, 20], 3, 1, 20, 20), ([2, 41, 37, 24], 3, 2, 24, 24),
            ([2, 9, 9, 6], 3, 2, 20, 1), ([2, 7, 7, 12], 1, 1, 12, 3),
        ]
        forEachInstructionSet { set in
            for (shape, kernel, stride, outputs, groups) in cases {
                var random = SeededRandom(seed: 3)
                let channels = shape[3]
                let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() + 0.5 })
                let conv = Conv2D(inputChannels: channels, outputChannels: outputs, kernelSize: kernel, stride: stride,
                                  padding: kernel == 3 ? 1 : 0, groups: groups, random: &random)
                let tape = Tape(mode: .training)
                let y = conv(x, tape)
                let copy = Tensor(shape: y.shape, values: y.values)
                let (norm, reference) = (BatchNorm(channels: outputs), BatchNorm(channels: outputs))
                let fromKernel = norm(y, tape, activationUpperBound: 6).values
                let fromCopy = reference(copy, Tape(mode: .training), activationUpperBound: 6).values
                let label = "\(set) \(shape) k\(kernel)/\(stride) groups \(groups)"
                XCTAssertEqual(zip(fromKernel, fromCopy).filter { $0 != $1 }.count, 0, "\(label): normalised outputs differ")
                XCTAssertTrue(norm.runningMean.value.values == reference.runningMean.value.values, "\(label): running mean")
                XCTAssertTrue(norm.runningVariance.value.values == reference.runningVariance.value.values, "\(label): running variance")
                XCTAssertTrue(fromKernel.contains { $0 > 0 && $0 < 6 }, "\(label): values inside the clamp")
            }
        }
    }

    /// conv → batch norm (→ ReLU6, or none) → conv, against the same with the norm's output
    /// passed through an add of zeros (which hands the norm its gradient without sums): 1×1
    /// with rows split (several row blocks), with columns split (a short product) and with K
    /// split (a tall-skinny product: many output channels); depthwise at strides 1 and 2.
    func testBatchNormBackwardSumsFromTheConvolutionMatchAPass() {
        let cases: [(input: [Int], kernel: Int, stride: Int, outputs: Int)] = [
            ([2, 23, 21, 24], 1, 1, 40), ([1, 4, 5, 300], 1, 1, 700), ([1, 8, 8, 64], 1, 1, 2048),
            ([2, 40, 40, 24], 3, 1, 24), ([2, 41, 37, 24], 3, 2, 24),
        ]
        forEachInstructionSet { set in
            for (shape, kernel, stride, outputs) in cases {
                let bounds: [Float?] = [6, nil]
                for upper in bounds {
                    let bound = upper.map { "bound \($0)" } ?? "no activation"
                    var random = SeededRandom(seed: 5)
                    let channels = shape[3]
                    let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() })
                    let first = Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 1, stride: 1, padding: 0, groups: 1,
                                       random: &random)
                    let norm = BatchNorm(channels: channels)
                    for i in 0..<channels {
                        norm.weight.value.data[i] = 1 + 0.5 * random.nextNormal()
                        norm.bias.value.data[i] = random.nextNormal()
                    }
                    let second = Conv2D(inputChannels: channels, outputChannels: outputs, kernelSize: kernel, stride: stride,
                                        padding: kernel == 3 ? 1 : 0, groups: kernel == 3 ? channels : 1, random: &random)
                    let layers: [NamedParameter] = first.parameters(prefix: "first") + norm.parameters(prefix: "norm")
                        + second.parameters(prefix: "second")
                    var upstream: Tensor?
                    func gradients(throughAdd: Bool) -> [[Float]] {
                        layers.forEach { $0.parameter.zeroGrad() }
                        let tape = Tape(mode: .training)
                        var y = norm(first(x, tape), tape, activationUpperBound: upper)
                        if throughAdd { y = tape.add(y, Tensor(zeros: y.shape)) }
                        let z = second(y, tape)
                        if upstream == nil {
                            let values: [Float] = (0..<z.count).map { _ in random.nextNormal() }
                            upstream = Tensor(shape: z.shape, values: values)
                        }
                        tape.backward(z, gradient: upstream)
                        return layers.map { $0.parameter.grad!.values }
                    }
                    let (gathered, passed) = (gradients(throughAdd: false), gradients(throughAdd: true))
                    for (named, (a, b)) in zip(layers, zip(gathered, passed)) {
                        let differing = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
                        let label = "\(set) \(shape) k\(kernel)/\(stride) → \(outputs), \(bound): \(named.name)"
                        XCTAssertEqual(differing, 0, label)
                    }
                }
            }
        }
    }
}
