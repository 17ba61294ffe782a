import Foundation
import SafeTensors

/// Locates the shared reference fixtures: `$GENRE_FIXTURES`, else `../shared/fixtures`
/// beside the package root.
public enum Fixtures {
    public static let packageRoot: URL = {
        // Tests/TestSupport/Fixtures.swift -> package root
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["GENRE_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
    }

    /// Every file in `root/folder` with the given extension, sorted by name.
    public static func files(in folder: String, ext: String = "safetensors") -> [URL] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix("." + ext) }.sorted().map { dir.appendingPathComponent($0) }
    }

    public static func load(_ url: URL) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: url.path)
    }
}

/// Largest |a − b| / (1 + |b|), the fixtures' tolerance measure.
public func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / (1 + abs(b[i]))) }
    return worst
}

/// Largest |a − b|.
public func maxAbsoluteError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
    return worst
}

/// A fresh temporary folder, removed by the caller.
public func makeTemporaryFolder(_ tag: String = "genre") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
