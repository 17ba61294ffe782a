import Engine
import Glibc
import Models

/// The processes of one data-parallel job (the ranks `mpirun` starts), as training sees them:
/// collective sums over every process, and which processes share a machine. Every process must
/// make the same calls in the same order with arrays of the same length. The MPI implementation
/// is in the Distributed module; GenreKit knows only this.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0..<size; rank 0 alone writes files and reports.
    var rank: Int { get }
    var size: Int { get }
    /// Index and count of the processes on this machine.
    var localRank: Int { get }
    var localSize: Int { get }
    /// In place: every process ends with the element-wise sum over every process.
    func sum(_ values: UnsafeMutableBufferPointer<Float>)
    func sum(_ values: UnsafeMutableBufferPointer<Double>)
    /// In place: element-wise maximum and minimum over every process.
    func maximum(_ values: UnsafeMutableBufferPointer<Double>)
    func minimum(_ values: UnsafeMutableBufferPointer<Double>)
    /// Returns once every process has called it.
    func barrier()
}

/// What one process of a data-parallel job does beside what a lone trainer does: it trains its
/// slice of every global batch (`training.batch_size` windows drawn as one process draws them),
/// averages the gradients with every other process before the common optimiser step, optionally
/// synchronises batch-norm statistics, and sums what is reported. All processes start from the
/// same weights and apply the same step, so their weights stay identical.
public final class DataParallel {
    public let group: any ProcessGroup
    /// Batch norms in training take the statistics of the whole global batch.
    public let synchronizesBatchNorm: Bool
    /// Gradients are summed in buckets of this many floats (one collective per bucket).
    public let bucketCount: Int
    private var bucket: [Float]
    private let statistics: GroupBatchStatistics

    public init(group: any ProcessGroup, synchronizeBatchNorm: Bool, bucketBytes: Int = 4 << 20) {
        self.group = group
        synchronizesBatchNorm = synchronizeBatchNorm
        bucketCount = max(1, bucketBytes / MemoryLayout<Float>.stride)
        bucket = [Float](repeating: 0, count: bucketCount)
        statistics = GroupBatchStatistics(group: group)
    }

    /// Rank 0 writes the run folder and reports; the others only compute.
    public var isWriter: Bool { group.rank == 0 }

    /// The positions of a global batch of `count` windows this process trains: contiguous, in
    /// rank order, sizes differing by at most one.
    public func slice(of count: Int) -> Range<Int> {
        let (r, n) = (group.rank, group.size)
        return (r * count / n)..<((r + 1) * count / n)
    }

    /// The reducer a training tape hands its batch norms, or nil when they use their own slice.
    public var batchStatistics: (any BatchStatisticsReducer)? { synchronizesBatchNorm ? statistics : nil }

    /// Dropout masks differ between processes (rank 0 keeps the lone trainer's seed).
    public func dropoutSeed(_ seed: UInt64) -> UInt64 {
        group.rank == 0 ? seed : SeededRandom.mix(seed ^ SeededRandom.mix(UInt64(group.rank)))
    }

    /// Backward from this slice's mean loss, scaled so every process's gradients are `size` times
    /// its share of the global batch's mean loss: `rows`·size/`total` (1 when slices are equal).
    /// Averaging them then gives the global batch's gradient, and synchronised batch norms sum
    /// gradients of one scale.
    public func backward(_ tape: Tape, _ loss: Tensor, rows: Int, of total: Int) {
        let scale = Float(rows * group.size) / Float(total)
        if scale == 1 {
            tape.backward(loss)
        } else {
            tape.backward(loss, gradient: Tensor(shape: loss.shape, values: [Float](repeating: scale, count: loss.count)))
        }
    }

    /// Replaces every gradient by the mean over the processes: summed in place in buckets of
    /// `bucketCount` floats (a gradient at least that long on its own), then divided by the size.
    public func averageGradients(_ parameters: [NamedParameter]) {
        let gradients = parameters.compactMap { $0.parameter.isTrainable ? $0.parameter.grad : nil }
        average(gradients)
    }

    /// Without synchronised batch norm each process moves its running statistics towards its own
    /// slice's: they are averaged after each step so the checkpoints hold one set.
    public func averageRunningStatistics(_ network: Network) {
        guard !synchronizesBatchNorm else { return }
        average(network.state(prefix: "").compactMap { named in
            let p = named.parameter
            return p.isTrainable || p.isInteger ? nil : p.value
        })
    }

    /// How many collectives `average` makes for tensors of these element counts.
    public static func collectives(for counts: [Int], bucketCount: Int) -> Int {
        var (calls, filled) = (0, 0)
        for count in counts {
            if count >= bucketCount { calls += 1; continue }
            if filled + count > bucketCount { calls += 1; filled = 0 }
            filled += count
        }
        return calls + (filled > 0 ? 1 : 0)
    }

    /// Replaces each tensor by its mean over the processes (in buckets, as gradients are).
    public func average(_ tensors: [Tensor]) {
        let scale = 1 / Float(group.size)
        var pending: [Tensor] = []
        var filled = 0
        func flush() {
            guard filled > 0 else { return }
            bucket.withUnsafeMutableBufferPointer { buffer in
                group.sum(UnsafeMutableBufferPointer(rebasing: buffer[0..<filled]))
                var offset = 0
                for tensor in pending {
                    let values = tensor.data
                    for i in 0..<tensor.count { values[i] = buffer[offset + i] * scale }
                    offset += tensor.count
                }
            }
            pending.removeAll(keepingCapacity: true)
            filled = 0
        }
        for tensor in tensors {
            if tensor.count >= bucketCount {
                let values = tensor.data
                group.sum(UnsafeMutableBufferPointer(start: values, count: tensor.count))
                for i in 0..<tensor.count { values[i] *= scale }
                continue
            }
            if filled + tensor.count > bucketCount { flush() }
            bucket.withUnsafeMutableBufferPointer { buffer in
                (buffer.baseAddress! + filled).update(from: tensor.data, count: tensor.count)
            }
            pending.append(tensor)
            filled += tensor.count
        }
        flush()
    }

    /// The global batch's mean loss and correct count from this slice's (`rows` of `total`).
    public func batchTotals(loss: Float, correct: Int, rows: Int, of total: Int) -> (loss: Double, correct: Int) {
        var values = [Double(loss) * Double(rows) / Double(total), Double(correct)]
        values.withUnsafeMutableBufferPointer { group.sum($0) }
        return (values[0], Int(values[1].rounded()))
    }

    /// True on every process when `flag` is true on any (a stop request seen by one process).
    public func any(_ flag: Bool) -> Bool {
        var value = [flag ? 1.0 : 0]
        value.withUnsafeMutableBufferPointer { group.maximum($0) }
        return value[0] > 0
    }

    /// File-level metrics with the clips split across processes (clip i on rank i mod size):
    /// each computes its clips' probabilities, the sums give every process all of them.
    public func metrics(_ network: Network, _ windows: WindowSet, mean: Float, std: Float, batchSize: Int) -> Metrics {
        let (rank, size) = (group.rank, group.size)
        let classes = network.spec.classes
        let mine = Evaluation.clipProbabilities(network, windows, mean: mean, std: std, batchSize: batchSize,
                                                clips: { $0 % size == rank })
        var all = mine.flatMap { $0 }
        all.withUnsafeMutableBufferPointer { group.sum($0) }
        let predicted = (0..<windows.clips.count).map { clip in
            let row = all[(clip * classes)..<((clip + 1) * classes)]
            return (0..<classes).max { row[row.startIndex + $0] < row[row.startIndex + $1] } ?? 0
        }
        return Metrics(classes: classes, truth: windows.labels, predicted: predicted)
    }

    /// Throws when the processes' weights and buffers are not bit for bit the same (a 64-bit
    /// hash of every state tensor compared across processes).
    public func checkIdentical(_ network: Network, after what: String) throws {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for named in network.state(prefix: "") {
            let tensor = named.parameter.value
            let values = tensor.data
            for i in 0..<tensor.count { hash = (hash ^ UInt64(values[i].bitPattern)) &* 0x0000_0100_0000_01b3 }
        }
        let halves = [Double(hash >> 32), Double(hash & 0xFFFF_FFFF)]
        var high = halves, low = halves
        high.withUnsafeMutableBufferPointer { group.maximum($0) }
        low.withUnsafeMutableBufferPointer { group.minimum($0) }
        guard high == low else {
            throw TrainingError("the weights of the \(group.size) processes differ after \(what) (rank \(group.rank) hash \(String(hash, radix: 16)))")
        }
    }
}

/// An error of a training job that names no file.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Batch-norm statistics summed over the group, for synchronised batch norm.
private final class GroupBatchStatistics: BatchStatisticsReducer {
    let group: any ProcessGroup
    init(group: any ProcessGroup) { self.group = group }
    func sum(_ values: inout [Double]) { values.withUnsafeMutableBufferPointer { group.sum($0) } }
}
