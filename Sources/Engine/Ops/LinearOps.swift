extension Tape {
    /// y = x·Wᵀ + b for x [N, in], weight [out, in] (PyTorch's layout), bias [out].
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(x.shape.count == 2 && weight.shape.count == 2 && x.shape[1] == weight.shape[1],
                     "linear: input \(x.shape) and weight \(weight.shape) do not fit")
        let (batch, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
        let y = Tensor(uninitialized: [batch, outputs], requiresGrad: needsGradient(x, weight, bias))
        if let bias {
            for n in 0..<batch { (y.data + n * outputs).update(from: bias.data, count: outputs) }
        }
        Gemm.multiply(m: batch, n: outputs, k: inputs, a: MatrixView(x.data, rowStride: inputs),
                      b: MatrixView(weight.data, rowStride: inputs).transposed, c: y.data, ldc: outputs, accumulate: bias != nil)
        if y.requiresGrad {
            record(y) { dy in
                if weight.requiresGrad {
                    Gemm.multiply(m: outputs, n: inputs, k: batch, a: MatrixView(dy.data, rowStride: outputs).transposed,
                                  b: MatrixView(x.data, rowStride: inputs), c: weight.gradient().data, ldc: inputs, accumulate: true)
                }
                if let bias, bias.requiresGrad {
                    let db = bias.gradient().data
                    for n in 0..<batch {
                        for o in 0..<outputs { db[o] += dy.data[n * outputs + o] }
                    }
                }
                if x.requiresGrad {
                    Gemm.multiply(m: batch, n: inputs, k: outputs, a: MatrixView(dy.data, rowStride: outputs),
                                  b: MatrixView(weight.data, rowStride: inputs), c: x.gradient().data, ldc: inputs, accumulate: true)
                }
            }
        }
        return y
    }
}
