import Basics
import Engine
import Glibc

extension DataSet {
    /// The group of a file under `data.split.group_by`: the first match of `expression` in its
    /// root-relative path — its first capture group when the expression has one, else the whole
    /// match. A file the expression does not match is a group of its own.
    public static func groupKey(_ relativePath: String, _ expression: Regex<AnyRegexOutput>) -> String {
        guard let match = try? expression.firstMatch(in: relativePath) else { return "\u{0}" + relativePath }
        let group = match.output.count > 1 ? match.output[1].range ?? match.range : match.range
        return String(relativePath[group])
    }

    /// Split that keeps every group (see `groupKey`) whole, stratified per label as closely as the
    /// groups allow: each label's target counts are those of the ungrouped split; groups are taken
    /// in a seeded shuffled order, largest first, and each goes to the split whose targets its
    /// files fill best (the largest sum of the remaining shortfalls of its files' labels; ties go
    /// to training, then validation, then calibration). A part whose fraction gives it no file
    /// stays empty.
    public func split(train: Double, validation: Double, calibration: Double = 0, seed: UInt64, groupBy pattern: String) throws -> Split {
        let expression = try Regex(pattern)
        var groups: [String: [Item]] = [:]
        for item in items { groups[Self.groupKey(item.relativePath, expression), default: []].append(item) }
        var keys = groups.keys.sorted()
        var random = SeededRandom(seed: seed)
        keys.shuffle(using: &random)
        // Stable sort by decreasing size keeps the shuffled order among equal sizes.
        keys = keys.enumerated().sorted { a, b in
            let (sa, sb) = (groups[a.element]!.count, groups[b.element]!.count)
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)

        let classes = labels.count
        var target = [[Int]](repeating: [Int](repeating: 0, count: classes), count: 4)
        for label in 0..<classes {
            let counts = Self.counts(items.filter { $0.label == label }.count, train: train, validation: validation, calibration: calibration)
            for part in 0..<4 { target[part][label] = counts[part] }
        }
        let open = (0..<4).filter { target[$0].contains { $0 > 0 } }
        var filled = [[Int]](repeating: [Int](repeating: 0, count: classes), count: 4)
        var parts: [[Item]] = [[], [], [], []]
        for key in keys {
            let members = groups[key]!.sorted { $0.relativePath < $1.relativePath }
            var scores = [0, 0, 0, 0]
            for part in 0..<4 {
                for item in members { scores[part] += target[part][item.label] - filled[part][item.label] }
            }
            let best = open.max { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 > $1 }!
            for item in members { filled[best][item.label] += 1 }
            parts[best] += members
        }
        // Within a split, files in label order as the ungrouped split lists them.
        func ordered(_ part: [Item]) -> [Item] { part.enumerated().sorted { ($0.element.label, $0.offset) < ($1.element.label, $1.offset) }.map(\.element) }
        return Split(parts: parts.map(ordered))
    }
}
