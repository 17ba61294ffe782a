/// How a parameter's values are laid out in a PyTorch state_dict.
public enum TorchLayout: Sendable {
    /// Same order and shape as inside the engine (linear [out, in], BN vectors).
    case same
    /// Conv weight: OIHW in PyTorch, HWIO inside the engine.
    case convolution
}

/// A learnable weight or a saved buffer: its value, its gradient (`value.grad`), and how it
/// maps to PyTorch's state_dict. Layers hand out parameters under dotted names
/// (`parameters(prefix:)`, `state(prefix:)`); optimisers key their state by those names.
public final class Parameter: @unchecked Sendable {
    public let value: Tensor
    public let torchLayout: TorchLayout
    /// Stored as int64 in the state_dict (BatchNorm's `num_batches_tracked`).
    public let isInteger: Bool

    public init(_ value: Tensor, torchLayout: TorchLayout = .same, isInteger: Bool = false) {
        self.value = value
        self.torchLayout = torchLayout
        self.isInteger = isInteger
    }

    public var grad: Tensor? { value.grad }
    public var isTrainable: Bool { value.requiresGrad }
    public func zeroGrad() { value.grad = nil }

    /// The shape PyTorch uses for this tensor.
    public var torchShape: [Int] {
        switch torchLayout {
        case .same: value.shape
        case .convolution: [value.shape[3], value.shape[2], value.shape[0], value.shape[1]]
        }
    }

    /// The values in PyTorch's layout, ready for a state_dict.
    public func torchValues() -> [Float] {
        switch torchLayout {
        case .same: value.values
        case .convolution: Layout.oihw(fromHWIO: value.values, shape: value.shape).values
        }
    }

    /// Overwrites the value from PyTorch-layout values of shape `torchShape`.
    public func load(torchValues values: [Float]) {
        precondition(values.count == value.count, "\(values.count) values for a parameter of shape \(torchShape)")
        values.withUnsafeBytes { load(torchFloats: $0) }
    }

    /// The same from float32 bytes, read in place (a checkpoint's mapping): no copy between.
    public func load(torchFloats bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 4 * value.count, "\(bytes.count / 4) values for a parameter of shape \(torchShape)")
        switch torchLayout {
        case .same: UnsafeMutableRawPointer(value.data).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        case .convolution: Layout.permute(from: bytes, shape: torchShape, order: Layout.hwioFromOIHW, into: value.data)
        }
    }
}

/// A parameter under its dotted state_dict name.
public struct NamedParameter {
    public let name: String
    public let parameter: Parameter

    public init(_ name: String, _ parameter: Parameter) {
        self.name = name
        self.parameter = parameter
    }
}

/// `prefix.name`, or `name` at the root.
public func qualifiedName(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}
