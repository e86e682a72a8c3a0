// The two gradients of a channels-last depthwise convolution, one image at a time: the
// forward's row kernel (depthwiseNHWCRow) reversed. Activations are [positions, pitch] with
// the channel pitch a multiple of 16, and every loop runs 16 channels to a vector, so a
// 7x7 plane of 960 channels is 60 vectors a position instead of 960 separate 49-float planes
// (the NCHW kernels' per-plane padding, gathers and copies were 5x PyTorch's time there).
// Each output element is one fixed chain (the weight gradient's over output positions in row
// order, the input gradient's over the taps in order): the same bits whoever computes it.
import SwiftNNKernelsAVX512

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

@inline(__always)
private func store16(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// acc [kh * kw, pitch] = for each tap and channel, the sum over output positions (oy, ox) in
/// row order of gout[oy, ox, c] * x[oy * sh - ph + ki * dh, ox * sw - pw + kj * dw, c], the
/// positions whose tap falls outside the image skipped. gout is one image's [oh * g.ow, pitch],
/// x its [g.h * g.w, pitch]. Four channel blocks at a time: four independent FMA chains.
public func depthwiseNHWCWeightGradient(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ g: DepthwiseNHWCGeometry,
                                        oh: Int, _ acc: UnsafeMutablePointer<Float>) {
    let pitch = g.pitch
    for ki in 0..<g.kh {
        // output rows and columns whose tap (ki, kj) is inside the image
        let (oyLo, oyHi) = insideRange(out: oh, stride: g.sh, pad: g.ph, offset: ki &* g.dh, size: g.h)
        for kj in 0..<g.kw {
            let (oxLo, oxHi) = insideRange(out: g.ow, stride: g.sw, pad: g.pw, offset: kj &* g.dw, size: g.w)
            let dst = acc + (ki &* g.kw &+ kj) &* pitch
            @inline(__always) func point(_ oy: Int, _ ox: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>) {
                let iy = oy &* g.sh &- g.ph &+ ki &* g.dh, ix = ox &* g.sw &- g.pw &+ kj &* g.dw
                return (gout + (oy &* g.ow &+ ox) &* pitch, x + (iy &* g.w &+ ix) &* pitch)
            }
            var c0 = 0
            while c0 &+ 64 <= pitch {
                var a0 = SIMD16<Float>(), a1 = a0, a2 = a0, a3 = a0
                for oy in oyLo..<max(oyLo, oyHi) {
                    for ox in oxLo..<max(oxLo, oxHi) {
                        let (gp, xp) = point(oy, ox)
                        a0 = a0.addingProduct(load16(gp + c0), load16(xp + c0))
                        a1 = a1.addingProduct(load16(gp + (c0 &+ 16)), load16(xp + (c0 &+ 16)))
                        a2 = a2.addingProduct(load16(gp + (c0 &+ 32)), load16(xp + (c0 &+ 32)))
                        a3 = a3.addingProduct(load16(gp + (c0 &+ 48)), load16(xp + (c0 &+ 48)))
                    }
                }
                store16(dst + c0, a0); store16(dst + (c0 &+ 16), a1); store16(dst + (c0 &+ 32), a2); store16(dst + (c0 &+ 48), a3)
                c0 &+= 64
            }
            while c0 < pitch {
                var a = SIMD16<Float>()
                for oy in oyLo..<max(oyLo, oyHi) {
                    for ox in oxLo..<max(oxLo, oxHi) {
                        let (gp, xp) = point(oy, ox)
                        a = a.addingProduct(load16(gp + c0), load16(xp + c0))
                    }
                }
                store16(dst + c0, a)
                c0 &+= 16
            }
        }
    }
}

/// The outputs o in lo ..< hi whose input o * stride - pad + offset lies in 0 ..< size.
@inline(__always)
private func insideRange(out: Int, stride: Int, pad: Int, offset: Int, size: Int) -> (Int, Int) {
    // o * stride >= pad - offset and o * stride <= size - 1 + pad - offset
    let low = pad &- offset, high = size &- 1 &+ pad &- offset
    let lo = low <= 0 ? 0 : (low &+ stride &- 1) / stride
    let hi = high < 0 ? 0 : min(out, high / stride &+ 1)
    return (min(lo, out), hi)
}

/// gx [g.h * g.w, pitch] = the input gradient of one image: each element written once, the sum
/// over the taps (ki, kj) in order whose output position (oy, ox) exists and reads it, of
/// gout[oy, ox, c] * wts[tap, c]. Any stride, padding and dilation. Four channel blocks at a
/// time, as above.
public func depthwiseNHWCInputGradient(_ gout: UnsafePointer<Float>, _ wts: UnsafePointer<Float>, _ g: DepthwiseNHWCGeometry,
                                       oh: Int, _ gx: UnsafeMutablePointer<Float>) {
    let pitch = g.pitch, taps = g.kh &* g.kw
    withUnsafeTemporaryAllocation(of: (Int, Int).self, capacity: taps) { reads in
        for iy in 0..<g.h {
            for ix in 0..<g.w {
                // (output position, tap) pairs that read (iy, ix), taps in order
                var count = 0
                for ki in 0..<g.kh {
                    let ny = iy &+ g.ph &- ki &* g.dh
                    if ny < 0 || ny % g.sh != 0 || ny / g.sh >= oh { continue }
                    for kj in 0..<g.kw {
                        let nx = ix &+ g.pw &- kj &* g.dw
                        if nx < 0 || nx % g.sw != 0 || nx / g.sw >= g.ow { continue }
                        reads[count] = ((ny / g.sh &* g.ow &+ nx / g.sw) &* pitch, (ki &* g.kw &+ kj) &* pitch)
                        count &+= 1
                    }
                }
                let d = gx + (iy &* g.w &+ ix) &* pitch
                var c0 = 0
                while c0 &+ 64 <= pitch {
                    var a0 = SIMD16<Float>(), a1 = a0, a2 = a0, a3 = a0
                    for r in 0..<count {
                        let gp = gout + (reads[r].0 &+ c0), wp = wts + (reads[r].1 &+ c0)
                        a0 = a0.addingProduct(load16(gp), load16(wp))
                        a1 = a1.addingProduct(load16(gp + 16), load16(wp + 16))
                        a2 = a2.addingProduct(load16(gp + 32), load16(wp + 32))
                        a3 = a3.addingProduct(load16(gp + 48), load16(wp + 48))
                    }
                    store16(d + c0, a0); store16(d + (c0 &+ 16), a1); store16(d + (c0 &+ 32), a2); store16(d + (c0 &+ 48), a3)
                    c0 &+= 64
                }
                while c0 < pitch {
                    var a = SIMD16<Float>()
                    for r in 0..<count { a = a.addingProduct(load16(gout + (reads[r].0 &+ c0)), load16(wts + (reads[r].1 &+ c0))) }
                    store16(d + c0, a)
                    c0 &+= 16
                }
            }
        }
    }
}
