// Single-threaded SIMD matrix-vector products for batch-1 recurrent steps (the char-RNN
// sampler), where handing a 1024 x 256 product to threaded BLAS costs more than it saves.
// Callers validate sizes and pointers.

/// y[i] = (accumulate ? y[i] : 0) + sum_j w[i * ldw + j] * x[j] for i in 0..<m (ldw: n unless
/// given). Each y[i] is the same lane-wise chain over j whether its row is in a group of four
/// or not, so splitting the rows anywhere keeps the bits.
public func matVec(m: Int, n: Int, ldw: Int? = nil, w: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                   accumulate: Bool) {
    let ld = ldw ?? n
    var i = 0
    while i &+ 4 <= m {
        let r0 = w + i &* ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var j = 0
        while j &+ 8 <= n {
            let xv = load8(x + j)
            a0 = a0.addingProduct(load8(r0 + j), xv)
            a1 = a1.addingProduct(load8(r1 + j), xv)
            a2 = a2.addingProduct(load8(r2 + j), xv)
            a3 = a3.addingProduct(load8(r3 + j), xv)
            j &+= 8
        }
        if j < n {
            let k = n &- j, xv = load8(x + j, k)
            a0 = a0.addingProduct(load8(r0 + j, k), xv)
            a1 = a1.addingProduct(load8(r1 + j, k), xv)
            a2 = a2.addingProduct(load8(r2 + j, k), xv)
            a3 = a3.addingProduct(load8(r3 + j, k), xv)
        }
        let s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
        if accumulate {
            y[i] += s0; y[i &+ 1] += s1; y[i &+ 2] += s2; y[i &+ 3] += s3
        } else {
            y[i] = s0; y[i &+ 1] = s1; y[i &+ 2] = s2; y[i &+ 3] = s3
        }
        i &+= 4
    }
    while i < m {
        let r = w + i &* ld
        var a = SIMD8<Float>()
        var j = 0
        while j &+ 8 <= n { a = a.addingProduct(load8(r + j), load8(x + j)); j &+= 8 }
        if j < n { a = a.addingProduct(load8(r + j, n &- j), load8(x + j, n &- j)) }
        y[i] = (accumulate ? y[i] : 0) + a.sum()
        i &+= 1
    }
}
