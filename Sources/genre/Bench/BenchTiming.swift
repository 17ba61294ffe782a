import Basics
import Dispatch
import Glibc

/// The one timing helper, row printer and JSON writer of the bench commands.
enum BenchTiming {
    /// Wall-clock seconds of one run of `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now()
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// Seconds of each of `steps` runs of `body` after `warmup` untimed ones (plans, caches, pools).
    static func times(warmup: Int = 1, steps: Int, _ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { try body() }
        return try (0..<max(1, steps)).map { _ in try seconds(body) }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// One text row: the label padded to `width`, then the figures.
    static func row(_ label: String, width: Int = 72, _ figures: String) {
        print(label.padded(to: max(label.count, width)) + " " + figures)
    }

    /// One JSON object on one line, keys in the given order.
    static func printJSON(_ fields: [(String, Any)]) {
        let body = fields.map { key, value -> String in
            let text: String
            switch value {
            case let string as String: text = "\"" + string.replacing("\\", with: "\\\\")
                .replacing("\"", with: "\\\"") + "\""
            case let double as Double: text = double.isFinite ? String(cFormat: "%.4f", double) : "null"
            default: text = "\(value)"
            }
            return "\"\(key)\": \(text)"
        }
        print("{" + body.joined(separator: ", ") + "}")
    }
}
