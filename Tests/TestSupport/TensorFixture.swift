import Engine
import Foundation
import SafeTensors

/// The fixtures' tolerance: max |Δ| ≤ 1e-4·(1 + |reference|).
public let fixtureTolerance: Float = 1e-4

/// One fixture file, with conversions from PyTorch's NCHW/OIHW layouts to the engine's.
public struct Fixture {
    public let url: URL
    public let file: SafeTensorsFile

    public init(_ url: URL) throws {
        self.url = url
        self.file = try Fixtures.load(url)
    }

    public var name: String { url.lastPathComponent }

    public func metadata(_ key: String) -> String? { file.metadata[key] }

    public func int(_ key: String) -> Int? { metadata(key).flatMap { Int($0) } }

    public func float(_ key: String) -> Float? { metadata(key).flatMap { Float($0) } }

    public func floats(_ key: String) -> [Float] {
        guard let tensor = file[key] else { fatalError("\(url.path) has no tensor \(key)") }
        return tensor.floats()
    }

    public func shape(_ key: String) -> [Int] { file[key]!.shape }

    public func has(_ key: String) -> Bool { file[key] != nil }

    /// A tensor as stored (vectors, matrices) or converted NCHW→NHWC / OIHW→HWIO for 4-D.
    public func tensor(_ key: String, weight: Bool = false, requiresGrad: Bool = false) -> Engine.Tensor {
        var (values, shape) = (floats(key), shape(key))
        if shape.count == 4 {
            (values, shape) = weight ? Layout.hwio(fromOIHW: values, shape: shape) : Layout.nhwc(fromNCHW: values, shape: shape)
        }
        return Engine.Tensor(shape: shape, values: values, requiresGrad: requiresGrad)
    }

    /// Compares an engine tensor with a stored reference (converting 4-D layouts back), per element
    /// within max |Δ| ≤ tolerance·(1 + |reference|). Returns what is wrong, or nil.
    public func mismatch(_ actual: Engine.Tensor?, _ key: String, weight: Bool = false, tolerance: Float = fixtureTolerance) -> String? {
        guard let actual else { return "\(name): no value to compare with \(key)" }
        var values = actual.values
        if actual.shape.count == 4 {
            values = weight ? Layout.oihw(fromHWIO: values, shape: actual.shape).values : Layout.nchw(fromNHWC: values, shape: actual.shape).values
        }
        guard has(key) else { return "\(url.path) has no tensor \(key)" }
        let reference = floats(key)
        guard values.count == reference.count else {
            return "\(name): \(key) has \(reference.count) values, engine gave \(values.count)"
        }
        let error = maxRelativeError(values, reference)
        return error <= tolerance ? nil : "\(url.path): \(key) off by \(error) (tolerance \(tolerance))"
    }
}
