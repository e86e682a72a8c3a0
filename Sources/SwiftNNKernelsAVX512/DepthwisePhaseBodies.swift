// Kernels of the direct depthwise convolution on NCHW planes (the training path; the inference
// plan has its own channels-last kernels in NHWCBodies.swift). A plane is zero-padded once and
// split into stride phases: phase (a, b) holds the padded rows a, a + sh, ... and columns b,
// b + sw, ..., each phase `rows` x `cols` with pitch `cols`. Then tap t of output (oy, x) reads
// phase element offsets[t] + oy * cols + x, so a whole output plane is one flat run
// i = oy * cols + x (the columns x >= ow of each row are computed and dropped): every vector is
// full, also for the 28-, 14- and 7-wide rows of MobileNet, and stride 2 costs no more per
// output than stride 1. The input gradient is the same gather over the output gradient laid out
// flat with zero margins (each phase of the padded input gradient sums the taps of that phase),
// the weight gradient one dot product per tap over the flat runs.
//
// The bodies are @inlinable so that SwiftNNKernels (compiled for AVX2) inlines its own copy of
// the same source: the same FMA chains, so the same bits, on either instruction set. Callers
// validate sizes.

@inlinable @inline(__always)
func phaseLoad(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

@inlinable @inline(__always)
func phaseStore(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// dst[0..<count] = src[0..<count] (not overlapping): rows of 28 or 56 end with one vector
/// ending at `count` rather than a scalar tail.
@inlinable @inline(__always)
public func phaseCopy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    guard count >= 16 else {
        var i = 0
        if count >= 8 {
            let v = UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self)
            let u = UnsafeRawPointer(src + (count &- 8)).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst).storeBytes(of: v, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + (count &- 8)).storeBytes(of: u, as: SIMD8<Float>.self)
            return
        }
        while i < count { dst[i] = src[i]; i &+= 1 }
        return
    }
    var i = 0
    while i &+ 16 <= count { phaseStore(dst + i, phaseLoad(src + i)); i &+= 16 }
    if i < count { phaseStore(dst + (count &- 16), phaseLoad(src + (count &- 16))) }
}

@inlinable @inline(__always)
func phaseZero(_ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i &+ 16 <= count { phaseStore(dst + i, SIMD16<Float>()); i &+= 16 }
    while i < count { dst[i] = 0; i &+= 1 }
}

/// dst: the [h, w] plane src zero-padded by (padH, padW) and split into sh x sw phases of
/// rows x cols (phase (a, b) at dst + (a * sw + b) * rows * cols), then 16 zero floats of slack.
/// Strides 1 and 2.
@inlinable @inline(__always)
public func depthwisePhasesBody(_ src: UnsafePointer<Float>, h: Int, w: Int, padH: Int, padW: Int, sh: Int, sw: Int,
                                rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    let phase = rows &* cols
    for a in 0..<sh {
        for r in 0..<rows {
            let y = a &+ r &* sh &- padH
            let e = dst + ((a &* sw) &* phase &+ r &* cols)
            if y < 0 || y >= h {
                phaseZero(e, cols)
                if sw == 2 { phaseZero(e + phase, cols) }
                continue
            }
            let s = src + y &* w
            if sw == 1 {
                for i in 0..<padW { e[i] = 0 }
                phaseCopy(s, e + padW, w)
                for i in (padW &+ w)..<cols { e[i] = 0 }
                continue
            }
            // Padded column p = j + padW goes to phase p & 1, column p >> 1: the padding columns
            // are zeroed, the image's deinterleaved 16 at a time.
            let o = e + phase
            for p in 0..<padW { (p & 1 == 0 ? e : o)[p >> 1] = 0 }
            for p in (padW &+ w)..<(2 &* cols) { (p & 1 == 0 ? e : o)[p >> 1] = 0 }
            // Image column j: with padW even, even j lands in phase 0; with padW odd, in phase 1.
            let even = e + ((padW &+ 1) >> 1), odd = o + (padW >> 1)
            let first = padW & 1 == 0 ? even : odd, second = padW & 1 == 0 ? odd : even
            @inline(__always) func split(_ j: Int) {
                let v = phaseLoad(s + j)
                UnsafeMutableRawPointer(first + (j >> 1)).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(second + (j >> 1)).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
            }
            var j = 0
            while j &+ 16 <= w { split(j); j &+= 16 }
            // The rest as one more vector ending at (or one before) the row's end, at an even
            // column so that the halves keep their phases (it rewrites equal values).
            if j < w && w >= 17 { j = (w &- 16) & ~1; split(j); j &+= 16 }
            while j < w {
                let p = j &+ padW
                (p & 1 == 0 ? e : o)[p >> 1] = s[j]
                j &+= 1
            }
        }
    }
    phaseZero(dst + sh &* sw &* phase, 16)
}

/// The inverse view of `depthwisePhasesBody`: dst [h, w] = the interior of the phased plane src.
@inlinable @inline(__always)
public func depthwiseUnphaseBody(_ src: UnsafePointer<Float>, h: Int, w: Int, padH: Int, padW: Int, sh: Int, sw: Int,
                                 rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    let phase = rows &* cols
    for y in 0..<h {
        let pr = y &+ padH
        let e = src + (((pr % sh) &* sw) &* phase &+ (pr / sh) &* cols), d = dst + y &* w
        if sw == 1 {
            phaseCopy(e + padW, d, w)
            continue
        }
        let o = e + phase
        let even = e + ((padW &+ 1) >> 1), odd = o + (padW >> 1)
        let first = padW & 1 == 0 ? even : odd, second = padW & 1 == 0 ? odd : even
        @inline(__always) func merge(_ j: Int) {
            var v = SIMD16<Float>()
            v.evenHalf = UnsafeRawPointer(first + (j >> 1)).loadUnaligned(as: SIMD8<Float>.self)
            v.oddHalf = UnsafeRawPointer(second + (j >> 1)).loadUnaligned(as: SIMD8<Float>.self)
            phaseStore(d + j, v)
        }
        var j = 0
        while j &+ 16 <= w { merge(j); j &+= 16 }
        if j < w && w >= 17 { j = (w &- 16) & ~1; merge(j); j &+= 16 }
        while j < w {
            let p = j &+ padW
            d[j] = (p & 1 == 0 ? e : o)[p >> 1]
            j &+= 1
        }
    }
}

/// out[i] = initial + sum over t of weights[t] * base[offsets[t] + i] for i < count, taps in
/// order, one fused multiply-add each (so any vector width gives the same bits). Rows that do
/// not fill a vector end with one vector ending at `count` (it recomputes some outputs with the
/// same chains), so nothing past base[offsets[t] + count - 1] is read. out must not overlap base.
@inlinable @inline(__always)
public func depthwiseGatherBody(_ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ weights: UnsafePointer<Float>,
                                taps: Int, count: Int, initial: Float, _ out: UnsafeMutablePointer<Float>) {
    guard count >= 16 else {
        for i in 0..<count {
            var a = initial
            for t in 0..<taps { a = a.addingProduct(weights[t], base[offsets[t] &+ i]) }
            out[i] = a
        }
        return
    }
    let start = SIMD16<Float>(repeating: initial)
    var i = 0
    // Four vectors per pass: four FMA chains in flight, each broadcast weight used four times.
    while i &+ 64 <= count {
        var a0 = start, a1 = start, a2 = start, a3 = start
        var t = 0
        while t < taps {
            let p = base + (offsets[t] &+ i), s = SIMD16<Float>(repeating: weights[t])
            a0 = a0.addingProduct(phaseLoad(p), s)
            a1 = a1.addingProduct(phaseLoad(p + 16), s)
            a2 = a2.addingProduct(phaseLoad(p + 32), s)
            a3 = a3.addingProduct(phaseLoad(p + 48), s)
            t &+= 1
        }
        phaseStore(out + i, a0); phaseStore(out + (i &+ 16), a1)
        phaseStore(out + (i &+ 32), a2); phaseStore(out + (i &+ 48), a3)
        i &+= 64
    }
    while i < count {
        if i &+ 16 > count { i = count &- 16 }
        var a0 = start
        var t = 0
        while t < taps {
            a0 = a0.addingProduct(phaseLoad(base + (offsets[t] &+ i)), SIMD16<Float>(repeating: weights[t]))
            t &+= 1
        }
        phaseStore(out + i, a0)
        i &+= 16
    }
}

/// acc[t * 16 + l] += sum over i < count with i mod 16 = l of g[i] * base[offsets[t] + i]
/// (count a multiple of 16): the weight gradient of one flat plane, 16 fixed lanes per tap, four
/// taps per pass sharing each load of g.
@inlinable @inline(__always)
public func depthwiseWeightGradientBody(_ g: UnsafePointer<Float>, _ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
                                        taps: Int, count: Int, _ acc: UnsafeMutablePointer<Float>) {
    var t = 0
    while t &+ 4 <= taps {
        let p0 = base + offsets[t], p1 = base + offsets[t &+ 1], p2 = base + offsets[t &+ 2], p3 = base + offsets[t &+ 3]
        let a = acc + t &* 16
        var a0 = phaseLoad(a), a1 = phaseLoad(a + 16), a2 = phaseLoad(a + 32), a3 = phaseLoad(a + 48)
        var i = 0
        while i < count {
            let gv = phaseLoad(g + i)
            a0 = a0.addingProduct(gv, phaseLoad(p0 + i))
            a1 = a1.addingProduct(gv, phaseLoad(p1 + i))
            a2 = a2.addingProduct(gv, phaseLoad(p2 + i))
            a3 = a3.addingProduct(gv, phaseLoad(p3 + i))
            i &+= 16
        }
        phaseStore(a, a0); phaseStore(a + 16, a1); phaseStore(a + 32, a2); phaseStore(a + 48, a3)
        t &+= 4
    }
    while t < taps {
        let p = base + offsets[t], a = acc + t &* 16
        var a0 = phaseLoad(a)
        var i = 0
        while i < count {
            a0 = a0.addingProduct(phaseLoad(g + i), phaseLoad(p + i))
            i &+= 16
        }
        phaseStore(a, a0)
        t &+= 1
    }
}

// The AVX-512 instances (this module is compiled for AVX-512; callers check the CPU).

public func depthwisePhasesAVX512(_ src: UnsafePointer<Float>, h: Int, w: Int, padH: Int, padW: Int, sh: Int, sw: Int,
                                  rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    depthwisePhasesBody(src, h: h, w: w, padH: padH, padW: padW, sh: sh, sw: sw, rows: rows, cols: cols, dst)
}

public func depthwiseUnphaseAVX512(_ src: UnsafePointer<Float>, h: Int, w: Int, padH: Int, padW: Int, sh: Int, sw: Int,
                                   rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    depthwiseUnphaseBody(src, h: h, w: w, padH: padH, padW: padW, sh: sh, sw: sw, rows: rows, cols: cols, dst)
}

public func depthwiseGatherAVX512(_ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ weights: UnsafePointer<Float>,
                                  taps: Int, count: Int, initial: Float, _ out: UnsafeMutablePointer<Float>) {
    depthwiseGatherBody(base, offsets, weights, taps: taps, count: count, initial: initial, out)
}

public func depthwiseWeightGradientAVX512(_ g: UnsafePointer<Float>, _ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
                                          taps: Int, count: Int, _ acc: UnsafeMutablePointer<Float>) {
    depthwiseWeightGradientBody(g, base, offsets, taps: taps, count: count, acc)
}
