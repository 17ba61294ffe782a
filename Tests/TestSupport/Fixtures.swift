import Foundation
import Models
import SafeTensors
import XCTest

/// Locates the reference fixtures: the repository's own `Tests/Fixtures` (written by
/// `make fixtures`), and also the folder `$GENRE_FIXTURES` names, when set, whose files the same
/// tests check in the same way. A missing folder or file fails the test that wanted it, naming
/// the path; it is never a skip.
public enum Fixtures {
    public static let packageRoot: URL = {
        // Tests/TestSupport/Fixtures.swift -> package root
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The repository's fixtures.
    public static let repository = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// Every fixtures folder the tests check: `Tests/Fixtures`, then `$GENRE_FIXTURES` if set.
    public static var roots: [URL] {
        var roots = [repository]
        if let extra = ProcessInfo.processInfo.environment["GENRE_FIXTURES"], !extra.isEmpty {
            roots.append(URL(fileURLWithPath: extra))
        }
        return roots
    }

    /// Every file in `folder` of each root with the extension whose name passes `include`, sorted
    /// by name, root after root. A root without the folder, or without such a file in it, fails
    /// the calling test.
    public static func files(in folder: String, ext: String = "safetensors", where include: (String) -> Bool = { _ in true },
                             file: StaticString = #filePath, line: UInt = #line) -> [URL] {
        roots.flatMap { root -> [URL] in
            let directory = root.appendingPathComponent(folder)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
                XCTFail("missing reference folder \(directory.path) (`make fixtures` writes Tests/Fixtures)", file: file, line: line)
                return []
            }
            let found = names.filter { $0.hasSuffix("." + ext) && include($0) }.sorted()
            if found.isEmpty {
                XCTFail("no reference files (*.\(ext)) in \(directory.path) (`make fixtures` writes Tests/Fixtures)", file: file, line: line)
            }
            return found.map { directory.appendingPathComponent($0) }
        }
    }

    /// A file that a fixture names by its path within the fixture's root (a features file's
    /// `source`, e.g. `audio/tones_22050_mono_f32.wav`); fails the calling test if it is missing.
    public static func companion(_ relativePath: String, of fixture: URL, file: StaticString = #filePath, line: UInt = #line) -> URL {
        let url = fixture.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(relativePath)
        if !FileManager.default.fileExists(atPath: url.path) {
            XCTFail("missing reference file \(url.path), named by \(fixture.path)", file: file, line: line)
        }
        return url
    }

    public static func load(_ url: URL) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: url.path)
    }
}

extension ModelSpec {
    /// The network a model fixture was made with, from its file name:
    /// `mobilenet_v2_w0.35_in1_128x128_c5` (MobileNetV2, α 0.35, 1 input channel, 5 classes) or
    /// `shufflenet_v1_w0.5_in1_128x128_c6_g3` (… 3 groups); dropout 0.
    public init(fixture url: URL) throws {
        let stem = url.deletingPathExtension().lastPathComponent
        let arch = try XCTUnwrap(Architecture.allCases.first { stem.hasPrefix($0.rawValue + "_") }, "\(stem): no architecture")
        let fields = stem.dropFirst(arch.rawValue.count + 1).split(separator: "_")
        func value(_ prefix: String) -> Double? {
            fields.first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
        }
        self.init(arch: arch, width: try XCTUnwrap(value("w"), "\(stem): no width"),
                  inChannels: Int(try XCTUnwrap(value("in"), "\(stem): no input channels")),
                  classes: Int(try XCTUnwrap(value("c"), "\(stem): no class count")), dropout: 0,
                  groups: value("g").map { Int($0) } ?? 3)
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

/// A fresh temporary folder. Callers may remove it themselves; whatever is left is removed when
/// the test process exits, so runs do not pile folders up in /tmp.
public func makeTemporaryFolder(_ tag: String = "genre") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    TemporaryFolders.shared.add(url)
    return url
}

/// The folders `makeTemporaryFolder` made, removed at exit.
private final class TemporaryFolders: @unchecked Sendable {
    static let shared: TemporaryFolders = {
        atexit { TemporaryFolders.shared.removeAll() }
        return TemporaryFolders()
    }()
    private let lock = NSLock()
    private var folders: [URL] = []

    func add(_ url: URL) { lock.withLock { folders.append(url) } }

    func removeAll() {
        for url in lock.withLock({ folders }) { try? FileManager.default.removeItem(at: url) }
    }
}
