import Foundation
import Models
import SafeTensors
import TestSupport
import XCTest

/// Names, shapes and dtypes of the networks' state_dicts match PyTorch's (the model fixtures'
/// `param.*` entries, file names like `mobilenet_v2_w0.35_in1_128x128_c5`).
final class StateDictTests: XCTestCase {
    func testStateDictMatchesEveryModelFixture() throws {
        for url in Fixtures.files(in: "models") {
            let name = url.path
            let spec = try ModelSpec(fixture: url)
            let file = try Fixtures.load(url)
            let reference = file.tensors.filter { $0.key.hasPrefix("param.") }
            let ours = spec.network.stateDict
            XCTAssertEqual(Set(ours.filter { !$0.isInt64 }.map { "param." + $0.name }), Set(reference.keys.filter { !$0.hasSuffix("num_batches_tracked") }), name)
            for entry in ours {
                guard let tensor = reference["param." + entry.name] else { continue }
                XCTAssertEqual(tensor.shape, entry.shape, "\(name): \(entry.name)")
                XCTAssertEqual(tensor.dtype, entry.isInt64 ? .i64 : .f32, "\(name): \(entry.name)")
            }
            XCTAssertEqual(Set(ours.filter { $0.kind == .parameter }.map { "grad." + $0.name }),
                           Set(file.tensors.keys.filter { $0.hasPrefix("grad.") }), "\(name): trainable parameters")
        }
    }

    func testShuffleNetGroupsGiveValidShapes() {
        for g in [1, 2, 3, 4, 8] {
            let spec = ModelSpec(arch: .shufflenetV1, width: 1, inChannels: 1, classes: 10, groups: g)
            let table = CostTable(spec: spec, height: 128, width: 128)
            XCTAssertEqual(table.rows.last?.outputShape, [10], "g=\(g)")
            for entry in spec.network.stateDict where entry.name.hasSuffix("gconv2.weight") {
                XCTAssertGreaterThan(entry.shape[0], 0)
            }
        }
    }
}
