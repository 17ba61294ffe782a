/// Layers without parameters. They hold an index in a `Sequential` exactly like their PyTorch
/// counterparts, so the names of the layers around them match torchvision's.

public final class ReLU: Layer {
    public init() {}
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.relu(x) }
}

public final class ReLU6: Layer {
    public init() {}
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.relu6(x) }
}

public final class Dropout: Layer {
    public let probability: Float
    public init(probability: Float) { self.probability = probability }
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.dropout(x, probability: probability) }
}

public final class MaxPool2D: Layer {
    public let kernel, stride, padding: Int
    public init(kernel: Int, stride: Int, padding: Int) { (self.kernel, self.stride, self.padding) = (kernel, stride, padding) }
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.maxPool2d(x, kernel: kernel, stride: stride, padding: padding) }
}

public final class AvgPool2D: Layer {
    public let kernel, stride, padding: Int
    public init(kernel: Int, stride: Int, padding: Int) { (self.kernel, self.stride, self.padding) = (kernel, stride, padding) }
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.averagePool2d(x, kernel: kernel, stride: stride, padding: padding) }
}

/// [N, H, W, C] → [N, C].
public final class GlobalAvgPool: Layer {
    public init() {}
    public func callAsFunction(_ x: Tensor, _ tape: Tape) -> Tensor { tape.globalAveragePool(x) }
}
