/// Sums per-channel batch-norm statistics over every process of a data-parallel job (synchronised
/// batch norm): each process holds a slice of the batch, and after `sum` every process holds the
/// totals of the whole batch. The engine knows nothing of how; the training code supplies it.
///
/// Every process must call `sum` the same number of times with arrays of the same length, in the
/// same order: they run the same network on slices of one batch, so their ops match one for one.
public protocol BatchStatisticsReducer: AnyObject {
    func sum(_ values: inout [Double])
}
