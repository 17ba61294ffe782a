import Engine
import TestSupport
import XCTest

final class GemmTests: XCTestCase {
    /// Odd sizes cross every edge case: partial 6×16 (6×32 on AVX-512) tiles, several k blocks,
    /// all three thread splits (rows, columns, slices of k for 37×70×2600), transposed operands
    /// and accumulation, B read in place (≤ 64 rows, whole 16-column panels: 12×48, 31×80, 40×64
    /// over three k blocks, 20×96×3000 in slices of k) and packed, strips of 24 and 8 columns
    /// (50×24: on AVX2 four rows across all 24 columns, and two left; 61×88, 13×40), last tiles
    /// of 4 rows (16×48, 64×40 over two k blocks, 40×64; on AVX-512, with A in place, A's last
    /// six rows read in place and only the new ones stored), AVX-512's strips of 16 and 8 columns
    /// two tiles at a time (pairs, and a last tile alone: 16×48, 31×80, 13×40); on every
    /// instruction set this CPU has.
    func testMatchesNaiveProductAtOddSizes() {
        forEachInstructionSet { checkAgainstNaiveProduct(label: $0.rawValue) }
    }

    /// A single row (a linear layer on one window) gives the bits that row gets in a larger
    /// product: B in place and transposed, over one, two and three k-blocks, added to C or not,
    /// and 24 columns (on AVX2 four rows at a time across all of them, then one).
    func testOneRowMatchesItsRowInALargerProduct() {
        forEachInstructionSet { set in
            var random = SeededRandom(seed: 13)
            for (n, k) in [(10, 600), (37, 200), (24, 300)] {
                for (transposeB, accumulate) in [(false, false), (true, false), (true, true)] {
                    let m = 7
                    let a = (0..<m * k).map { _ in random.nextNormal() }, b = (0..<k * n).map { _ in random.nextNormal() }
                    let initial = (0..<m * n).map { _ in random.nextNormal() }
                    func product(rows: Range<Int>) -> [Float] {
                        multiply(m: rows.count, n: n, k: k, a: Array(a[rows.lowerBound * k..<rows.upperBound * k]), b: b, transposeB: transposeB,
                                 c: Array(initial[rows.lowerBound * n..<rows.upperBound * n]), accumulate: accumulate)
                    }
                    let (all, row) = (product(rows: 0..<m), product(rows: 3..<4))
                    XCTAssertEqual(row.map(\.bitPattern), all[3 * n..<4 * n].map(\.bitPattern),
                                   "\(set.rawValue) n \(n) k \(k) Bᵀ \(transposeB) accumulate \(accumulate)")
                }
            }
        }
    }

    /// Two threads slice K and the second slice's partial sums (1040 × 1040 floats) are more
    /// scratch than a thread's arena holds: they come from the pool while each slice's packed
    /// blocks come from its thread's arena. The same product on one thread, no slices.
    func testSlicedProductWithPartialsPastTheScratchArena() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        var random = SeededRandom(seed: 11)
        let (m, n, k) = (1040, 1040, 2200)
        let a = (0..<m * k).map { _ in random.nextNormal() }, b = (0..<k * n).map { _ in random.nextNormal() }
        func product(threads: Int) -> [Float] {
            Parallel.threadCount = threads
            return multiply(m: m, n: n, k: k, a: a, b: b, c: [Float](repeating: .nan, count: m * n), accumulate: false)
        }
        let (sliced, whole) = (product(threads: 2), product(threads: 1))
        XCTAssertTrue(sliced.allSatisfy(\.isFinite) && whole.allSatisfy(\.isFinite), "every value written")
        let error = zip(sliced, whole).map { abs($0 - $1) / (1 + abs($1)) }.max()!
        XCTAssertLessThan(error, 1e-4 * Float(k).squareRoot())
    }

    private func checkAgainstNaiveProduct(label: String) {
        var random = SeededRandom(seed: 7)
        for (m, n, k) in [(1, 1, 1), (7, 17, 5), (13, 40, 300), (150, 33, 517), (20, 300, 64), (97, 7, 1000), (37, 70, 2600), (12, 48, 3), (31, 80, 40), (40, 64, 600), (20, 96, 3000), (50, 24, 300), (61, 88, 700), (16, 48, 160), (64, 40, 300)] {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                for accumulate in [false, true] {
                    let a = (0..<m * k).map { _ in random.nextNormal() }
                    let b = (0..<k * n).map { _ in random.nextNormal() }
                    let initial = (0..<m * n).map { _ in random.nextNormal() }
                    var expected = accumulate ? initial : [Float](repeating: 0, count: m * n)
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for p in 0..<k {
                                let av = transposeA ? a[p * m + i] : a[i * k + p]
                                let bv = transposeB ? b[j * k + p] : b[p * n + j]
                                sum += Double(av) * Double(bv)
                            }
                            expected[i * n + j] += Float(sum)
                        }
                    }
                    let c = multiply(m: m, n: n, k: k, a: a, transposeA: transposeA, b: b, transposeB: transposeB, c: initial, accumulate: accumulate)
                    let error = zip(c, expected).map { abs($0 - $1) / (1 + abs($1)) }.max()!
                    XCTAssertLessThan(error, 1e-4 * Float(k).squareRoot(), "\(label) m \(m) n \(n) k \(k) Aᵀ \(transposeA) Bᵀ \(transposeB) accumulate \(accumulate)")
                }
            }
        }
    }

    /// `Gemm.multiply` on arrays: A m×k (stored k×m when transposed), B k×n (n×k), C m×n.
    private func multiply(m: Int, n: Int, k: Int, a: [Float], transposeA: Bool = false, b: [Float], transposeB: Bool = false,
                          c: [Float], accumulate: Bool) -> [Float] {
        var c = c
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                let aView = transposeA ? MatrixView(ap.baseAddress!, rowStride: m).transposed : MatrixView(ap.baseAddress!, rowStride: k)
                let bView = transposeB ? MatrixView(bp.baseAddress!, rowStride: k).transposed : MatrixView(bp.baseAddress!, rowStride: n)
                c.withUnsafeMutableBufferPointer { cp in
                    Gemm.multiply(m: m, n: n, k: k, a: aView, b: bView, c: cp.baseAddress!, ldc: n, accumulate: accumulate)
                }
            }
        }
        return c
    }
}
