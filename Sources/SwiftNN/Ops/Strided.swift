// Loops over N-d index spaces with per-operand strides (0 along broadcast dimensions). The
// innermost dimension is handed to the body as a run so kernels stay tight loops.

/// Calls `body(offsetA, offsetB, offsetOut, runLength, strideA, strideB, strideOut)` once per
/// innermost run of `shape`.
@inline(__always)
func forEachRun3(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ so: [Int],
                 _ body: (Int, Int, Int, Int, Int, Int, Int) -> Void) {
    let nd = shape.count
    if nd == 0 { body(0, 0, 0, 1, 0, 0, 0); return }
    if shape.contains(0) { return }
    let inner = shape[nd - 1]
    let ia = sa[nd - 1], ib = sb[nd - 1], io = so[nd - 1]
    var idx = [Int](repeating: 0, count: nd)
    var oa = 0, ob = 0, oo = 0
    while true {
        body(oa, ob, oo, inner, ia, ib, io)
        var d = nd - 2
        while d >= 0 {
            idx[d] += 1
            oa += sa[d]; ob += sb[d]; oo += so[d]
            if idx[d] < shape[d] { break }
            oa -= sa[d] * shape[d]; ob -= sb[d] * shape[d]; oo -= so[d] * shape[d]
            idx[d] = 0
            d -= 1
        }
        if d < 0 { return }
    }
}

/// Two-operand form (`src`, `dst`) of `forEachRun3`.
@inline(__always)
func forEachRun2(_ shape: [Int], _ sa: [Int], _ so: [Int], _ body: (Int, Int, Int, Int, Int) -> Void) {
    forEachRun3(shape, sa, sa, so) { a, _, o, n, ia, _, io in body(a, o, n, ia, io) }
}
