import Basics
import Features
import Files
import Glibc

/// An RGB pixel buffer for simple plots (training curves, reliability diagrams): rectangles,
/// lines, and text in a 5×7 bitmap font, written through the PNG writer of `Features`.
public struct Canvas: Sendable {
    public struct Colour: Sendable, Equatable {
        public let r, g, b: UInt8
        public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { (self.r, self.g, self.b) = (r, g, b) }

        public static let white = Colour(255, 255, 255)
        public static let black = Colour(0, 0, 0)
        public static let grey = Colour(150, 150, 150)
        public static let lightGrey = Colour(225, 225, 225)
        // Matplotlib's tab10 blue, orange, green, red.
        public static let blue = Colour(31, 119, 180)
        public static let orange = Colour(255, 127, 14)
        public static let green = Colour(44, 160, 44)
        public static let red = Colour(214, 39, 40)
    }

    public let width: Int
    public let height: Int
    /// Rows top to bottom, three bytes per pixel.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: Colour = .white) {
        precondition(width > 0 && height > 0, "a canvas needs a positive size")
        (self.width, self.height) = (width, height)
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, background)
    }

    public subscript(x: Int, y: Int) -> Colour {
        let i = (y * width + x) * 3
        return Colour(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    public mutating func set(_ x: Int, _ y: Int, _ colour: Colour) {
        guard (0..<width).contains(x), (0..<height).contains(y) else { return }
        let i = (y * width + x) * 3
        (pixels[i], pixels[i + 1], pixels[i + 2]) = (colour.r, colour.g, colour.b)
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ colour: Colour) {
        for row in max(0, y)..<min(height, y + h) where w > 0 {
            for column in max(0, x)..<min(width, x + w) { set(column, row, colour) }
        }
    }

    /// Paints `colour` over a rectangle with opacity `alpha` (what is under it shows through).
    public mutating func blend(x: Int, y: Int, width w: Int, height h: Int, _ colour: Colour, alpha: Double) {
        for row in max(0, y)..<min(height, y + h) where w > 0 {
            for column in max(0, x)..<min(width, x + w) {
                let under = self[column, row]
                func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - alpha) + Double(b) * alpha).rounded()) }
                set(column, row, Colour(mix(under.r, colour.r), mix(under.g, colour.g), mix(under.b, colour.b)))
            }
        }
    }

    /// Outline of a rectangle, one pixel wide.
    public mutating func frame(x: Int, y: Int, width w: Int, height h: Int, _ colour: Colour) {
        line(x, y, x + w - 1, y, colour)
        line(x, y + h - 1, x + w - 1, y + h - 1, colour)
        line(x, y, x, y + h - 1, colour)
        line(x + w - 1, y, x + w - 1, y + h - 1, colour)
    }

    /// A straight line (Bresenham), `thickness` pixels wide.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ colour: Colour, thickness: Int = 1) {
        let (dx, dy) = (abs(x1 - x0), -abs(y1 - y0))
        let (sx, sy) = (x0 < x1 ? 1 : -1, y0 < y1 ? 1 : -1)
        var (x, y, error) = (x0, y0, dx + dy)
        let low = -(thickness - 1) / 2, high = thickness / 2
        while true {
            for oy in low...high { for ox in low...high { set(x + ox, y + oy, colour) } }
            if x == x1 && y == y1 { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }

    /// Pixels a text takes horizontally at `scale` (6 per character, less the last gap).
    public static func textWidth(_ text: String, scale: Int = 1) -> Int { max(0, text.count * 6 - 1) * scale }

    /// Text in the 5×7 font with its top-left corner at (x, y); letters are drawn upper-case and
    /// characters the font lacks as blanks.
    public mutating func text(_ text: String, x: Int, y: Int, _ colour: Colour, scale: Int = 1) {
        for (index, character) in text.uppercased().enumerated() {
            guard let columns = Self.font[character] else { continue }
            for (cx, bits) in columns.enumerated() {
                for cy in 0..<7 where bits & (1 << cy) != 0 {
                    fill(x: x + (index * 6 + cx) * scale, y: y + cy * scale, width: scale, height: scale, colour)
                }
            }
        }
    }

    public func png() -> [UInt8] { SpectrogramImage.png(rgb: pixels, width: width, height: height) }

    public func write(to path: String) throws { try AtomicFile.write(png(), to: path) }

    /// The classic 5×7 font, five columns per glyph, bit 0 the top row.
    static let font: [Character: [UInt8]] = [
        " ": [0, 0, 0, 0, 0],
        "0": [0x3E, 0x51, 0x49, 0x45, 0x3E], "1": [0x00, 0x42, 0x7F, 0x40, 0x00], "2": [0x42, 0x61, 0x51, 0x49, 0x46],
        "3": [0x21, 0x41, 0x45, 0x4B, 0x31], "4": [0x18, 0x14, 0x12, 0x7F, 0x10], "5": [0x27, 0x45, 0x45, 0x45, 0x39],
        "6": [0x3C, 0x4A, 0x49, 0x49, 0x30], "7": [0x01, 0x71, 0x09, 0x05, 0x03], "8": [0x36, 0x49, 0x49, 0x49, 0x36],
        "9": [0x06, 0x49, 0x49, 0x29, 0x1E],
        "A": [0x7E, 0x11, 0x11, 0x11, 0x7E], "B": [0x7F, 0x49, 0x49, 0x49, 0x36], "C": [0x3E, 0x41, 0x41, 0x41, 0x22],
        "D": [0x7F, 0x41, 0x41, 0x22, 0x1C], "E": [0x7F, 0x49, 0x49, 0x49, 0x41], "F": [0x7F, 0x09, 0x09, 0x09, 0x01],
        "G": [0x3E, 0x41, 0x49, 0x49, 0x7A], "H": [0x7F, 0x08, 0x08, 0x08, 0x7F], "I": [0x00, 0x41, 0x7F, 0x41, 0x00],
        "J": [0x20, 0x40, 0x41, 0x3F, 0x01], "K": [0x7F, 0x08, 0x14, 0x22, 0x41], "L": [0x7F, 0x40, 0x40, 0x40, 0x40],
        "M": [0x7F, 0x02, 0x0C, 0x02, 0x7F], "N": [0x7F, 0x04, 0x08, 0x10, 0x7F], "O": [0x3E, 0x41, 0x41, 0x41, 0x3E],
        "P": [0x7F, 0x09, 0x09, 0x09, 0x06], "Q": [0x3E, 0x41, 0x51, 0x21, 0x5E], "R": [0x7F, 0x09, 0x19, 0x29, 0x46],
        "S": [0x46, 0x49, 0x49, 0x49, 0x31], "T": [0x01, 0x01, 0x7F, 0x01, 0x01], "U": [0x3F, 0x40, 0x40, 0x40, 0x3F],
        "V": [0x1F, 0x20, 0x40, 0x20, 0x1F], "W": [0x3F, 0x40, 0x38, 0x40, 0x3F], "X": [0x63, 0x14, 0x08, 0x14, 0x63],
        "Y": [0x07, 0x08, 0x70, 0x08, 0x07], "Z": [0x61, 0x51, 0x49, 0x45, 0x43],
        ".": [0x00, 0x60, 0x60, 0x00, 0x00], ",": [0x00, 0x50, 0x30, 0x00, 0x00], ":": [0x00, 0x36, 0x36, 0x00, 0x00],
        "-": [0x08, 0x08, 0x08, 0x08, 0x08], "+": [0x08, 0x08, 0x3E, 0x08, 0x08], "=": [0x14, 0x14, 0x14, 0x14, 0x14],
        "/": [0x20, 0x10, 0x08, 0x04, 0x02], "(": [0x00, 0x1C, 0x22, 0x41, 0x00], ")": [0x00, 0x41, 0x22, 0x1C, 0x00],
        "%": [0x23, 0x13, 0x08, 0x64, 0x62],
    ]
}

/// One panel of line series over a shared x axis: a frame, y ticks at the bottom, middle and top
/// of the range, x ticks, a title and a legend.
public struct LinePanel: Sendable {
    public struct Series: Sendable {
        public let name: String
        public let colour: Canvas.Colour
        public let points: [(x: Double, y: Double)]
        public init(name: String, colour: Canvas.Colour, points: [(x: Double, y: Double)]) {
            (self.name, self.colour, self.points) = (name, colour, points)
        }
    }

    public var title: String
    public var series: [Series]
    /// Fixed y range (accuracies: 0…1), else the data's range.
    public var yRange: ClosedRange<Double>?

    public init(title: String, series: [Series], yRange: ClosedRange<Double>? = nil) {
        (self.title, self.series, self.yRange) = (title, series, yRange)
    }

    static func label(_ value: Double) -> String {
        let a = abs(value)
        if a == 0 { return "0" }
        if a >= 1e4 || a < 1e-2 { return String(cFormat: "%.1e", value).replacing("e-0", with: "e-").replacing("e+0", with: "e") }
        if a >= 100 { return String(cFormat: "%.0f", value) }
        if a >= 10 { return String(cFormat: "%.1f", value) }
        return String(cFormat: "%.2f", value)
    }

    /// Draws into the rectangle (x, y, width, height) of `canvas`.
    public func draw(into canvas: inout Canvas, x: Int, y: Int, width: Int, height: Int) {
        let left = x + 52, right = x + width - 10, top = y + 24, bottom = y + height - 22
        canvas.text(title, x: left, y: y + 6, .black)
        canvas.frame(x: left, y: top, width: right - left + 1, height: bottom - top + 1, .black)
        let points = series.flatMap(\.points).filter { $0.y.isFinite }
        guard let first = points.first else { return }
        var (xLow, xHigh) = points.reduce((first.x, first.x)) { (min($0.0, $1.x), max($0.1, $1.x)) }
        var (yLow, yHigh) = yRange.map { ($0.lowerBound, $0.upperBound) } ?? points.reduce((first.y, first.y)) { (min($0.0, $1.y), max($0.1, $1.y)) }
        if xHigh == xLow { (xLow, xHigh) = (xLow - 1, xHigh + 1) }
        if yHigh == yLow { (yLow, yHigh) = (yLow - max(abs(yLow) * 0.1, 1e-3), yHigh + max(abs(yHigh) * 0.1, 1e-3)) }
        let pad = yRange == nil ? (yHigh - yLow) * 0.05 : 0
        // Values that cannot be negative (losses, learning rates) get no negative axis.
        (yLow, yHigh) = (points.allSatisfy { $0.y >= 0 } ? max(0, yLow - pad) : yLow - pad, yHigh + pad)
        func px(_ v: Double) -> Int { left + 2 + Int(((v - xLow) / (xHigh - xLow) * Double(right - left - 4)).rounded()) }
        func py(_ v: Double) -> Int { bottom - 2 - Int(((v - yLow) / (yHigh - yLow) * Double(bottom - top - 4)).rounded()) }
        // y ticks: bottom, middle, top, with grid lines.
        for fraction in [0.0, 0.5, 1.0] {
            let value = yLow + fraction * (yHigh - yLow)
            let row = py(value)
            if fraction > 0 && fraction < 1 { canvas.line(left + 1, row, right - 1, row, .lightGrey) }
            canvas.line(left - 3, row, left, row, .black)
            let text = Self.label(value)
            canvas.text(text, x: left - 5 - Canvas.textWidth(text), y: row - 3, .black)
        }
        // x ticks: integer epochs, about six of them.
        let span = max(1, Int((xHigh - xLow).rounded()))
        let step = max(1, Int((Double(span) / 6).rounded(.up)))
        var tick = Int(xLow.rounded(.up))
        while Double(tick) <= xHigh {
            let column = px(Double(tick))
            canvas.line(column, bottom, column, bottom + 3, .black)
            let text = "\(tick)"
            canvas.text(text, x: column - Canvas.textWidth(text) / 2, y: bottom + 6, .black)
            tick += step
        }
        for s in series {
            let valid = s.points.filter { $0.y.isFinite }
            for (a, b) in zip(valid, valid.dropFirst()) { canvas.line(px(a.x), py(a.y), px(b.x), py(b.y), s.colour, thickness: 2) }
            for p in valid { canvas.fill(x: px(p.x) - 2, y: py(p.y) - 2, width: 5, height: 5, s.colour) }
        }
        // Legend, top right inside the frame.
        var legendY = top + 5
        for s in series where series.count > 1 {
            let w = Canvas.textWidth(s.name)
            canvas.fill(x: right - w - 22, y: legendY + 2, width: 12, height: 3, s.colour)
            canvas.text(s.name, x: right - w - 6, y: legendY, .black)
            legendY += 11
        }
    }
}
