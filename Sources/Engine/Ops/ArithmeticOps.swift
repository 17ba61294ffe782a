extension Tape {
    /// a + b for tensors of the same shape (residual connections).
    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        let y = Tensor(uninitialized: a.shape, requiresGrad: needsGradient(a, b))
        Elementwise.map(a.count, a.data, b.data, into: y.data, accumulate: false, SumKernel())
        if y.requiresGrad {
            let inputs = [a, b].filter(\.requiresGrad).map(\.node)
            record(y) { dy in
                for (index, input) in inputs.enumerated() {
                    // The last input takes dy itself when it has no gradient yet (nothing reads dy after).
                    let (dx, fresh) = index == inputs.count - 1 ? input.gradientToWrite(reusing: dy) : input.gradientToWrite()
                    guard dx !== dy else { continue }
                    Elementwise.map(dy.count, dy.data, dy.data, into: dx.data, accumulate: !fresh, FirstKernel())
                }
            }
        }
        return y
    }
}
