internal import CZlib
import Features
import Foundation
import TestSupport
import XCTest

/// The .npy and .png outputs decode back to what was written.
final class WritersTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-writers") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func ramp(mels: Int, frames: Int) -> Spectrogram {
        Spectrogram(nMels: mels, frames: frames, values: (0..<(mels * frames)).map { Float($0 / frames) * 2 - 50 + Float($0 % frames) * 0.01 })
    }

    func testNpyHeaderAndDataLoadBack() throws {
        let spectrogram = ramp(mels: 5, frames: 7)
        let path = folder.appendingPathComponent("x.npy").path
        try NpyWriter.write(spectrogram, to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes[0..<8]), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "data must start 64-byte aligned")
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'descr': '<f4'"), header)
        XCTAssertTrue(header.contains("'fortran_order': False"), header)
        XCTAssertTrue(header.contains("'shape': (5, 7)"), header)
        XCTAssertTrue(header.hasSuffix("\n"))
        let data = Array(bytes[(10 + headerLength)...])
        let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(values, spectrogram.values)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["x.npy"], "no temporary files left")
    }

    /// A `.npy` log-mel mapped from its file reads as the array written: shape, values, extremes,
    /// the windows cut from it; a damaged file is refused, naming it.
    func testNpyMapsBackToItsValues() throws {
        var spectrogram = ramp(mels: 5, frames: 300)
        spectrogram.values[17] = -90
        let path = folder.appendingPathComponent("x.npy").path
        try NpyWriter.write(spectrogram, to: path)
        let mapped = try StoredSpectrogram(mapping: path, failureMessage: "")
        XCTAssertTrue(mapped.isMapped)
        XCTAssertEqual([mapped.nMels, mapped.frames], [5, 300])
        XCTAssertEqual(mapped.inMemory, spectrogram)
        XCTAssertEqual(mapped.minimum, -90)
        XCTAssertEqual(mapped.maximum, spectrogram.values.max())
        let held = StoredSpectrogram(spectrogram)
        XCTAssertFalse(held.isMapped)
        XCTAssertEqual(held.inMemory, spectrogram)
        let cutter = WindowCutter(FeatureParameters(nMels: 5), Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5))
        var a = [Float](repeating: 0, count: 5 * cutter.width), b = a, c = a
        for start in [0, cutter.hop, 300 - 3] {  // the last one padded with the minimum
            cutter.cut(mapped, from: start, into: &a)
            cutter.cut(held, from: start, into: &b)
            cutter.cut(spectrogram, from: start, into: &c)
            XCTAssertEqual(a, c)
            XCTAssertEqual(b, c)
        }

        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for (name, content, problem) in [("short.npy", Array(bytes.dropLast(4)), "truncated .npy data (5996 bytes for shape [5, 300])"),
                                         ("empty.npy", [], "not a .npy file"),
                                         ("text.npy", Array("hello, not numpy".utf8), "not a .npy file")] {
            let damaged = folder.appendingPathComponent(name).path
            FileManager.default.createFile(atPath: damaged, contents: Data(content))
            XCTAssertThrowsError(try StoredSpectrogram(mapping: damaged, failureMessage: "")) { XCTAssertEqual("\($0)", "\(damaged): \(problem)") }
        }
    }

    func testPngIsValidWithLowFrequenciesAtTheBottom() throws {
        let spectrogram = ramp(mels: 6, frames: 9)
        let png = SpectrogramImage.png(spectrogram)
        XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var chunks: [String: [UInt8]] = [:]
        var offset = 8
        while offset < png.count {
            let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = Array(png[(offset + 8)..<(offset + 8 + length)])
            let storedCRC = png[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let typed = Array(png[(offset + 4)..<(offset + 8 + length)])
            XCTAssertEqual(UInt32(crc32(0, typed, uInt(typed.count))), storedCRC, "\(type) CRC")
            chunks[type, default: []] += body
            offset += 12 + length
        }
        let ihdr = try XCTUnwrap(chunks["IHDR"])
        XCTAssertEqual(ihdr[0..<4].reduce(0) { $0 << 8 | Int($1) }, 9, "width = frames")
        XCTAssertEqual(ihdr[4..<8].reduce(0) { $0 << 8 | Int($1) }, 6, "height = mel bands")
        let idat = try XCTUnwrap(chunks["IDAT"])
        var rawLength = uLong(6 * (1 + 3 * 9))
        var raw = [UInt8](repeating: 0, count: Int(rawLength))
        XCTAssertEqual(uncompress(&raw, &rawLength, idat, uLong(idat.count)), Z_OK)
        XCTAssertEqual(Int(rawLength), raw.count)
        // Bottom-left is the lowest band at the first frame: the minimum, magma's darkest colour.
        let bottomLeft = Array(raw[(5 * 28 + 1)..<(5 * 28 + 4)])
        let topRight = Array(raw[(0 * 28 + 1 + 3 * 8)..<(0 * 28 + 4 + 3 * 8)])
        XCTAssertEqual(bottomLeft, [0, 0, 4])
        XCTAssertEqual(topRight, [252, 253, 191])
    }
}
