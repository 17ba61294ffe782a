import Engine
import XCTest

/// A convolution's first weight gradient since the gradients were zeroed is written by its kernel
/// (the GEMM's stores) or zero-filled there (the direct kernels), not added to a zeroed tensor
/// made on the calling thread. It must be the same bits as adding to zeros, on every kernel's path.
final class FreshWeightGradientTests: XCTestCase {
    /// (input shape, weight shape, stride, padding, groups), one per path of the weight gradient.
    private let cases: [(String, [Int], [Int], Int, Int, Int)] = [
        ("1×1 through the GEMM", [2, 4, 5, 8], [1, 1, 8, 16], 1, 0, 1),
        ("1×1 grouped", [2, 4, 5, 8], [1, 1, 4, 8], 1, 0, 2),
        ("1×1 outer-product sweep", [4, 32, 33, 4], [1, 1, 4, 8], 1, 0, 1),
        ("3×3 through im2col in two chunks", [1, 16, 16, 512], [3, 3, 512, 4], 1, 1, 1),
        ("3×3 stride 2", [2, 9, 7, 3], [3, 3, 3, 5], 2, 1, 1),
        ("depthwise 3×3", [2, 8, 9, 24], [3, 3, 1, 24], 1, 1, 24),
        ("one input channel", [2, 8, 9, 1], [3, 3, 1, 8], 1, 1, 1),
    ]

    func testAFreshWeightGradientIsTheSumAddedToZeros() {
        for (name, inputShape, weightShape, stride, padding, groups) in cases {
            let x = Tensor(shape: inputShape, values: wave(inputShape.reduce(1, *), phase: 0.3))
            let weight = Tensor(shape: weightShape, values: wave(weightShape.reduce(1, *), phase: 1.7), requiresGrad: true)
            func weightGradient() -> [UInt32] {
                let tape = Tape(mode: .training)
                let y = tape.conv2d(x, weight, stride: stride, padding: padding, groups: groups)
                tape.backward(y, gradient: Tensor(shape: y.shape, values: wave(y.count, phase: 2.9)))
                return weight.grad!.values.map(\.bitPattern)
            }
            weight.grad = nil
            let fresh = weightGradient()
            weight.grad = Tensor(zeros: weightShape)
            let addedToZeros = weightGradient()
            XCTAssertEqual(fresh, addedToZeros, name)
            XCTAssertTrue(fresh.contains { $0 != 0 }, "\(name): a gradient of zeros would prove nothing")
        }
    }

    private func wave(_ count: Int, phase: Double) -> [Float] {
        (0..<count).map { index in
            let magnitude = 1 + Double(index % 5)
            return Float(sin(Double(index) * 0.61 + phase) * magnitude)
        }
    }
}
