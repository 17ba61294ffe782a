/// Conversions between PyTorch's layouts (NCHW activations, OIHW conv weights) and the
/// engine's (NHWC, HWIO). Used at the checkpoint and fixture boundaries only.
public enum Layout {
    /// Reorders a 4-D row-major array: result axis i is source axis `order[i]`.
    public static func permute(_ values: [Float], shape: [Int], order: [Int]) -> (values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *))
        let result = [Float](unsafeUninitializedCapacity: values.count) { result, count in
            values.withUnsafeBytes { permute(from: $0, shape: shape, order: order, into: result.baseAddress!) }
            count = values.count
        }
        return (result, order.map { shape[$0] })
    }

    /// The same from float32 bytes (in place in a file, unaligned) into `target`.
    public static func permute(from source: UnsafeRawBufferPointer, shape: [Int], order: [Int], into target: UnsafeMutablePointer<Float>) {
        precondition(shape.count == 4 && order.sorted() == [0, 1, 2, 3] && source.count == 4 * shape.reduce(1, *))
        let newShape = order.map { shape[$0] }
        var sourceStrides = [Int](repeating: 1, count: 4)
        for axis in stride(from: 2, through: 0, by: -1) { sourceStrides[axis] = sourceStrides[axis + 1] * shape[axis + 1] }
        let strides = order.map { sourceStrides[$0] }
        var index = 0
        for i0 in 0..<newShape[0] {
            for i1 in 0..<newShape[1] {
                for i2 in 0..<newShape[2] {
                    let base = i0 * strides[0] + i1 * strides[1] + i2 * strides[2]
                    for i3 in 0..<newShape[3] {
                        target[index] = source.loadUnaligned(fromByteOffset: 4 * (base + i3 * strides[3]), as: Float.self)
                        index += 1
                    }
                }
            }
        }
    }

    public static func nhwc(fromNCHW values: [Float], shape: [Int]) -> (values: [Float], shape: [Int]) {
        permute(values, shape: shape, order: [0, 2, 3, 1])
    }

    public static func nchw(fromNHWC values: [Float], shape: [Int]) -> (values: [Float], shape: [Int]) {
        permute(values, shape: shape, order: [0, 3, 1, 2])
    }

    public static func hwio(fromOIHW values: [Float], shape: [Int]) -> (values: [Float], shape: [Int]) {
        permute(values, shape: shape, order: hwioFromOIHW)
    }

    /// The `order` that turns OIHW into HWIO.
    public static let hwioFromOIHW = [2, 3, 1, 0]

    public static func oihw(fromHWIO values: [Float], shape: [Int]) -> (values: [Float], shape: [Int]) {
        permute(values, shape: shape, order: [3, 2, 0, 1])
    }
}
