/// Floats at one address for as long as this object lives: kernels keep plain pointers to them
/// (an array's buffer is only lent inside `withUnsafeBufferPointer`).
final class PinnedFloats {
    let values: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        self.values = .allocate(capacity: max(1, count))
        self.values.initialize(from: values, count: count)
    }

    deinit { values.deallocate() }
}
