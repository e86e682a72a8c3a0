// Row-major sgemm on contiguous matrices: the shorthand conv2d and linear use. Transposes are
// BLAS flags, never copies.
import CBLAS

/// Row-major C [m, n] = op(A) @ op(B) + beta * C with A [m, k] (or [k, m] if transA) and B [k, n]
/// (or [n, k] if transB), all contiguous. Sizes were checked against BLAS's limits by the plan.
@inline(__always)
func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
           _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, beta: Float, _ c: UnsafeMutablePointer<Float>) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
                beta, c, Int32(n))
}
