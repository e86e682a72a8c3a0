// Validation shared by the sliding-window ops (conv2d, max/avg pooling): (height, width)
// parameter pairs, NCHW input ranks and PyTorch's output-size formula, all overflow-checked.

/// Largest stride, padding, dilation or pooling kernel size accepted (keeps index arithmetic
/// far from overflow; PyTorch's own kernels use 32-bit sizes in places).
let maxWindowParameter = Int(Int32.max)

@inline(__always)
func fmt(_ p: (Int, Int)) -> String { "(\(p.0), \(p.1))" }

/// Checks that both entries of a (height, width) parameter lie in `minimum...maxWindowParameter`.
func checkPair(_ p: (Int, Int), _ name: String, minimum: Int, _ fn: String) throws {
    for v in [p.0, p.1] where v < minimum || v > maxWindowParameter {
        let what = minimum > 0 ? "positive" : "non-negative"
        throw SNNError.invalid("\(fn): \(name) \(fmt(p)) must be \(what) (each in \(minimum)...\(maxWindowParameter))")
    }
}

/// The [N, C, H, W] view of a rank-3 ([C, H, W], unbatched) or rank-4 input, as PyTorch accepts.
func batchedNCHW(_ input: Tensor, _ fn: String) throws -> [Int] {
    switch input.rank {
    case 4: return input.shape
    case 3: return [1] + input.shape
    default:
        throw SNNError.shape("\(fn): expected input of rank 3 [C, H, W] or 4 [N, C, H, W], got shape \(fmt(input.shape))")
    }
}

/// d * (k - 1) + 1: the extent a kernel of size k covers with dilation d (nil on overflow).
func dilatedExtent(_ kernel: Int, _ dilation: Int) -> Int? {
    let (m, o) = dilation.multipliedReportingOverflow(by: kernel - 1)
    return o ? nil : m + 1
}

/// PyTorch's output length of a window sliding over `size` elements padded by `pad` on both
/// sides: floor((size + 2 pad - extent) / stride) + 1, or with ceilMode the ceiling, minus one
/// if the last window would start beyond the input and its left padding. Returns a value < 1 when
/// the window does not fit. Parameters are within `maxWindowParameter` (checked by callers).
func windowOutputSize(_ size: Int, kernel: Int, stride: Int, pad: Int, dilation: Int, ceilMode: Bool) -> Int {
    guard let extent = dilatedExtent(kernel, dilation) else { return 0 }
    let span = size + 2 * pad - extent
    if span < 0 { return 0 }
    var out = (ceilMode ? span + stride - 1 : span) / stride + 1
    if ceilMode && (out - 1) * stride >= size + pad { out -= 1 }
    return out
}

/// Fails unless `value` fits BLAS's 32-bit integer arguments.
func requireBLASSize(_ value: Int, _ what: String, _ fn: String) throws {
    guard value <= Int(Int32.max) else {
        throw SNNError.range("\(fn): \(what) is \(value), beyond BLAS's 32-bit limit of \(Int32.max)")
    }
}

/// The product of non-negative sizes, saturating at Int.max instead of overflowing (for size
/// heuristics and limit checks on shapes that may hold no elements at all).
func saturatingProduct(_ values: Int...) -> Int {
    var p = 1
    for v in values {
        let (m, o) = p.multipliedReportingOverflow(by: v)
        if o { return Int.max }
        p = m
    }
    return p
}
