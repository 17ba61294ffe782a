import Models
import XCTest

/// The published costs at 224×224×3 and 1000 classes.
final class PaperCostTests: XCTestCase {
    func table(_ arch: ModelSpec.Architecture, width: Double = 1, resolution: Int = 224, groups: Int = 3) -> CostTable {
        CostTable(spec: ModelSpec(arch: arch, width: width, inChannels: 3, classes: 1000, groups: groups),
                  height: resolution, width: resolution)
    }

    func millions(_ n: Int) -> Double { Double(n) / 1e6 }

    func testMobileNetV1WidthMultipliers() {
        // Paper, Table 6: α = 1, 0.75, 0.5, 0.25.
        for (width, macs, params) in [(1.0, 569.0, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3), (0.25, 41, 0.5)] {
            let t = table(.mobilenetV1, width: width)
            XCTAssertEqual(millions(t.totalMACs), macs, accuracy: 1, "α=\(width) mult-adds")
            XCTAssertEqual(millions(t.totalParameters), params, accuracy: 0.05, "α=\(width) parameters")
        }
    }

    func testMobileNetV1Resolutions() {
        // Paper, Table 7.
        for (resolution, macs) in [(192, 418.0), (160, 290), (128, 186)] {
            XCTAssertEqual(millions(table(.mobilenetV1, resolution: resolution).totalMACs), macs, accuracy: 1, "\(resolution)")
        }
    }

    func testMobileNetV1ShareOfPointwiseConvolutions() {
        // Paper, Table 2: 1×1 convolutions hold 94.86 % of mult-adds and 74.59 % of parameters
        // (of the multiplicative weights: BatchNorm and the classifier's bias aside).
        let t = table(.mobilenetV1)
        let pointwise = t.byType.first { $0.type == "conv 1×1" }!
        let weights = t.rows.reduce(0) { sum, row in
            switch row.type {
            case "batch norm": sum
            case "fully connected": sum + row.macs  // one weight per multiply-add
            default: sum + row.parameters
            }
        }
        XCTAssertEqual(Double(pointwise.macs) / Double(t.totalMACs) * 100, 94.86, accuracy: 0.01)
        XCTAssertEqual(Double(pointwise.parameters) / Double(weights) * 100, 74.59, accuracy: 0.01)
    }

    func testMobileNetV2() {
        let t = table(.mobilenetV2)
        XCTAssertEqual(millions(t.totalMACs), 300, accuracy: 1)
        XCTAssertEqual(t.totalParameters, 3_504_872, "torchvision's mobilenet_v2 parameter count")
        for (width, macs) in [(0.75, 209.0), (0.5, 97), (0.35, 59)] {
            XCTAssertEqual(millions(table(.mobilenetV2, width: width).totalMACs), macs, accuracy: 1, "α=\(width)")
        }
    }

    func testShuffleNetV1Groups3() {
        XCTAssertEqual(millions(table(.shufflenetV1, groups: 3).totalMACs), 140, accuracy: 3)
    }
}
