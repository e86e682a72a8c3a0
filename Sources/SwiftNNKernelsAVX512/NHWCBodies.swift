// Kernels of the channels-last inference plan (SwiftNN/Inference): depthwise convolution rows and
// the GEMM epilogue over activations stored [positions, channel pitch], the pitch a multiple of
// 16 so that every 16 channels are one vector with no remainder. The bodies are @inlinable so
// that SwiftNNKernels (compiled for AVX2) inlines its own copy of the same source: one
// definition, two instruction sets, the same FMA chains and so the same bits on either.

/// Where a depthwise convolution reads and writes: input [h, w, pitch] of one image, output row
/// [ow, pitch], kernel kh x kw, stride, padding (top, left) and dilation.
public struct DepthwiseNHWCGeometry: Sendable {
    public var h: Int, w: Int, pitch: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int, ow: Int
    public init(h: Int, w: Int, pitch: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int, ow: Int) {
        self.h = h; self.w = w; self.pitch = pitch; self.kh = kh; self.kw = kw; self.sh = sh; self.sw = sw
        self.ph = ph; self.pw = pw; self.dh = dh; self.dw = dw; self.ow = ow
    }
}

@inlinable @inline(__always)
func nhwcLoad(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

@inlinable @inline(__always)
func nhwcStore(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self) }

/// Output row `oy` of a depthwise convolution: out[x, c] = clamp(bias[c] + sum over the taps
/// inside the image of in[iy, ix, c] * wts[tap, c]), taps in (ki, kj) order, for all `pitch`
/// channels (weights and bias zero past the real ones). Four outputs at a time inside the image
/// (four independent FMA chains hide the FMA latency); the border outputs skip the taps that
/// fall outside, so every output is the same chain whichever path computes it.
@inlinable @inline(__always)
public func depthwiseNHWCRowBody(_ x: UnsafePointer<Float>, _ g: DepthwiseNHWCGeometry, oy: Int, _ wts: UnsafePointer<Float>,
                                 _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, lo: Float, hi: Float) {
    let l = SIMD16<Float>(repeating: lo), hv = SIMD16<Float>(repeating: hi)
    let iy0 = oy &* g.sh &- g.ph
    var kiLo = 0, kiHi = g.kh
    while kiLo < g.kh && iy0 &+ kiLo &* g.dh < 0 { kiLo &+= 1 }
    while kiHi > kiLo && iy0 &+ (kiHi &- 1) &* g.dh >= g.h { kiHi &-= 1 }
    // Outputs whose every column tap is inside the image: ox * sw - pw >= 0 and
    // ox * sw - pw + (kw - 1) * dw <= w - 1.
    let oxLo = min(g.ow, (g.pw &+ g.sw &- 1) / g.sw)
    let lastStart = g.w &- 1 &- (g.kw &- 1) &* g.dw &+ g.pw
    let oxHi = lastStart < 0 ? oxLo : max(oxLo, min(g.ow, lastStart / g.sw &+ 1))
    let rowStride = g.w &* g.pitch, tapStride = g.dw &* g.pitch, xStride = g.sw &* g.pitch
    // Outputs outer, channel blocks inner: the input lines an output group reads are used for
    // every channel before the next group (channel blocks outer re-read each row from L2 once
    // per 16 channels: 29% of MobileNetV2's batch-1 forward against 17% this way).
    var ox = 0
    while ox < g.ow {
        let interior = ox >= oxLo && ox &+ 4 <= oxHi
        var c0 = 0
        while c0 < g.pitch {
            let b = nhwcLoad(bias + c0)
            let xc = x + c0, wc = wts + c0
            if interior {
                var a0 = b, a1 = b, a2 = b, a3 = b
                let start = xc + (ox &* g.sw &- g.pw) &* g.pitch
                var ki = kiLo
                // 3-wide rows at stride 1 or 2 (MobileNet's): each input vector of the row is
                // loaded once for the four outputs that read it (6 or 9 loads for 12 FMAs, not
                // 12); the same chains in the same order as the general loop below.
                if g.kw == 3 && g.dw == 1 && g.sw <= 2 {
                    let pitch = g.pitch
                    while ki < kiHi {
                        let p = start + (iy0 &+ ki &* g.dh) &* rowStride
                        let wp = wc + ki &* 3 &* pitch
                        let w0 = nhwcLoad(wp), w1 = nhwcLoad(wp + pitch), w2 = nhwcLoad(wp + 2 &* pitch)
                        let q0 = nhwcLoad(p), q1 = nhwcLoad(p + pitch), q2 = nhwcLoad(p + 2 &* pitch)
                        let q3 = nhwcLoad(p + 3 &* pitch), q4 = nhwcLoad(p + 4 &* pitch)
                        if g.sw == 1 {
                            let q5 = nhwcLoad(p + 5 &* pitch)
                            a0 = a0.addingProduct(q0, w0).addingProduct(q1, w1).addingProduct(q2, w2)
                            a1 = a1.addingProduct(q1, w0).addingProduct(q2, w1).addingProduct(q3, w2)
                            a2 = a2.addingProduct(q2, w0).addingProduct(q3, w1).addingProduct(q4, w2)
                            a3 = a3.addingProduct(q3, w0).addingProduct(q4, w1).addingProduct(q5, w2)
                        } else {
                            let q5 = nhwcLoad(p + 5 &* pitch), q6 = nhwcLoad(p + 6 &* pitch)
                            let q7 = nhwcLoad(p + 7 &* pitch), q8 = nhwcLoad(p + 8 &* pitch)
                            a0 = a0.addingProduct(q0, w0).addingProduct(q1, w1).addingProduct(q2, w2)
                            a1 = a1.addingProduct(q2, w0).addingProduct(q3, w1).addingProduct(q4, w2)
                            a2 = a2.addingProduct(q4, w0).addingProduct(q5, w1).addingProduct(q6, w2)
                            a3 = a3.addingProduct(q6, w0).addingProduct(q7, w1).addingProduct(q8, w2)
                        }
                        ki &+= 1
                    }
                }
                while ki < kiHi {
                    var p = start + (iy0 &+ ki &* g.dh) &* rowStride
                    var wp = wc + ki &* g.kw &* g.pitch
                    var kj = 0
                    while kj < g.kw {
                        let wv = nhwcLoad(wp)
                        a0 = a0.addingProduct(nhwcLoad(p), wv)
                        a1 = a1.addingProduct(nhwcLoad(p + xStride), wv)
                        a2 = a2.addingProduct(nhwcLoad(p + 2 &* xStride), wv)
                        a3 = a3.addingProduct(nhwcLoad(p + 3 &* xStride), wv)
                        p += tapStride
                        wp += g.pitch
                        kj &+= 1
                    }
                    ki &+= 1
                }
                // max(lo, min(hi, v)), NaN kept (as PyTorch's clamp and relu keep it).
                a0 = a0.replacing(with: l, where: a0 .< l).replacing(with: hv, where: a0 .> hv)
                a1 = a1.replacing(with: l, where: a1 .< l).replacing(with: hv, where: a1 .> hv)
                a2 = a2.replacing(with: l, where: a2 .< l).replacing(with: hv, where: a2 .> hv)
                a3 = a3.replacing(with: l, where: a3 .< l).replacing(with: hv, where: a3 .> hv)
                let o = out + (ox &* g.pitch &+ c0)
                nhwcStore(o, a0)
                nhwcStore(o + g.pitch, a1)
                nhwcStore(o + 2 &* g.pitch, a2)
                nhwcStore(o + 3 &* g.pitch, a3)
                c0 &+= 16
                continue
            }
            // Near the border: the taps outside the image are skipped; four channel blocks at
            // a time where there are four (one chain alone waits on each FMA's latency).
            let ix0 = ox &* g.sw &- g.pw
            if c0 &+ 64 <= g.pitch {
                var e0 = b, e1 = nhwcLoad(bias + (c0 &+ 16)), e2 = nhwcLoad(bias + (c0 &+ 32)), e3 = nhwcLoad(bias + (c0 &+ 48))
                var ki = kiLo
                while ki < kiHi {
                    let row = xc + (iy0 &+ ki &* g.dh) &* rowStride
                    var kj = 0
                    while kj < g.kw {
                        let ix = ix0 &+ kj &* g.dw
                        if ix >= 0 && ix < g.w {
                            let p = row + ix &* g.pitch, wp = wc + (ki &* g.kw &+ kj) &* g.pitch
                            e0 = e0.addingProduct(nhwcLoad(p), nhwcLoad(wp))
                            e1 = e1.addingProduct(nhwcLoad(p + 16), nhwcLoad(wp + 16))
                            e2 = e2.addingProduct(nhwcLoad(p + 32), nhwcLoad(wp + 32))
                            e3 = e3.addingProduct(nhwcLoad(p + 48), nhwcLoad(wp + 48))
                        }
                        kj &+= 1
                    }
                    ki &+= 1
                }
                e0 = e0.replacing(with: l, where: e0 .< l).replacing(with: hv, where: e0 .> hv)
                e1 = e1.replacing(with: l, where: e1 .< l).replacing(with: hv, where: e1 .> hv)
                e2 = e2.replacing(with: l, where: e2 .< l).replacing(with: hv, where: e2 .> hv)
                e3 = e3.replacing(with: l, where: e3 .< l).replacing(with: hv, where: e3 .> hv)
                let o = out + (ox &* g.pitch &+ c0)
                nhwcStore(o, e0)
                nhwcStore(o + 16, e1)
                nhwcStore(o + 32, e2)
                nhwcStore(o + 48, e3)
                c0 &+= 64
                continue
            }
            var acc = b
            var ki = kiLo
            while ki < kiHi {
                let row = xc + (iy0 &+ ki &* g.dh) &* rowStride
                var kj = 0
                while kj < g.kw {
                    let ix = ix0 &+ kj &* g.dw
                    if ix >= 0 && ix < g.w {
                        acc = acc.addingProduct(nhwcLoad(row + ix &* g.pitch), nhwcLoad(wc + (ki &* g.kw &+ kj) &* g.pitch))
                    }
                    kj &+= 1
                }
                ki &+= 1
            }
            acc = acc.replacing(with: l, where: acc .< l).replacing(with: hv, where: acc .> hv)
            nhwcStore(out + (ox &* g.pitch &+ c0), acc)
            c0 &+= 16
        }
        ox &+= interior ? 4 : 1
    }
}

/// c[r, j] = clamp(c[r, j] + bias[j] + residual[r, j]) for rows 0..<rows, columns 0..<cols
/// (a multiple of 16): a GEMM tile's bias, residual add and clamp while it is in cache.
@inlinable @inline(__always)
public func nhwcEpilogueBody(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, bias: UnsafePointer<Float>?,
                             residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    let l = SIMD16<Float>(repeating: lo), hv = SIMD16<Float>(repeating: hi)
    for r in 0..<rows {
        let row = c + r &* ldc
        var j = 0
        while j < cols {
            var v = nhwcLoad(row + j)
            if let bias { v += nhwcLoad(bias + j) }
            if let residual { v += nhwcLoad(residual + (r &* ldr &+ j)) }
            v = v.replacing(with: l, where: v .< l).replacing(with: hv, where: v .> hv)
            nhwcStore(row + j, v)
            j &+= 16
        }
    }
}

/// The AVX-512 instances (this module is compiled for AVX-512; callers check the CPU).
public func depthwiseNHWCRowAVX512(_ x: UnsafePointer<Float>, _ g: DepthwiseNHWCGeometry, oy: Int, _ wts: UnsafePointer<Float>,
                                   _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, lo: Float, hi: Float) {
    depthwiseNHWCRowBody(x, g, oy: oy, wts, bias, out, lo: lo, hi: hi)
}

public func nhwcEpilogueAVX512(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, bias: UnsafePointer<Float>?,
                               residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    nhwcEpilogueBody(c, ldc: ldc, rows: rows, cols: cols, bias: bias, residual: residual, ldr: ldr, lo: lo, hi: hi)
}
