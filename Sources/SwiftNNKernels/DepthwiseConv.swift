// Row kernels of the direct depthwise convolution (one filter per channel, MobileNet's 3x3 and
// 5x5 at stride 1 and 2). A plane is zero-padded once and, at column stride 2, split into its
// even and odd columns, so that every tap of an output row reads a contiguous run: output x of
// tap t reads base[offsets[t] + x]. Forward gathers, the input gradient scatters with the same
// offsets, the weight gradient accumulates per tap in 16 fixed lanes (x mod 16), so its sums do
// not depend on the vector width (the AVX-512 twins in SwiftNNKernelsAVX512 give the same bits).
// Callers validate sizes; no slack is read past a row's last output.
import SwiftNNKernelsAVX512

/// dst: the [h, w] plane src zero-padded by (padH, padW), at column stride 2 stored per row as
/// the even padded columns then the odd ones (`half` = ceil(wp / 2) each); row pitch `pitch`
/// (wp at stride 1, 2 * half at stride 2). Writes hp * pitch floats.
public func padPlaneForDepthwise(_ src: UnsafePointer<Float>, height h: Int, width w: Int, padH: Int, padW: Int,
                                 split: Bool, pitch: Int, _ dst: UnsafeMutablePointer<Float>) {
    let hp = h &+ 2 &* padH, wp = w &+ 2 &* padW, half = (wp &+ 1) / 2
    dst.update(repeating: 0, count: padH &* pitch)
    for y in 0..<h {
        let row = dst + (y &+ padH) &* pitch, s = src + y &* w
        if split {
            // Only the padding columns need zeros (a memset of the whole row was 6% of a
            // stride-2 forward); the image's columns are deinterleaved 16 at a time (one
            // element at a time this copy was 42% of it).
            for col in 0..<padW { row[(col & 1) &* half &+ (col >> 1)] = 0 }
            for col in (padW &+ w)..<(2 &* half) { row[(col & 1) &* half &+ (col >> 1)] = 0 }
            var j = 0
            let even = row + ((padW &+ 1) >> 1), odd = row + (half &+ (padW >> 1))
            // Columns j + padW for j = 0, 1, ...: with padW even, image column j lands in the
            // even half when j is even; with padW odd, in the odd half.
            while j &+ 16 <= w {
                let v = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD16<Float>.self)
                let lo = v.evenHalf, hi = v.oddHalf
                if padW & 1 == 0 {
                    UnsafeMutableRawPointer(even + (j >> 1)).storeBytes(of: lo, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(odd + (j >> 1)).storeBytes(of: hi, as: SIMD8<Float>.self)
                } else {
                    UnsafeMutableRawPointer(odd + (j >> 1)).storeBytes(of: lo, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(even + (j >> 1)).storeBytes(of: hi, as: SIMD8<Float>.self)
                }
                j &+= 16
            }
            while j < w {
                let col = j &+ padW
                row[(col & 1) &* half &+ (col >> 1)] = s[j]
                j &+= 1
            }
        } else {
            for i in 0..<padW { row[i] = 0 }
            copyShort(s, row + padW, w)
            for i in (padW &+ w)..<pitch { row[i] = 0 }
        }
    }
    (dst + (padH &+ h) &* pitch).update(repeating: 0, count: (hp &- padH &- h) &* pitch)
}

/// The inverse view of `padPlaneForDepthwise`: dst [h, w] = the interior of the padded plane src.
public func unpadPlaneForDepthwise(_ src: UnsafePointer<Float>, height h: Int, width w: Int, padH: Int, padW: Int,
                                   split: Bool, pitch: Int, _ dst: UnsafeMutablePointer<Float>) {
    let wp = w &+ 2 &* padW, half = (wp &+ 1) / 2
    for y in 0..<h {
        let row = src + (y &+ padH) &* pitch, d = dst + y &* w
        if split {
            var j = 0
            while j < w {
                let col = j &+ padW
                d[j] = row[(col & 1) &* half &+ (col >> 1)]
                j &+= 1
            }
        } else {
            copyShort(row + padW, d, w)
        }
    }
}

/// out[x] = initial + sum over t of weights[t] * base[offsets[t] + x], x < count (taps in order,
/// one fused multiply-add each, so every width computes the same bits).
public func depthwiseRow(_ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ weights: UnsafePointer<Float>,
                         taps: Int, count: Int, initial: Float, _ out: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        return depthwiseRowAVX512(base, offsets, weights, taps, count, initial, out)
    }
    var x = 0
    while x &+ 16 <= count {
        var a0 = SIMD8<Float>(repeating: initial), a1 = a0
        var t = 0
        while t < taps {
            let p = base + (offsets[t] &+ x), s = SIMD8<Float>(repeating: weights[t])
            a0 = a0.addingProduct(load8(p), s)
            a1 = a1.addingProduct(load8(p + 8), s)
            t &+= 1
        }
        store8(out + x, a0); store8(out + (x &+ 8), a1)
        x &+= 16
    }
    if x &+ 8 <= count {
        var a0 = SIMD8<Float>(repeating: initial)
        var t = 0
        while t < taps {
            a0 = a0.addingProduct(load8(base + (offsets[t] &+ x)), SIMD8<Float>(repeating: weights[t]))
            t &+= 1
        }
        store8(out + x, a0)
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

/// The transpose of `depthwiseRow`: base[offsets[t] + x] += weights[t] * g[x] for every tap t in
/// order and x < count (the input gradient of one output row).
public func depthwiseRowScatter(_ g: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ weights: UnsafePointer<Float>,
                                taps: Int, count: Int, _ base: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        return depthwiseRowScatterAVX512(g, offsets, weights, taps, count, base)
    }
    var t = 0
    while t < taps {
        let d = base + offsets[t], s = SIMD8<Float>(repeating: weights[t]), wt = weights[t]
        var x = 0
        while x &+ 8 <= count {
            store8(d + x, load8(d + x).addingProduct(load8(g + x), s))
            x &+= 8
        }
        while x < count { d[x] = d[x].addingProduct(wt, g[x]); x &+= 1 }
        t &+= 1
    }
}

/// acc[t * 16 + l] += sum over x < count with x mod 16 = l of g[x] * base[offsets[t] + x]: the
/// weight gradient of one output row, 16 lanes per tap.
public func depthwiseRowWeightGradient(_ g: UnsafePointer<Float>, _ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
                                       taps: Int, count: Int, _ acc: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        return depthwiseRowWeightGradientAVX512(g, base, offsets, taps, count, acc)
    }
    var t = 0
    while t < taps {
        let p = base + offsets[t], a = acc + t &* 16
        var a0 = load8(a), a1 = load8(a + 8)
        var x = 0
        while x &+ 16 <= count {
            a0 = a0.addingProduct(load8(g + x), load8(p + x))
            a1 = a1.addingProduct(load8(g + (x &+ 8)), load8(p + (x &+ 8)))
            x &+= 16
        }
        if x &+ 8 <= count {   // lanes 0..7, as the AVX-512 twin's 8-wide step
            a0 = a0.addingProduct(load8(g + x), load8(p + x))
            x &+= 8
        }
        store8(a, a0); store8(a + 8, a1)
        while x < count { a[x & 15] = a[x & 15].addingProduct(g[x], p[x]); x &+= 1 }
        t &+= 1
    }
}

