import Features
import XCTest

/// docs/contracts.md §2: window length, hop, dropped partial window, short-clip padding.
final class WindowingTests: XCTestCase {
    let parameters = FeatureParameters()  // 22050 Hz, hop 512

    /// Frame t of mel m holds 1000·m + t, so every copied value tells where it came from.
    func labelled(mels: Int, frames: Int) -> Spectrogram {
        Spectrogram(nMels: mels, frames: frames, values: (0..<(mels * frames)).map { Float(1000 * ($0 / frames) + $0 % frames) })
    }

    /// The cutter for `mels` mel bands.
    func cutter(_ windowing: Windowing, mels: Int) -> WindowCutter {
        var bands = parameters
        bands.nMels = mels
        return WindowCutter(bands, windowing)
    }

    func testWidthAndHopAreFloorOfSecondsTimesFramesPerSecond() {
        let windowing = Windowing(segmentSeconds: 3, segmentHopSeconds: 1.5)
        XCTAssertEqual(windowing.width(parameters), 129)  // 3 · 22050 / 512 = 129.19
        XCTAssertEqual(windowing.hop(parameters), 64)  // 1.5 · 22050 / 512 = 64.6
    }

    func testWindowsCoverTheClipAndDropThePartialTail() {
        let windowing = Windowing(segmentSeconds: 10 * 512 / 22050.0 + 1e-9, segmentHopSeconds: 4 * 512 / 22050.0 + 1e-9)
        XCTAssertEqual(windowing.width(parameters), 10)
        XCTAssertEqual(windowing.hop(parameters), 4)
        let clip = labelled(mels: 3, frames: 25)
        let windows = cutter(windowing, mels: clip.nMels).windows(of: clip)
        // Starts 0, 4, 8, 12: a window at 16 would need frames up to 25, one too many.
        XCTAssertEqual(windows.count, 4)
        XCTAssertEqual(cutter(windowing, mels: 3).count(frames: 25), 4)
        for (i, window) in windows.enumerated() {
            XCTAssertEqual(window.nMels, 3)
            XCTAssertEqual(window.frames, 10)
            for m in 0..<3 {
                XCTAssertEqual(Array(window.values[(m * 10)..<(m * 10 + 10)]), (0..<10).map { Float(1000 * m + 4 * i + $0) })
            }
        }
    }

    func testShortClipIsPaddedWithItsMinimum() {
        let windowing = Windowing(segmentSeconds: 8 * 512 / 22050.0 + 1e-9, segmentHopSeconds: 1)
        var clip = labelled(mels: 2, frames: 5)
        clip.values[3] = -80
        let windows = cutter(windowing, mels: clip.nMels).windows(of: clip)
        XCTAssertEqual(windows.count, 1)
        XCTAssertEqual(windows[0].values, [0, 1, 2, -80, 4, -80, -80, -80, 1000, 1001, 1002, 1003, 1004, -80, -80, -80])
    }

    func testWindowsAreNormalisedPaddingIncluded() {
        let windowing = Windowing(segmentSeconds: 4 * 512 / 22050.0 + 1e-9, segmentHopSeconds: 1)
        let clip = Spectrogram(nMels: 1, frames: 3, values: [10, -70, 30])
        let cutter = cutter(windowing, mels: 1).normalised(mean: 10, std: 4)
        XCTAssertEqual(cutter.windows(of: clip).map(\.values), [[0, -20, 5, -20]])
        XCTAssertEqual(cutter.normalised(mean: 0, std: 1).windows(of: clip).map(\.values), [[10, -70, 30, -70]])
    }

    func testExactFitGivesOneWindow() {
        let windowing = Windowing(segmentSeconds: 6 * 512 / 22050.0 + 1e-9, segmentHopSeconds: 2 * 512 / 22050.0 + 1e-9)
        XCTAssertEqual(cutter(windowing, mels: 1).windows(of: labelled(mels: 1, frames: 6)).count, 1)
        XCTAssertEqual(cutter(windowing, mels: 1).windows(of: labelled(mels: 1, frames: 7)).count, 1)
        XCTAssertEqual(cutter(windowing, mels: 1).windows(of: labelled(mels: 1, frames: 8)).count, 2)
    }

    /// A window counts as silent when nothing in it rises above -60 dB, or above the clip's floor
    /// (peak − top_db) when that is higher; a clip whose every window is silent keeps them all.
    func testSilentWindowsAreLeftOut() {
        let windowing = Windowing(segmentSeconds: 10 * 512 / 22050.0 + 1e-9, segmentHopSeconds: 5 * 512 / 22050.0 + 1e-9)
        let cutter = cutter(windowing, mels: 2)  // top_db 80; W = 10, H = 5
        /// Two mel bands of `frames` frames at `quiet` dB, band 1 at `loud` dB in `sounding` frames.
        func clip(frames: Int, quiet: Float, loud: Float, sounding: [Int]) -> Spectrogram {
            var values = [Float](repeating: quiet, count: 2 * frames)
            for t in sounding { values[frames + t] = loud }
            return Spectrogram(nMels: 2, frames: frames, values: values)
        }
        // Sound in frames 0–7 of 30: windows at 0 and 5 hold some of it, those at 10, 15, 20 none.
        XCTAssertEqual(cutter.starts(of: clip(frames: 30, quiet: -100, loud: 0, sounding: Array(0..<8))), [0, 5])
        XCTAssertEqual(cutter.windows(of: clip(frames: 30, quiet: -100, loud: 0, sounding: Array(0..<8))).count, 2)
        // A loud clip (peak +30 dB) is clipped at -50 dB: a window at its floor is silent, one
        // frame above it is not.
        XCTAssertEqual(cutter.silenceLevel(peak: 30), -50)
        XCTAssertEqual(cutter.starts(of: clip(frames: 30, quiet: -50, loud: 30, sounding: [0, 22])), [0, 15, 20])
        XCTAssertEqual(cutter.starts(of: clip(frames: 30, quiet: -49.9, loud: 30, sounding: [0])), [0, 5, 10, 15, 20])
        // A quiet clip (peak -40 dB): -65 dB is silence, -55 dB is not.
        XCTAssertEqual(cutter.silenceLevel(peak: -40), -60)
        XCTAssertEqual(cutter.starts(of: clip(frames: 30, quiet: -65, loud: -40, sounding: [29])), [20])
        XCTAssertEqual(cutter.starts(of: clip(frames: 30, quiet: -55, loud: -40, sounding: [29])), [0, 5, 10, 15, 20])
        // Sound only in the frames past the last whole window: every window is kept.
        XCTAssertEqual(cutter.starts(of: clip(frames: 32, quiet: -100, loud: 0, sounding: [30, 31])), [0, 5, 10, 15, 20])
    }
}
