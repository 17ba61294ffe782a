import Basics
import Glibc

extension CostTable {
    /// The per-layer table, totals, and each layer type's share, as plain text.
    public func text(title: String) -> String {
        func count(_ n: Int) -> String {
            n >= 1_000_000 ? String(cFormat: "%.2fM", Double(n) / 1e6) : n >= 1000 ? String(cFormat: "%.1fk", Double(n) / 1e3) : "\(n)"
        }
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            s.count >= n ? s : (left ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
        }
        let nameWidth = max(20, rows.map(\.name.count).max() ?? 0)
        var lines = [title, "",
                     pad("layer", nameWidth) + "  " + pad("type", 16) + "  " + pad("output", 16) + pad("MACs", 10, left: true) + pad("params", 10, left: true)]
        for row in rows {
            let shape = row.outputShape.map(String.init).joined(separator: "×")
            lines.append(pad(row.name, nameWidth) + "  " + pad(row.type, 16) + "  " + pad(shape, 16)
                + pad(count(row.macs), 10, left: true) + pad(count(row.parameters), 10, left: true))
        }
        lines.append("")
        lines.append(String(cFormat: "total: %.1f M MACs (multiply-adds), %.3f M parameters", Double(totalMACs) / 1e6, Double(totalParameters) / 1e6))
        lines.append("")
        lines.append(pad("type", 20) + pad("MACs", 10, left: true) + pad("share", 9, left: true) + pad("params", 10, left: true) + pad("share", 9, left: true))
        for entry in byType {
            lines.append(pad(entry.type, 20) + pad(count(entry.macs), 10, left: true)
                + pad(String(cFormat: "%.2f%%", 100 * Double(entry.macs) / Double(max(1, totalMACs))), 9, left: true)
                + pad(count(entry.parameters), 10, left: true)
                + pad(String(cFormat: "%.2f%%", 100 * Double(entry.parameters) / Double(max(1, totalParameters))), 9, left: true))
        }
        return lines.joined(separator: "\n")
    }
}
