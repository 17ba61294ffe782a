import Files
import Foundation
import GenreKit
import SafeTensors
import TestSupport
import XCTest

/// The run folder's pair protocol (a kill between replacing `last.safetensors` and its state) and its lock.
final class RunFolderTests: XCTestCase {
    private func write(_ path: String, epoch: Int, marker: String) throws {
        try SafeTensorsFile(tensors: ["x": StoredTensor(floats: [1], shape: [1])],
                            metadata: ["epoch": "\(epoch)", "batch": "0", "marker": marker]).write(to: path)
    }

    private func marker(_ path: String) -> String? { (try? SafeTensorsFile(contentsOf: path))?.metadata["marker"] }

    func testPendingStateIsCommittedOnlyWhenItBelongsToTheCheckpoint() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = RunFolder(folder.path)
        try write(run.last, epoch: 2, marker: "last 2")
        try write(run.state, epoch: 2, marker: "state 2")

        // Killed after the pending state was written, before the checkpoint was replaced: dropped.
        try write(run.pendingState, epoch: 3, marker: "state 3")
        XCTAssertTrue(run.holdsRun)
        try run.completePendingState()
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.pendingState))
        XCTAssertEqual(marker(run.state), "state 2")

        // Killed after the checkpoint was replaced, before the rename: committed.
        try write(run.pendingState, epoch: 3, marker: "state 3")
        try write(run.last, epoch: 3, marker: "last 3")
        try run.completePendingState()
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.pendingState))
        XCTAssertEqual(marker(run.state), "state 3")

        // A torn pending file is dropped too.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: run.pendingState))
        try run.completePendingState()
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.pendingState))
        XCTAssertEqual(marker(run.state), "state 3")
    }

    func testLockIsExclusiveAndReleased() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = RunFolder(folder.appendingPathComponent("run").path)
        XCTAssertNil(try run.lockIfPresent(), "nothing is created for a folder that does not exist")
        var held: RunLock? = try run.lock()
        XCTAssertThrowsError(try run.lockIfPresent()) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(run.path): in use by another 'genre train' (process \(getpid()))"), "\(error)")
        }
        withExtendedLifetime(held) {}
        held = nil
        XCTAssertNotNil(try run.lockIfPresent())
    }
}
