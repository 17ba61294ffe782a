extension Tape {
    /// 2-D convolution of NHWC `x` with HWIO `weight` ([kernel, kernel, inChannels / groups,
    /// outChannels]): standard, grouped and depthwise (`groups == channels`). Depthwise 3×3 and
    /// one-channel inputs (forward) run direct kernels; 1×1 stride-1 convolutions are one GEMM per
    /// group; the rest go through im2col in row chunks, so the column buffer stays a few megabytes.
    public func conv2d(_ x: Tensor, _ weight: Tensor, stride: Int = 1, padding: Int = 0, groups: Int = 1) -> Tensor {
        let g = ConvolutionGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding, groups: groups)
        let y = Tensor(uninitialized: g.outputShape, requiresGrad: needsGradient(x, weight))
        // A batch norm's output not yet written is read recomputed, where the kernel can; in
        // training the batch norm that follows gets its sums from the kernel.
        let input = x.unwrittenRows.flatMap { Convolution.readsRecomputedInput(g) ? InputRows.normalized($0) : nil } ?? .inPlace(x.data)
        y.moments = isTraining ? ChannelMoments(rows: g.batch * g.outHeight * g.outWidth, channels: g.outChannels) : nil
        Convolution.forward(g, x: input, weight: weight.data, y: y.data, moments: y.moments)
        if y.requiresGrad {
            // The input's values only for the weight gradient; recomputed when its producer can.
            let input = weight.requiresGrad ? SavedValues(x) : nil
            let (inputNode, inputNeedsGradient) = (x.node, x.requiresGrad)
            // x as a training batch norm's output: that norm's backward sums are gathered here.
            let normalizedInput = Convolution.finishesInputGradientBlocks(g) ? x.regeneration?.rows : nil
            // A norm of y may leave its input gradient unwritten to this backward: a 1×1
            // convolution's sweeps it for both gradients, a depthwise one's weight gradient
            // writes it as it reads it.
            let sweeps = PointwiseBackward.applies(g)
            y.takesUnfinishedGradient = sweeps || (Convolution.finishesOutputGradient(g) && input != nil)
            if let input, ExpansionGradients.applies(g) { y.expansion = ExpansionSource(geometry: g, weight: weight, input: input) }
            // A depthwise convolution of an expansion's norm may take the expansion's gradients
            // in its pass: when it reads the norm's output right after the norm, every other
            // reader's backward runs before its own (and leaves its gradient not fresh).
            let expansion = g.isDepthwise3x3 && isLastRecorded(x) ? normalizedInput.flatMap { rows in
                rows.input.expansion.map { (source: $0, norm: rows) }
            } : nil
            let outputNode = y.node
            record(y) { dy in
                // dX, and the sums of the norm whose output x is, gathered while each block of dX
                // is in cache; kept only if no other backward adds to dX.
                let dx = inputNeedsGradient ? inputNode.gradientToWrite() : nil
                let sums = dx?.fresh == true ? normalizedInput.map(GradientSums.init) : nil
                defer { dx?.tensor.gradientSums = sums }
                if let gradients = dy.expansionGradients, let (unfinished, _) = dy.unfinished, let input {
                    // The depthwise backward took this expansion's products (ExpansionGradients).
                    let dw = weight.node.gradientToWrite()
                    input.withInputRows { x in
                        gradients.finish(coefficients: unfinished.kernel.coefficients, x: x, weightGradient: dw.tensor.data,
                                         overwrite: dw.fresh, dx: dx?.tensor.data, fresh: dx?.fresh ?? false, finished: sums?.add)
                    }
                    outputNode.grad = nil
                    return
                }
                if sweeps, let (unfinished, outputGradient) = dy.unfinished {
                    // dy is a batch norm's input gradient left unwritten: both gradients in one
                    // sweep. Then dy is dropped (PyTorch, too, keeps only its leaves' gradients):
                    // it holds the norm's input, y, and y's node holds it.
                    func run(_ x: InputRows?) {
                        PointwiseBackward.run(g, dy: unfinished, outputGradient: outputGradient, weight: weight.data,
                                              weightGradient: x.map { ($0, weight.gradient().data) }, dx: dx?.tensor.data,
                                              overwrite: dx?.fresh ?? false, finished: sums?.add)
                    }
                    if let input { input.withInputRows(run) } else { run(nil) }
                    outputNode.grad = nil
                    return
                }
                // The weight's gradient written, not zero-filled (on this thread) and added to,
                // when this is the first since it was zeroed.
                let dw = input == nil ? nil : weight.node.gradientToWrite()
                if let input, let dw, let dx {
                    // Both gradients in one pass where the kernel can (a depthwise convolution's),
                    // and an expansion's before its norm with them, where dx is this pass's alone.
                    let unfinished = dy.unfinished
                    let gradients = expansion.flatMap { expansion in
                        ExpansionGradients.isEnabled && sums != nil && expansion.norm.input.node.grad == nil
                            ? ExpansionGradients(expansion.source, scale: expansion.norm.kernel.scale) : nil
                    }
                    func run(_ expansionInput: InputRows?) -> Bool {
                        input.withInputRows {
                            Convolution.gradients(g, x: $0, dy: unfinished.map { UnsafeMutablePointer(mutating: $0.outputGradient) } ?? dy.data,
                                                  finishing: unfinished?.gradient, weight: weight.data, dw: dw.tensor.data,
                                                  overwriteWeightGradient: dw.fresh, dx: dx.tensor.data, overwriteInputGradient: dx.fresh,
                                                  finished: sums?.add, expansion: gradients.flatMap { gradients in expansionInput.map { (gradients, $0) } })
                        }
                    }
                    let done = gradients.map { $0.source.input.withInputRows(run) } ?? run(nil)
                    if done {
                        if unfinished != nil { dy.unfinishedGradientWritten() }
                        // A pass that was given the expansion and ran took its products.
                        if let gradients { dx.tensor.expansionGradients = gradients }
                        return
                    }
                }
                if let (unfinished, outputGradient) = dy.unfinished, let input, let dw {
                    input.withInputRows {
                        Convolution.weightGradient(g, x: $0, dy: outputGradient, dw: dw.tensor.data, overwrite: dw.fresh, finishing: unfinished)
                    }
                    dy.unfinishedGradientWritten()
                } else if let input, let dw {
                    input.withInputRows { Convolution.weightGradient(g, x: $0, dy: dy.data, dw: dw.tensor.data, overwrite: dw.fresh) }
                }
                if let dx {
                    Convolution.inputGradient(g, dy: dy.data, weight: weight.data, dx: dx.tensor.data, overwrite: dx.fresh, finished: sums?.add)
                }
            }
        }
        return y
    }
}
