import Features
import Foundation
import XCTest

/// The power spectrum against the DFT's definition in double precision, for sizes whose half is
/// a multiple of eight (whole vectors), is not (a scalar tail too), and the smallest.
final class SpectrumTests: XCTestCase {
    func testPowerSpectrumMatchesDirectTransform() {
        for n in [2048, 64, 36, 18, 2] {
            let fft = RealFFT(size: n)
            var state: UInt64 = 12345
            let x = (0..<n).map { i -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000 + sin(Float(i) * 0.3) + 0.25
            }
            for i in 0..<n { fft.input[i] = x[i] }
            var power = [Float](repeating: -1, count: n / 2 + 2)
            power.withUnsafeMutableBufferPointer { fft.power(into: $0.baseAddress!) }
            var worst = 0.0, peak = 0.0
            for k in 0...(n / 2) {
                var re = 0.0, im = 0.0
                for i in 0..<n {
                    let angle = -2 * Double.pi * Double(k * i % n) / Double(n)
                    re += Double(x[i]) * cos(angle)
                    im += Double(x[i]) * sin(angle)
                }
                let expected = re * re + im * im
                peak = max(peak, expected)
                worst = max(worst, abs(Double(power[k]) - expected))
            }
            XCTAssertEqual(power[n / 2 + 1], -1, "size \(n): wrote past the last bin")
            XCTAssertLessThanOrEqual(worst / peak, 1e-6, "size \(n): power differs by \(worst / peak) of the peak")
        }
    }

    /// The eight-lane logarithm against double precision, from below the 1e-10 floor to 1e30, with
    /// zeros, the floor itself and a tail shorter than a vector; an infinite power raises the
    /// whole clip's floor to infinity, as librosa's does.
    func testDecibelsMatchDoublePrecision() {
        var state: UInt64 = 99
        var power: [Float] = (0..<4000).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(pow(10, Double(state >> 11) / Double(1 << 53) * 42 - 12))
        }
        power += [0, 1e-10, 1, 3, 5e-11, 7, 2e-10]
        var decibels = power
        LogMel(FeatureParameters(topDB: 1000)).powerToDB(&decibels)
        for (x, db) in zip(power, decibels) {
            let expected = 10 * log10(max(Double(x), Double(Float(1e-10))))
            XCTAssertLessThanOrEqual(abs(Double(db) - expected), 3 * Double(Float(expected).ulp) + 1e-6, "10·log10(\(x))")
        }
        var infinite: [Float] = [1, 2, .infinity, 4, 0, 6, 7, 8, 9]
        LogMel().powerToDB(&infinite)
        XCTAssertEqual(infinite, [Float](repeating: .infinity, count: 9))
    }
}
