import Engine
import TestSupport
import XCTest

/// In training, a convolution gathers the batch-norm sums of its output block by block while
/// each block is in cache (Engine/Kernels/BatchNormKernels.swift, `ChannelMoments`), and the
/// batch norm after it uses them instead of reading the output again. The normalised output and
/// the running statistics must be the same bits as a batch norm over a copy of the output.
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
}
