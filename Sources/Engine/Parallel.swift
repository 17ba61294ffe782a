import Dispatch
import Foundation
import Synchronization

/// Splits numeric work across cores with `DispatchQueue.concurrentPerform`, in coarse
/// contiguous chunks (one per thread), so each kernel decides its own granularity.
public enum Parallel {
    private static let configuredThreads = Atomic<Int>(0)

    /// Threads the kernels use; defaults to the active processor count.
    public static var threadCount: Int {
        get {
            let configured = configuredThreads.load(ordering: .relaxed)
            return configured > 0 ? configured : ProcessInfo.processInfo.activeProcessorCount
        }
        set { configuredThreads.store(max(1, newValue), ordering: .relaxed) }
    }

    /// `0..<count` cut into at most `threadCount` contiguous ranges whose bounds are multiples
    /// of `granularity` (except the end); a single range when the work is below `minimumWork`.
    public static func ranges(_ count: Int, granularity: Int = 1, work: Int = .max, minimumWork: Int = 0) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let units = (count + granularity - 1) / granularity
        let chunks = work < minimumWork ? 1 : min(threadCount, units)
        let unitsPerChunk = (units + chunks - 1) / chunks
        return stride(from: 0, to: count, by: unitsPerChunk * granularity).map {
            $0..<min(count, $0 + unitsPerChunk * granularity)
        }
    }

    /// Runs `body(chunkIndex, range)` for each of `ranges` concurrently.
    public static func forEach(_ ranges: [Range<Int>], _ body: (Int, Range<Int>) -> Void) {
        if ranges.count <= 1 {
            if let only = ranges.first { body(0, only) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
                shared.value(index, ranges[index])
            }
        }
    }

    /// Convenience: split `0..<count` and run `body` on each range concurrently.
    public static func forEach(_ count: Int, granularity: Int = 1, work: Int = .max, minimumWork: Int = 0,
                               _ body: (Range<Int>) -> Void) {
        forEach(ranges(count, granularity: granularity, work: work, minimumWork: minimumWork)) { _, range in body(range) }
    }
}

/// Carries raw pointers or closures into `concurrentPerform`; callers guarantee that
/// concurrent chunks touch disjoint memory.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
