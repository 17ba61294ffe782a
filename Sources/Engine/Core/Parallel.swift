import Basics
import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

/// Splits numeric work across cores in coarse contiguous chunks (one per thread), so each
/// kernel decides its own granularity.
public enum Parallel {
    private static let configuredThreads = Atomic<Int>(0)
    /// Read once: Foundation reads the CPU affinity and cgroup quota files on every call, which
    /// cost as much as the work in the hundreds of parallel regions of a single-window forward.
    public static let processorCount = ProcessInfo.processInfo.activeProcessorCount

    /// Threads the kernels use; defaults to the active processor count. 1 on a thread inside
    /// `serially`.
    public static var threadCount: Int {
        get {
            if pthread_getspecific(serialKey) != nil { return 1 }
            let configured = configuredThreads.load(ordering: .relaxed)
            return configured > 0 ? configured : processorCount
        }
        set { configuredThreads.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Runs `body` with every kernel it calls on this thread alone: for work that is already
    /// split across the cores a level up (whole passes of a batch, one per thread).
    public static func serially<Result>(_ body: () -> Result) -> Result {
        let outer = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(serialKey, outer) }
        return body()
    }

    /// Set (non-nil) on threads inside `serially`.
    private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

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

    /// Runs `body(chunkIndex, range)` for each of `ranges` concurrently: chunk 0 on the calling
    /// thread, the others on `WorkerPool`'s threads (or on Dispatch's when the pool is busy,
    /// e.g. when several threads run networks at once, or for more chunks than threads).
    public static func forEach(_ ranges: [Range<Int>], _ body: (Int, Range<Int>) -> Void) {
        if ranges.count <= 1 {
            if let only = ranges.first { body(0, only) }
            return
        }
        if WorkerPool.shared.run(ranges.count, { body($0, ranges[$0]) }) { return }
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

/// Persistent worker threads for `Parallel.forEach`. A network runs hundreds of parallel
/// regions of a few tens of microseconds each (every op of a single-window forward), where
/// waking Dispatch's threads costs as much as the work. Workers spin briefly on a job word
/// after each job, so the next op starts at once, then sleep on a condition.
///
/// One job at a time: `run` returns false (and runs nothing) when another thread's job is in
/// flight, or when it is called from inside a job, and the caller falls back to Dispatch.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// (job number << 8) | chunk count; workers wait for it to change.
    private let word = Atomic<Int>(0)
    /// Chunks of the current job still running on workers.
    private let remaining = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let condition = Condition()
    /// Written before `word` is published, read by workers after they see it.
    private var job: ((Int) -> Void)?
    private var workers = 0
    /// Spin iterations before a waiting thread starts yielding its core, and before a worker
    /// sleeps (tens of microseconds in all when the core is free).
    private let yieldAfter = 2_000
    private let spinLimit = 6_000

    /// Runs body(0..<count) with chunk 0 on the calling thread; false if the pool is busy.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard count < 256, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        if workers < count - 1 {
            if count - 1 > Parallel.processorCount { return false }
            while workers < count - 1 { startWorker(index: workers + 1) }
        }
        withoutActuallyEscaping(body) { body in
            job = body
            remaining.store(count - 1, ordering: .relaxed)
            let next = ((word.load(ordering: .relaxed) >> 8) + 1) << 8 | count
            word.store(next, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
            body(0)
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > yieldAfter { sched_yield() }
            }
            job = nil
        }
        return true
    }

    private func startWorker(index: Int) {
        workers += 1
        // The job word as it is now, before the job this worker was started for is published.
        let seen = word.load(ordering: .acquiring)
        DetachedThread.start(name: "engine-worker-\(index)") { [self] in work(index: index, seen: seen) }
    }

    /// Worker `index` runs chunk `index` of every job that has more than `index` chunks.
    private func work(index: Int, seen start: Int) {
        var seen = start
        while true {
            var current = word.load(ordering: .acquiring)
            var spins = 0
            while current == seen {
                spins += 1
                // On a machine shared with other jobs, give the core away while waiting.
                if spins > yieldAfter { sched_yield() }
                if spins > spinLimit {
                    condition.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while word.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    condition.unlock()
                    spins = 0
                }
                current = word.load(ordering: .acquiring)
            }
            seen = current
            guard index < current & 0xFF else { continue }
            runChunk(index)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    /// Kept out of line so the worker's reference to the job is gone before it reports done.
    @inline(never)
    private func runChunk(_ index: Int) {
        job.unsafelyUnwrapped(index)
    }
}
