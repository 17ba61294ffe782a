import Engine
import Foundation
import SafeTensors
import TestSupport
import XCTest

/// The fixtures' tolerance: max |Δ| ≤ 1e-4·(1 + |reference|).
let fixtureTolerance: Float = 1e-4

/// One fixture file, with conversions from PyTorch's NCHW/OIHW layouts to the engine's.
struct Fixture {
    let url: URL
    let file: SafeTensorsFile

    init(_ url: URL) throws {
        self.url = url
        self.file = try Fixtures.load(url)
    }

    var name: String { url.lastPathComponent }

    func metadata(_ key: String) -> String? { file.metadata[key] }

    func int(_ key: String) -> Int? { metadata(key).flatMap { Int($0) } }

    func float(_ key: String) -> Float? { metadata(key).flatMap { Float($0) } }

    func floats(_ key: String) -> [Float] {
        guard let tensor = file[key] else { fatalError("\(name) has no tensor \(key)") }
        return tensor.floats()
    }

    func shape(_ key: String) -> [Int] { file[key]!.shape }

    func has(_ key: String) -> Bool { file[key] != nil }

    /// A tensor as stored (vectors, matrices) or converted NCHW→NHWC / OIHW→HWIO for 4-D.
    func tensor(_ key: String, weight: Bool = false, requiresGrad: Bool = false) -> Engine.Tensor {
        var (values, shape) = (floats(key), shape(key))
        if shape.count == 4 {
            (values, shape) = weight ? Layout.hwio(fromOIHW: values, shape: shape) : Layout.nhwc(fromNCHW: values, shape: shape)
        }
        return Engine.Tensor(shape: shape, values: values, requiresGrad: requiresGrad)
    }

    /// Compares an engine tensor with a stored reference (converting 4-D layouts back): per element
    /// within the fixture tolerance, or, with `scaledTolerance`, max |Δ| ≤ scaledTolerance·(1 + max |ref|).
    func assertMatches(_ actual: Engine.Tensor?, _ key: String, weight: Bool = false, scaledTolerance: Float? = nil,
                       file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else { return XCTFail("\(name): no value to compare with \(key)", file: file, line: line) }
        var values = actual.values
        if actual.shape.count == 4 {
            values = weight ? Layout.oihw(fromHWIO: values, shape: actual.shape).values : Layout.nchw(fromNHWC: values, shape: actual.shape).values
        }
        let reference = floats(key)
        guard values.count == reference.count else {
            return XCTFail("\(name): \(key) has \(reference.count) values, engine gave \(values.count)", file: file, line: line)
        }
        if let scaledTolerance {
            let error = maxAbsoluteError(values, reference) / (1 + reference.map(abs).max()!)
            XCTAssertLessThanOrEqual(error, scaledTolerance, "\(name): \(key) off by \(error) of its largest value", file: file, line: line)
        } else {
            let error = maxRelativeError(values, reference)
            XCTAssertLessThanOrEqual(error, fixtureTolerance, "\(name): \(key) off by \(error)", file: file, line: line)
        }
    }
}
