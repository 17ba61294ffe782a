import _Builtin_intrinsics.intel

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

    /// max(lower, ·), then min(upper, ·), the bound first: `vmaxps`/`vminps` return their second
    /// operand on ties and NaN, so −0 and NaN come through as comparisons and selects leave them
    /// (two instructions instead of four, on the two ports that run 512-bit arithmetic).
    @_transparent func callAsFunction(_ value: SIMD16<Float>) -> SIMD16<Float> {
        let affine = bias.addingProduct(value, scale)
        return _mm512_min_ps(SIMD16(repeating: upper), _mm512_max_ps(SIMD16(repeating: lower), affine))
    }
}
