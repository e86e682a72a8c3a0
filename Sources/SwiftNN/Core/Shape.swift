// Shape arithmetic: checked element counts, contiguous strides, dimension wrapping and NumPy
// broadcasting. Everything a caller controls is validated here before a kernel sees it.

/// Largest element count a tensor may have (2^40): far above memory, far below overflow.
let maxElementCount = 1 << 40

/// Number of elements of `shape`, rejecting negative dimensions and overflow.
func elementCount(_ shape: [Int], _ fn: String) throws -> Int {
    var n = 1
    for d in shape {
        guard d >= 0 else { throw SNNError.invalid("\(fn): negative dimension in shape \(fmt(shape))") }
        let (m, o) = n.multipliedReportingOverflow(by: d)
        guard !o, m <= maxElementCount else {
            throw SNNError(.outOfMemory, "\(fn): shape \(fmt(shape)) has too many elements (limit 2^40)")
        }
        n = m
    }
    return n
}

/// Row-major strides in elements.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s &*= shape[i]
    }
    return strides
}

/// Wraps a possibly negative dimension index into `0..<ndim` (PyTorch's `dim=-1` convention).
func wrapDim(_ dim: Int, _ ndim: Int, _ fn: String) throws -> Int {
    let n = max(ndim, 1)
    guard dim >= -n, dim < n else {
        throw SNNError.range("\(fn): dimension \(dim) out of range for a tensor of rank \(ndim) (expected \(-n)...\(n - 1))")
    }
    return dim < 0 ? dim + n : dim
}

/// NumPy broadcasting of two shapes.
func broadcastShapes(_ a: [Int], _ b: [Int], _ fn: String) throws -> [Int] {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da }
        else if da == 1 { out[i] = db }
        else {
            throw SNNError.shape("\(fn): shapes \(fmt(a)) and \(fmt(b)) cannot be broadcast (dimension \(i) is \(da) vs \(db); each pair must be equal or 1)")
        }
    }
    return out
}

/// Strides of `shape` viewed as `target` under broadcasting: 0 along broadcast dimensions.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let lead = target.count - shape.count
    var out = [Int](repeating: 0, count: target.count)
    for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
        out[lead + i] = shape[i] == 1 ? 0 : own[i]
    }
    return out
}
