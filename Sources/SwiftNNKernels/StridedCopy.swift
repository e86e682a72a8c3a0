// Strided copies over an N-d index space: dst[Σ i_k * dstStride_k] = src[Σ i_k * srcStride_k].
// Behind transpose, permute, slice, select, cat, stack and expand (forward and backward).
// Callers validate shapes and offsets; strides are in elements.

/// Tile edge of the blocked transpose: a 32x32 tile of 8-byte elements (8 KB per side) fits L1.
@usableFromInline let transposeTile = 32

/// Copies the index space `shape` from `src` to `dst` (float32).
public func stridedCopy(_ shape: [Int], _ src: UnsafePointer<Float>, _ srcStrides: [Int],
                        _ dst: UnsafeMutablePointer<Float>, _ dstStrides: [Int]) {
    stridedCopyImpl(shape, src, srcStrides, dst, dstStrides)
}

/// Copies the index space `shape` from `src` to `dst` (int64).
public func stridedCopy(_ shape: [Int], _ src: UnsafePointer<Int64>, _ srcStrides: [Int],
                        _ dst: UnsafeMutablePointer<Int64>, _ dstStrides: [Int]) {
    stridedCopyImpl(shape, src, srcStrides, dst, dstStrides)
}

/// Copies the index space `shape` from `src` to `dst` (one-byte elements: uint8, bool).
public func stridedCopy(_ shape: [Int], _ src: UnsafePointer<UInt8>, _ srcStrides: [Int],
                        _ dst: UnsafeMutablePointer<UInt8>, _ dstStrides: [Int]) {
    stridedCopyImpl(shape, src, srcStrides, dst, dstStrides)
}

@inline(__always)
func stridedCopyImpl<T>(_ shape: [Int], _ src: UnsafePointer<T>, _ srcStrides: [Int],
                        _ dst: UnsafeMutablePointer<T>, _ dstStrides: [Int]) {
    // Simplify: drop size-1 dimensions and merge neighbours that are contiguous on both sides,
    // so a reshape-like copy becomes one run and a batched transpose a 3-d loop.
    var n: [Int] = [], s: [Int] = [], d: [Int] = []
    n.reserveCapacity(shape.count); s.reserveCapacity(shape.count); d.reserveCapacity(shape.count)
    for k in 0..<shape.count {
        let len = shape[k]
        if len == 0 { return }
        if len == 1 { continue }
        if let last = n.last, s[s.count - 1] == srcStrides[k] &* len, d[d.count - 1] == dstStrides[k] &* len {
            n[n.count - 1] = last &* len
            s[s.count - 1] = srcStrides[k]
            d[d.count - 1] = dstStrides[k]
        } else {
            n.append(len); s.append(srcStrides[k]); d.append(dstStrides[k])
        }
    }
    let r = n.count
    if r == 0 { dst.pointee = src.pointee; return }
    let li = r - 1
    let runs = s[li] == 1 && d[li] == 1
    // When the innermost dimension is contiguous on one side only, tile it against the
    // dimension that is contiguous on the other side (a transpose): both sides then touch
    // whole cache lines inside a tile instead of one element per line on one side.
    var tile = -1
    if !runs {
        for k in 0..<li where (s[k] == 1 && d[li] == 1) || (d[k] == 1 && s[li] == 1) { tile = k; break }
    }
    let outer = (0..<li).filter { $0 != tile }
    var idx = [Int](repeating: 0, count: outer.count)
    var so = 0, dOff = 0
    let inner = n[li], si = s[li], di = d[li]
    while true {
        let ps = src + so, pd = dst + dOff
        if runs {
            pd.update(from: ps, count: inner)
        } else if tile >= 0 {
            let rows = n[tile], sr = s[tile], dr = d[tile]
            var i0 = 0
            while i0 < rows {
                let i1 = min(i0 &+ transposeTile, rows)
                var j0 = 0
                while j0 < inner {
                    let j1 = min(j0 &+ transposeTile, inner)
                    if T.self == Float.self {
                        // 8x8 blocks transposed in registers (element by element a 512 x 3136
                        // weight's .t().contiguous() took 4 ms, 2.4 ns an element)
                        let fs = UnsafeRawPointer(ps).assumingMemoryBound(to: Float.self)
                        let fd = UnsafeMutableRawPointer(pd).assumingMemoryBound(to: Float.self)
                        if si == 1 {  // (then dr == 1) source rows along j, destination rows along i
                            transposeToPlanes(fs + (i0 &* sr &+ j0), positions: i1 &- i0, c: j1 &- j0, pitch: sr,
                                              fd + (i0 &+ j0 &* di), planeStride: di)
                        } else {      // (sr == 1, di == 1) the other way round
                            transposeToPlanes(fs + (i0 &+ j0 &* si), positions: j1 &- j0, c: i1 &- i0, pitch: si,
                                              fd + (i0 &* dr &+ j0), planeStride: dr)
                        }
                    } else {
                        for i in i0..<i1 {
                            let rs = ps + i &* sr, rd = pd + i &* dr
                            for j in j0..<j1 { rd[j &* di] = rs[j &* si] }
                        }
                    }
                    j0 = j1
                }
                i0 = i1
            }
        } else {
            for j in 0..<inner { pd[j &* di] = ps[j &* si] }
        }
        var q = outer.count - 1
        while q >= 0 {
            let k = outer[q]
            idx[q] &+= 1
            so &+= s[k]; dOff &+= d[k]
            if idx[q] < n[k] { break }
            so &-= s[k] &* n[k]; dOff &-= d[k] &* n[k]
            idx[q] = 0
            q -= 1
        }
        if q < 0 { return }
    }
}
