import Foundation
import TagTestSupport
import Tags
import TestSupport
import XCTest

/// SHA-256 against sha256sum, the journal's lines, and rewrites that keep owner, mode and extended attributes or
/// leave the original alone when they fail.
final class SafeRewriteTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-rewrite") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func testSHA256MatchesSha256sum() throws {
        XCTAssertEqual(SHA256.hex(SHA256.hash(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, (1 << 20) + 3, 3 << 20] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let file = path("data-\(size)")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            XCTAssertEqual(try SHA256.hexDigest(file: file), try Media.sha256sum(file), "\(size) bytes")
            // Fed in uneven pieces.
            var sha = SHA256()
            var start = 0
            while start < size {
                let end = min(size, start + Int.random(in: 1...200, using: &generator))
                sha.update(bytes[start..<end])
                start = end
            }
            XCTAssertEqual(SHA256.hex(sha.finish()), try Media.sha256sum(file), "\(size) bytes in pieces")
        }
        XCTAssertThrowsError(try SHA256.hexDigest(file: path("missing"))) { XCTAssertTrue("\($0)".contains(self.path("missing"))) }
    }

    func testKeepsOwnerAndMode() throws {
        let file = path("a.bin")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o640)
        let owner: (uid_t, gid_t) = getuid() == 0 ? (65534, 65534) : (getuid(), getgid())
        XCTAssertEqual(chown(file, owner.0, owner.1), 0)
        try SafeRewrite.rewrite(file, edit: { copy in
            try Data([4, 5, 6, 7]).write(to: URL(fileURLWithPath: copy))
        })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), Data([4, 5, 6, 7]))
        var info = stat()
        XCTAssertEqual(stat(file, &info), 0)
        XCTAssertEqual(info.st_mode & 0o7777, 0o640)
        XCTAssertEqual(info.st_uid, owner.0)
        XCTAssertEqual(info.st_gid, owner.1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["a.bin"])
    }

    /// Extended attributes (a player's rating, a download's origin) and an ACL come along with the
    /// rewrite, as Python's os.getxattr reads them; security labels are left to the system.
    func testKeepsExtendedAttributesAndACL() throws {
        let file = path("a.bin")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        // The ACL in the kernel's layout (version 2; tag, permissions, id): owner rw, nobody r,
        // group r, mask r, others nothing. Without ACLs on the file system, the user attributes only.
        let script = """
            import os, struct, sys
            f = sys.argv[1]
            if sys.argv[2] == 'set':
                try:
                    os.setxattr(f, 'user.rating', b'5')
                    os.setxattr(f, 'user.xdg.origin.url', b'https://example.com/song')
                except OSError:
                    print('unsupported'); sys.exit()
                acl = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', *e) for e in
                    [(1, 6, 0xFFFFFFFF), (2, 4, 65534), (4, 4, 0xFFFFFFFF), (0x10, 4, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF)])
                try: os.setxattr(f, 'system.posix_acl_access', acl)
                except OSError: pass
            print(sorted((n, os.getxattr(f, n).hex()) for n in os.listxattr(f) if not n.startswith('security.')))
            """
        func attributes(_ action: String) throws -> String {
            String(decoding: try Media.run(["python3", "-c", script, file, action]).stdout, as: UTF8.self)
        }
        let before = try attributes("set")
        if before.hasPrefix("unsupported") { throw XCTSkip("no user extended attributes on \(folder.path)'s file system") }
        XCTAssertTrue(before.contains("user.rating") && before.contains("user.xdg.origin.url"), before)
        try SafeRewrite.rewrite(file, edit: { try Data([4]).write(to: URL(fileURLWithPath: $0)) })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), Data([4]))
        XCTAssertEqual(try attributes("get"), before)
    }

    /// A link is followed: the file it points to changes, the link stays a link.
    func testFollowsSymbolicLinks() throws {
        let file = path("real.bin"), link = path("link.bin")
        try Data([1]).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(symlink(file, link), 0)
        try SafeRewrite.rewrite(link, edit: { try Data([2]).write(to: URL(fileURLWithPath: $0)) })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), Data([2]))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), file)
    }

    /// An edit or a journal that fails leaves the original as it was and no temporary behind.
    func testFailureLeavesOriginal() throws {
        struct Broken: Error {}
        let file = path("a.bin")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try SafeRewrite.rewrite(file, edit: { copy in
            try Data([9]).write(to: URL(fileURLWithPath: copy))
            throw Broken()
        }))
        XCTAssertThrowsError(try SafeRewrite.rewrite(file, edit: { try Data([9]).write(to: URL(fileURLWithPath: $0)) },
                                                     commit: { throw Broken() }))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), Data([1, 2, 3]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["a.bin"])
        XCTAssertThrowsError(try SafeRewrite.rewrite(path("missing"), edit: { _ in })) {
            XCTAssertEqual("\($0)", self.path("missing") + ": no such file")
        }
    }

    /// Bad input to TagLib: one line naming the file.
    func testBadInput() throws {
        try "not audio".write(toFile: path("notes.mp3"), atomically: true, encoding: .utf8)
        let cases = [path("missing.flac"): "no such file", path("notes.mp3"): "not an audio file", folder.path: "is a directory"]
        for (file, problem) in cases {
            XCTAssertThrowsError(try GenreTagger.read(file)) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.hasPrefix(file + ": ") && text.contains(problem) && !text.contains("\n"), text)
            }
        }
    }

    /// Journal lines round-trip, absent fields as null; a torn last line is skipped.
    func testJournal() throws {
        let change = TagChange(path: "/music/a \"b\".mp3", format: .mp3, before: ["TCON": ["Rock", "Pop"]],
                               after: ["TCON": ["jazz"], "TXXX:GENRE_CONFIDENCE": ["0.9000"], "TXXX:GENRE_CHECKPOINT": ["0123456789ab"]])
        let line = change.jsonLine()
        XCTAssertTrue(line.contains("\"TXXX:GENRE_CONFIDENCE\":null"), line)
        let journal = try TagJournal(creating: path("j.jsonl"))
        try journal.record(change)
        try journal.record(change)
        XCTAssertThrowsError(try TagJournal(creating: path("j.jsonl")))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path("j.jsonl")))
        handle.seekToEndOfFile()
        handle.write(Data(line.prefix(20).utf8))
        try handle.close()
        XCTAssertEqual(try TagJournal.read(path("j.jsonl")), [change, change])
        try "{}\n".write(toFile: path("bad.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TagJournal.read(path("bad.jsonl"))) { XCTAssertTrue("\($0)".contains("line 1"), "\($0)") }
        let fresh = try TagJournal.createDefault(in: folder.path)
        let second = try TagJournal.createDefault(in: folder.path, now: Date())
        XCTAssertTrue((fresh.path as NSString).lastPathComponent.hasPrefix("genre-tag-"), fresh.path)
        XCTAssertTrue(fresh.path.hasSuffix(".jsonl"))
        XCTAssertNotEqual(fresh.path, second.path)
    }
}
