/// The one place that picks a convolution kernel for a geometry: the direct depthwise 3×3
/// kernels, the direct kernels for one-channel inputs (forward and weight gradient), else
/// im2col + GEMM.
enum Convolution {
    static func forward(_ g: ConvolutionGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        epilogue: ChannelEpilogue? = nil, packedWeight: PackedB? = nil) {
        forward(g, x: .inPlace(x), weight: weight, y: y, epilogue: epilogue, packedWeight: packedWeight)
    }

    /// Whether `forward` reads its input as a batch norm's output recomputed block by block
    /// (`InputRows.normalized`); the other kernels need it in memory.
    static func readsRecomputedInput(_ g: ConvolutionGeometry) -> Bool {
        g.isDepthwise3x3 || (g.isPointwise && g.groups == 1)
    }

    /// With `moments`, the output's batch-norm sums are gathered into it: by the depthwise and
    /// 1×1 kernels block by block while each block is in cache, by a pass over memory after the
    /// others. An ungrouped 1×1 convolution may be given its weight packed (`PackedWeights`).
    static func forward(_ g: ConvolutionGeometry, x: InputRows, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        epilogue: ChannelEpilogue? = nil, moments: ChannelMoments? = nil, packedWeight: PackedB? = nil) {
        precondition(moments.map { $0.rows == g.batch * g.outHeight * g.outWidth && $0.channels == g.outChannels } ?? true,
                     "moments of another shape")
        precondition(packedWeight == nil || (g.isPointwise && g.groups == 1), "only an ungrouped 1×1 convolution reads a packed weight")
        if g.isDepthwise3x3 {
            Depthwise.forward(g, x: x, weight: weight, y: y, epilogue: epilogue,
                              finished: moments.map { (rows: ChannelMoments.imageRowsPerBlock(width: g.outWidth), block: $0.add) })
            return
        }
        if g.isPointwise && g.groups == 1 {
            GemmConvolution.pointwiseForward(g, x: x, weight: weight, y: y, epilogue: epilogue, finished: moments?.add, packedWeight: packedWeight)
            return
        }
        guard case let .inPlace(x) = x else { preconditionFailure("this convolution reads its input in memory") }
        if g.inChannels == 1 && g.groups == 1 {
            SingleChannelConvolution.forward(g, x: x, weight: weight, y: y, epilogue: epilogue)
        } else {
            GemmConvolution.forward(g, x: x, weight: weight, y: y, epilogue: epilogue)
        }
        moments?.addAll(y)
    }

    /// Whether `weightGradient`'s kernel can take dy unfinished: a training batch norm's input
    /// gradient left unwritten over its output gradient, written by the kernel a row at a time
    /// as it reads them (`finishing`). The direct kernels can (the one-channel one when its
    /// input is in memory, as a network's input is).
    static func finishesOutputGradient(_ g: ConvolutionGeometry) -> Bool {
        g.isDepthwise3x3 || (g.inChannels == 1 && g.groups == 1)
    }

    /// dW = the weight gradient (`overwrite`), or dW += it. With `finishing`, dy is finished in
    /// place on the way: by the direct kernels row by row, else in a pass before the kernel
    /// reads it.
    static func weightGradient(_ g: ConvolutionGeometry, x: InputRows, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                               overwrite: Bool = false, finishing: BatchNormGradientRows? = nil) {
        // The GEMM writes a fresh dW itself (the bits of adding to zeros: its sums start at +0);
        // the direct kernels add to dW, whose weights are small enough to zero here.
        func zeroedIfFresh() -> UnsafeMutablePointer<Float> {
            if overwrite { dw.update(repeating: 0, count: g.weightShape.reduce(1, *)) }
            return dw
        }
        if g.isDepthwise3x3 {
            Depthwise.weightGradient(g, x: x, dy: dy, dw: zeroedIfFresh(), finishing: finishing)
            return
        }
        if g.inChannels == 1 && g.groups == 1, case let .inPlace(x) = x {
            SingleChannelConvolution.weightGradient(g, x: x, dy: dy, dw: zeroedIfFresh(), finishing: finishing)
            return
        }
        finishing?.writeInPlace(UnsafeMutablePointer(mutating: dy))
        if PointwiseWeightGradient.applies(g) {
            PointwiseWeightGradient.accumulate(g, x: x, dy: dy, dw: zeroedIfFresh())
        } else {
            GemmConvolution.weightGradient(g, x: x, dy: dy, dw: dw, overwrite: overwrite)
        }
    }

    /// Both gradients in one pass, as `weightGradient` then `inputGradient` would give them, where
    /// the kernel has one (`DepthwiseBackward`); false, and nothing done, elsewhere. With
    /// `expansion`, dx is not written: its runs go to the expansion's gradients instead.
    static func gradients(_ g: ConvolutionGeometry, x: InputRows, dy: UnsafeMutablePointer<Float>, finishing: BatchNormGradientRows?,
                          weight: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, overwriteWeightGradient: Bool,
                          dx: UnsafeMutablePointer<Float>, overwriteInputGradient: Bool, finished: FinishedBlock?,
                          expansion: (gradients: ExpansionGradients, x: InputRows)? = nil) -> Bool {
        DepthwiseBackward.run(g, x: x, dy: dy, finishing: finishing, weight: weight, dw: dw, overwrite: overwriteWeightGradient,
                              dx: dx, accumulate: !overwriteInputGradient, finished: finished, expansion: expansion)
    }

    /// Whether `inputGradient` can hand on blocks of dX as they are final (`finished`).
    static func finishesInputGradientBlocks(_ g: ConvolutionGeometry) -> Bool {
        g.isDepthwise3x3 || (g.isPointwise && g.groups == 1)
    }

    /// dX = the input gradient (`overwrite`), or dX += it. `finished` gets blocks of dX as they
    /// are final and in cache, as `ChannelMoments.add` takes them (`finishesInputGradientBlocks`).
    static func inputGradient(_ g: ConvolutionGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                              overwrite: Bool, finished: FinishedBlock? = nil) {
        precondition(finished == nil || finishesInputGradientBlocks(g), "this convolution's input gradient has no finished blocks")
        if g.isDepthwise3x3 {
            Depthwise.inputGradient(g, dy: dy, weight: weight, dx: dx, accumulate: !overwrite, finished: finished)
        } else if g.isPointwise {
            GemmConvolution.inputGradient(g, dy: dy, weight: weight, dx: dx, accumulate: !overwrite, finished: finished)
        } else {
            // im2col's scatter adds into dX, so an overwrite starts from zeros.
            if overwrite { dx.update(repeating: 0, count: g.batch * g.height * g.width * g.inChannels) }
            GemmConvolution.inputGradient(g, dy: dy, weight: weight, dx: dx, accumulate: true)
        }
    }
}
