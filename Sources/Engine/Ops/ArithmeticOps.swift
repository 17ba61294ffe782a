extension Tape {
    /// a + b for tensors of the same shape (residual connections).
    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        let y = Tensor(uninitialized: a.shape, requiresGrad: needsGradient(a, b))
        Elementwise.map(a.count, a.data, b.data, into: y.data, accumulate: false, SumKernel())
        if y.requiresGrad {
            let inputs = [a, b].filter(\.requiresGrad).map(\.node)
            record(y) { dy in
                for input in inputs {
                    let (dx, fresh) = input.gradientToWrite()
                    Elementwise.map(dy.count, dy.data, dy.data, into: dx.data, accumulate: !fresh, FirstKernel())
                }
            }
        }
        return y
    }
}
