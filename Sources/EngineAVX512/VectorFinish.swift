/// Sixteen floats from `p` (no alignment needed).
@_transparent
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// What happens to an output vector before it is stored (a type per case, so each loop is
/// compiled without a branch for it).
protocol VectorFinish {
    func callAsFunction(_ value: SIMD16<Float>) -> SIMD16<Float>
}

struct Identity: VectorFinish {
    @_transparent func callAsFunction(_ value: SIMD16<Float>) -> SIMD16<Float> { value }
}

/// clamp(value·scale + bias, lower, upper): evaluation-mode batch norm and activation.
struct Affine: VectorFinish {
    let scale: SIMD16<Float>
    let bias: SIMD16<Float>
    let lower: Float
    let upper: Float

    @_transparent func callAsFunction(_ value: SIMD16<Float>) -> SIMD16<Float> {
        let affine = bias.addingProduct(value, scale)
        let low = affine.replacing(with: lower, where: affine .< lower)
        return low.replacing(with: upper, where: low .> upper)
    }
}
