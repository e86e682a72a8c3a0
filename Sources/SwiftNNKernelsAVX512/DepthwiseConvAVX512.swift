// AVX-512 twins of the depthwise row kernels (SwiftNNKernels/DepthwiseConv.swift): the same
// per-element chains (taps in order, one FMA each; weight gradient in lanes x mod 16), one zmm
// where the AVX2 versions use two ymm, so both give the same bits.

@inline(__always)
private func ld(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

@inline(__always)
private func st(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

// 8-wide steps for the rest of a row (rows of 56, 28, 14 outputs are MobileNet's).
@inline(__always)
private func ld8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
private func st8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

public func depthwiseRowAVX512(_ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ weights: UnsafePointer<Float>,
                               _ taps: Int, _ count: Int, _ initial: Float, _ out: UnsafeMutablePointer<Float>) {
    var x = 0
    while x &+ 32 <= count {
        var a0 = SIMD16<Float>(repeating: initial), a1 = a0
        var t = 0
        while t < taps {
            let p = base + (offsets[t] &+ x), s = SIMD16<Float>(repeating: weights[t])
            a0 = a0.addingProduct(ld(p), s)
            a1 = a1.addingProduct(ld(p + 16), s)
            t &+= 1
        }
        st(out + x, a0); st(out + (x &+ 16), a1)
        x &+= 32
    }
    if x &+ 16 <= count {
        var a0 = SIMD16<Float>(repeating: initial)
        var t = 0
        while t < taps {
            a0 = a0.addingProduct(ld(base + (offsets[t] &+ x)), SIMD16<Float>(repeating: weights[t]))
            t &+= 1
        }
        st(out + x, a0)
        x &+= 16
    }
    if x &+ 8 <= count {
        var a0 = SIMD8<Float>(repeating: initial)
        var t = 0
        while t < taps {
            a0 = a0.addingProduct(ld8(base + (offsets[t] &+ x)), SIMD8<Float>(repeating: weights[t]))
            t &+= 1
        }
        st8(out + x, a0)
        x &+= 8
    }
    while x < count {
        var a = initial
        var t = 0
        while t < taps { a = a.addingProduct(weights[t], base[offsets[t] &+ x]); t &+= 1 }
        out[x] = a
        x &+= 1
    }
}

public func depthwiseRowScatterAVX512(_ g: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ weights: UnsafePointer<Float>,
                                      _ taps: Int, _ count: Int, _ base: UnsafeMutablePointer<Float>) {
    var t = 0
    while t < taps {
        let d = base + offsets[t], s = SIMD16<Float>(repeating: weights[t]), wt = weights[t]
        var x = 0
        while x &+ 16 <= count {
            st(d + x, ld(d + x).addingProduct(ld(g + x), s))
            x &+= 16
        }
        if x &+ 8 <= count {
            st8(d + x, ld8(d + x).addingProduct(ld8(g + x), SIMD8<Float>(repeating: wt)))
            x &+= 8
        }
        while x < count { d[x] = d[x].addingProduct(wt, g[x]); x &+= 1 }
        t &+= 1
    }
}

public func depthwiseRowWeightGradientAVX512(_ g: UnsafePointer<Float>, _ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
                                             _ taps: Int, _ count: Int, _ acc: UnsafeMutablePointer<Float>) {
    var t = 0
    while t < taps {
        let p = base + offsets[t], a = acc + t &* 16
        var a0 = ld(a)
        var x = 0
        while x &+ 16 <= count {
            a0 = a0.addingProduct(ld(g + x), ld(p + x))
            x &+= 16
        }
        st(a, a0)
        if x &+ 8 <= count {   // lanes 0..7, as the AVX2 version's 8-wide step
            st8(a, ld8(a).addingProduct(ld8(g + x), ld8(p + x)))
            x &+= 8
        }
        while x < count { a[x & 15] = a[x & 15].addingProduct(g[x], p[x]); x &+= 1 }
        t &+= 1
    }
}
