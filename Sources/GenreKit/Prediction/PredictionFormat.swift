import Foundation

/// The rows of a batch run: CSV (`path,label,confidence,` then the top-K label/probability pairs,
/// then `error`) or JSON Lines (one object per file).
public enum PredictionFormat: Sendable {
    case csv
    case jsonLines

    /// JSON Lines for `.jsonl`/`.ndjson`/`.json`, else CSV.
    public init(path: String) {
        let ext = (path as NSString).pathExtension.lowercased()
        self = ["jsonl", "ndjson", "json"].contains(ext) ? .jsonLines : .csv
    }

    public func header(top: Int) -> String? {
        guard self == .csv else { return nil }
        let pairs = (1...max(top, 1)).map { "label_\($0),probability_\($0)" }.joined(separator: ",")
        return "path,label,confidence,\(pairs),error"
    }

    /// A file's row; its label is empty when the confidence is below `minimumConfidence`.
    public func row(_ prediction: Prediction, top: Int, segments: Bool = false, minimumConfidence: Float = 0) -> String {
        let best = prediction.top(top)
        switch self {
        case .csv:
            var fields = [Self.csvField(prediction.path), Self.csvField(prediction.label(minimumConfidence: minimumConfidence)),
                          Self.number(prediction.confidence)]
            for k in 0..<max(top, 1) {
                fields += k < best.count ? [Self.csvField(best[k].label), Self.number(best[k].probability)] : ["", ""]
            }
            return (fields + [""]).joined(separator: ",")
        case .jsonLines:
            return Self.json(prediction.jsonObject(top: top, segments: segments, minimumConfidence: minimumConfidence))
        }
    }

    public func errorRow(path: String, message: String, top: Int) -> String {
        switch self {
        case .csv: return ([Self.csvField(path), "", ""] + Array(repeating: "", count: 2 * max(top, 1)) + [Self.csvField(message)]).joined(separator: ",")
        case .jsonLines: return Self.json(["path": path, "error": message])
        }
    }

    /// Paths with a successful row in an earlier output (a torn last line is ignored).
    public func donePaths(_ text: String) -> Set<String> {
        var done = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            switch self {
            case .csv:
                let fields = Self.parseCSV(String(line))
                // A withheld answer (empty label, a confidence) is done too; an error row has no confidence.
                if fields.count >= 3, fields[0] != "path", Float(fields[2]) != nil { done.insert(fields[0]) }
            case .jsonLines:
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                      object["error"] == nil, let path = object["path"] as? String, object["label"] != nil else { continue }
                done.insert(path)
            }
        }
        return done
    }

    static func number(_ p: Float) -> String { String(format: "%.6f", p) }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func parseCSV(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { fields.append(field); field = "" } else { field.append(c) }
        }
        return fields + [field]
    }

    public static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension Prediction {
    /// path, duration, label ("" below `minimumConfidence`), confidence, top [{label, probability}], and segments when asked.
    public func jsonObject(top k: Int, segments: Bool = false, minimumConfidence: Float = 0) -> [String: Any] {
        func rounded(_ x: Float) -> Double { (Double(x) * 1e6).rounded() / 1e6 }
        var object: [String: Any] = [
            "path": path, "duration": (duration * 1000).rounded() / 1000, "windows": windows.count,
            "label": label(minimumConfidence: minimumConfidence), "confidence": rounded(confidence),
            "top": top(k).map { ["label": $0.label, "probability": rounded($0.probability)] as [String: Any] },
        ]
        if segments {
            object["segments"] = windows.map { window -> [String: Any] in
                let best = Predictor.ranking(window.probabilities)[0]
                return ["start": (window.start * 1000).rounded() / 1000, "end": (window.end * 1000).rounded() / 1000,
                        "label": labels[best], "confidence": rounded(window.probabilities[best])]
            }
        }
        return object
    }
}
