/// Evaluation of whole batches with caches in mind. A MobileNet's first layers have large
/// activations and small weights, its last layers the reverse. So the first layers run a few
/// samples at a time (each layer then reads its input from cache, not memory), and from the
/// first layer whose output for the whole batch is small each thread's share of the batch runs
/// whole (each weight matrix is then packed once per share, not once per pass, when it does not
/// come packed from `PackedWeights`). Samples are independent in evaluation mode, so the values
/// are those of one pass.
extension Layer {
    /// One pass per `passValues / values per sample` samples (at least one).
    public func infer(_ x: Tensor, passValues: Int, packedWeights: PackedWeights?) -> Tensor {
        let chunk = Inference.samplesPerPass(x, passValues)
        guard x.shape[0] > chunk else { return self(x, Tape(mode: .evaluation, packedWeights: packedWeights)) }
        return Inference.concatenate(Inference.passes(x, chunk).map { self($0, Tape(mode: .evaluation, packedWeights: packedWeights)) })
    }

    /// Passes of 128 K input values: 8 windows of 128×128 (MobileNetV1 at batch 32, samples/s
    /// for passes of 16/8/4/2/1 windows: 852/921/870/831/718).
    public func infer(_ x: Tensor, packedWeights: PackedWeights? = nil) -> Tensor {
        infer(x, passValues: 1 << 17, packedWeights: packedWeights)
    }
}

extension Sequential {
    /// Passes of `passValues` input values through the first layers, then, from the first layer
    /// whose output for the whole batch has at most `passValues` values, each thread's share of
    /// the batch as one.
    ///
    /// With more than one thread each thread takes a contiguous run of the passes and then its
    /// share of the batch to the end, on its own with its kernels unsplit (`Parallel.serially`):
    /// no thread waits for another between layers, and each pass stays in its own core's cache.
    /// Every pass stops at the same layer (the test depends on the batch, not on the pass), and
    /// the passes are sized so that each thread gets as many.
    public func infer(_ x: Tensor, passValues: Int, packedWeights: PackedWeights?) -> Tensor {
        let batch = x.shape[0]
        var chunk = Inference.samplesPerPass(x, passValues)
        guard batch > chunk else { return self(x, Tape(mode: .evaluation, packedWeights: packedWeights)) }
        let threads = Parallel.threadCount
        let small = { (y: Tensor) in y.count / y.shape[0] * batch <= passValues }
        let perThread = (batch + threads * chunk - 1) / (threads * chunk)
        chunk = (batch + threads * perThread - 1) / (threads * perThread)
        let passes = Inference.passes(x, chunk)
        let workers = min(threads, passes.count)
        // Each thread's passes, their counts at most one apart, and its output.
        let shares = (0..<workers).map { passes.count * $0 / workers..<passes.count * ($0 + 1) / workers }
        let outputs = UncheckedSendable(UnsafeMutableBufferPointer<Tensor?>.allocate(capacity: workers))
        outputs.value.initialize(repeating: nil)
        defer {
            _ = outputs.value.deinitialize()
            outputs.value.deallocate()
        }
        Parallel.forEach(shares) { worker, share in
            Parallel.serially {
                let heads = passes[share].map { run($0, Tape(mode: .evaluation, packedWeights: packedWeights), from: 0, stop: small) }
                outputs.value[worker] = run(Inference.concatenate(heads.map(\.output)), Tape(mode: .evaluation, packedWeights: packedWeights),
                                            from: heads[0].next).output
            }
        }
        return Inference.concatenate(outputs.value.map { $0! })
    }
}

enum Inference {
    static func samplesPerPass(_ x: Tensor, _ passValues: Int) -> Int {
        max(1, passValues / max(1, x.count / max(1, x.shape[0])))
    }

    /// Copies of consecutive runs of `chunk` samples (the last may be shorter).
    static func passes(_ x: Tensor, _ chunk: Int) -> [Tensor] {
        let batch = x.shape[0], sampleSize = x.count / batch
        return stride(from: 0, to: batch, by: chunk).map { start in
            let part = Tensor(uninitialized: [min(chunk, batch - start)] + x.shape.dropFirst())
            part.data.update(from: x.data + start * sampleSize, count: part.count)
            return part
        }
    }

    /// The tensors one after another along the batch dimension.
    static func concatenate(_ parts: [Tensor]) -> Tensor {
        guard parts.count > 1 else { return parts[0] }
        let result = Tensor(uninitialized: [parts.reduce(0) { $0 + $1.shape[0] }] + parts[0].shape.dropFirst())
        var offset = 0
        for part in parts {
            (result.data + offset).update(from: part.data, count: part.count)
            offset += part.count
        }
        return result
    }
}
