import Basics
import FoundationEssentials
import Glibc

/// The reliability diagram `genre eval` draws beside the confusion matrix: for each of the 15
/// equal-width confidence bins, a bar as high as the accuracy of the files whose top-1 confidence
/// falls in it, the gap to the bin's mean confidence in translucent red (a red line at the mean
/// confidence), the diagonal of perfect calibration,
/// and under it how many files each bin holds. Two panels: before temperature scaling (T = 1)
/// and after.
public enum ReliabilityDiagram {
    public static func image(_ report: Calibration.Report) -> Canvas {
        let panel = 300, margin = 50, histogram = 50
        var canvas = Canvas(width: 2 * (panel + margin) + 30, height: panel + histogram + 90)
        let before = String(cFormat: "BEFORE: T = 1, ECE %.3f", report.eceBefore)
        let after = String(cFormat: "AFTER: T = %.3f, ECE %.3f", report.temperature, report.eceAfter)
        draw(report.binsBefore, title: before, into: &canvas, x: margin, size: panel, histogram: histogram)
        draw(report.binsAfter, title: after, into: &canvas, x: 2 * margin + panel + 20, size: panel, histogram: histogram)
        return canvas
    }

    public static func write(_ report: Calibration.Report, to path: String) throws {
        try image(report).write(to: path)
    }

    static func draw(_ bins: [Calibration.Bin], title: String, into canvas: inout Canvas, x left: Int, size: Int, histogram: Int) {
        let top = 30, bottom = top + size
        canvas.text(title, x: left, y: 10, .black)
        func px(_ v: Double) -> Int { left + Int((v * Double(size)).rounded()) }
        func py(_ v: Double) -> Int { bottom - Int((v * Double(size)).rounded()) }
        for fraction in [0.25, 0.5, 0.75] {
            canvas.line(left + 1, py(fraction), left + size - 1, py(fraction), .lightGrey)
            canvas.line(px(fraction), top + 1, px(fraction), bottom - 1, .lightGrey)
        }
        for bin in bins where bin.count > 0 {
            let (x0, x1) = (px(bin.lower) + 1, px(bin.upper) - 1)
            canvas.fill(x: x0, y: py(bin.accuracy), width: x1 - x0 + 1, height: bottom - py(bin.accuracy), .blue)
            // The gap between accuracy and confidence, translucent over the bar when it is inside.
            let (a, c) = (py(bin.accuracy), py(bin.confidence))
            canvas.blend(x: x0, y: min(a, c), width: x1 - x0 + 1, height: abs(a - c) + 1, .red, alpha: 0.45)
            canvas.line(x0, c, x1, c, .red, thickness: 2)
        }
        // Perfect calibration, dashed.
        for t in stride(from: 0, to: size, by: 6) { canvas.line(left + t, bottom - t, left + min(t + 3, size), bottom - min(t + 3, size), .black) }
        canvas.frame(x: left, y: top, width: size + 1, height: size + 1, .black)
        for value in [0.0, 0.5, 1.0] {
            let text = value == 0.5 ? "0.5" : String(Int(value))
            canvas.line(left - 3, py(value), left, py(value), .black)
            canvas.text(text, x: left - 6 - Canvas.textWidth(text), y: py(value) - 3, .black)
            canvas.line(px(value), bottom, px(value), bottom + 3, .black)
            canvas.text(text, x: px(value) - Canvas.textWidth(text) / 2, y: bottom + 6, .black)
        }
        canvas.text("ACCURACY", x: left + 4, y: top + 4, .blue)
        canvas.text("GAP TO CONFIDENCE", x: left + 4, y: top + 14, .red)
        canvas.text("TOP-1 CONFIDENCE", x: left + size / 2 - Canvas.textWidth("TOP-1 CONFIDENCE") / 2, y: bottom + 16, .black)
        // Files per bin, scaled to the fullest bin.
        let histogramTop = bottom + 28
        let most = max(1, bins.map(\.count).max() ?? 1)
        canvas.frame(x: left, y: histogramTop, width: size + 1, height: histogram + 1, .grey)
        for bin in bins where bin.count > 0 {
            let h = max(1, bin.count * (histogram - 2) / most)
            canvas.fill(x: px(bin.lower) + 1, y: histogramTop + histogram - h, width: px(bin.upper) - px(bin.lower) - 1, height: h, .grey)
        }
        canvas.text("FILES (MAX \(most))", x: left + 4, y: histogramTop + 3, .black)
    }
}
