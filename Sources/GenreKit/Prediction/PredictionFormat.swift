import Basics
import Glibc

/// The rows of a batch run: CSV (`path,label,confidence,` then the top-K label/probability pairs,
/// then `error`) or JSON Lines (one object per file).
public enum PredictionFormat: Sendable {
    case csv
    case jsonLines

    /// JSON Lines for `.jsonl`/`.ndjson`/`.json`, else CSV.
    public init(path: String) {
        let ext = Path.fileExtension(path).lowercased()
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
            return prediction.json(top: top, segments: segments, minimumConfidence: minimumConfidence).text
        }
    }

    public func errorRow(path: String, message: String, top: Int) -> String {
        switch self {
        case .csv: return ([Self.csvField(path), "", ""] + Array(repeating: "", count: 2 * max(top, 1)) + [Self.csvField(message)]).joined(separator: ",")
        case .jsonLines: return JSON.object(["path": .string(path), "error": .string(message)]).text
        }
    }

    /// Paths with a successful row in an earlier output (a torn last line is ignored).
    public func donePaths(_ text: String) -> Set<String> {
        var done = Set<String>()
        switch self {
        case .csv:
            // A withheld answer (empty label, a confidence) is done too; an error row has no confidence.
            for fields in Self.parseCSV(text) where fields.count >= 3 && fields[0] != "path" && Float(fields[2]) != nil {
                done.insert(fields[0])
            }
        case .jsonLines:
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                guard let object = (try? JSON(parsing: line.utf8))?.object,
                      object["error"] == nil, let path = object["path"]?.string, object["label"] != nil else { continue }
                done.insert(path)
            }
        }
        return done
    }

    static func number(_ p: Float) -> String { String(cFormat: "%.6f", p) }

    // CSV works on Unicode scalars, not characters: a name may hold "\r\n" (one character) or a
    // combining mark right after a quote or a comma (one character with it).
    private static let quote: Unicode.Scalar = "\"", comma: Unicode.Scalar = ",", newline: Unicode.Scalar = "\n", carriageReturn: Unicode.Scalar = "\r"

    static func csvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { [quote, comma, newline, carriageReturn].contains($0) }) else { return text }
        var quoted = String.UnicodeScalarView([quote])
        for scalar in text.unicodeScalars {
            quoted.append(scalar)
            if scalar == quote { quoted.append(quote) }
        }
        quoted.append(quote)
        return String(quoted)
    }

    /// The records of CSV text (RFC 4180): fields split at commas; a quoted field may hold commas,
    /// doubled quotes and line breaks; records end at a newline (or CRLF).
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = [], fields: [String] = [], field = String.UnicodeScalarView(), quoted = false
        var scalars = Substring(text).unicodeScalars
        while let c = scalars.popFirst() {
            if quoted {
                if c != quote {
                    field.append(c)
                } else if scalars.first == quote {
                    field.append(quote)
                    scalars.removeFirst()
                } else {
                    quoted = false
                }
            } else if c == quote {
                quoted = true
            } else if c == comma {
                fields.append(String(field))
                field = String.UnicodeScalarView()
            } else if c == newline || (c == carriageReturn && scalars.first == newline) {
                if c == carriageReturn { scalars.removeFirst() }
                records.append(fields + [String(field)])
                (fields, field) = ([], String.UnicodeScalarView())
            } else {
                field.append(c)
            }
        }
        if !fields.isEmpty || !field.isEmpty { records.append(fields + [String(field)]) }
        return records
    }
}

extension Prediction {
    /// path, duration, windows classified and left out as silent, label ("" below
    /// `minimumConfidence`), confidence, top [{label, probability}], and segments when asked.
    public func json(top k: Int, segments: Bool = false, minimumConfidence: Float = 0) -> JSON {
        func rounded(_ x: Float) -> JSON { .number((Double(x) * 1e6).rounded() / 1e6) }
        func seconds(_ t: Double) -> JSON { .number((t * 1000).rounded() / 1000) }
        var object: [String: JSON] = [
            "path": .string(path), "duration": seconds(duration), "windows": .number(Double(windows.count)),
            "silent_windows": .number(Double(silentWindows)),
            "label": .string(label(minimumConfidence: minimumConfidence)), "confidence": rounded(confidence),
            "top": .array(top(k).map { ["label": .string($0.label), "probability": rounded($0.probability)] }),
        ]
        if segments {
            object["segments"] = .array(windows.map { window in
                let best = Predictor.ranking(window.probabilities)[0]
                return ["start": seconds(window.start), "end": seconds(window.end),
                        "label": .string(labels[best]), "confidence": rounded(window.probabilities[best])]
            })
        }
        return .object(object)
    }
}
