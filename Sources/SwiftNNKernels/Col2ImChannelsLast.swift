// col2im for channels-last patch rows: the input gradient of a channels-last convolution,
// whose product W^T G is computed as G^T W, one row per output position with the patch in
// (kernel row, kernel column, channel) order. Each input position's channels are summed in
// registers over the taps that read it and stored once, as col2imOverwriting does for NCHW
// rows (Col2ImRows.swift); here a tap's contribution is a run of C consecutive floats, so
// there are no masks and no strided reads.
//
// Every element gets col2im's additions in its order (kernel row, then kernel column) onto +0,
// so the bits are col2im's on a zeroed image.

/// dst [h * w, c] (channels-last, one image) = col2im of `rows` [oh * ow, kh * kw * c] (output
/// position (oy, ox)'s row at (oy * ow + ox) * patch, tap (ki, kj)'s channels at (ki * kw +
/// kj) * c): dst[(iy * w + ix) * c + ch] = the sum, over the taps (ki, kj) in order whose
/// window from some output position reads (iy, ix), of that row's entry. c a multiple of 8.
public func col2imChannelsLast(_ rows: UnsafePointer<Float>, _ g: PatchGeometry, _ dst: UnsafeMutablePointer<Float>) {
    let patch = g.patch, taps = g.kh &* g.kw
    // per input row and column: which kernel rows (columns) read it, from which output row (column)
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 &* g.kh &+ 3 &* taps) { buffer in
        let rowKi = buffer.baseAddress!, rowOy = rowKi + g.kh, sources = rowOy + g.kh
        for iy in 0..<g.h {
            var nr = 0
            for ki in 0..<g.kh {
                let t = iy &+ g.ph &- ki &* g.dh
                if t < 0 || t % g.sh != 0 || t / g.sh >= g.oh { continue }
                rowKi[nr] = ki; rowOy[nr] = t / g.sh; nr &+= 1
            }
            for ix in 0..<g.w {
                // the (tap, output position) pairs that read (iy, ix), kernel row then column
                var count = 0
                for r in 0..<nr {
                    for kj in 0..<g.kw {
                        let t = ix &+ g.pw &- kj &* g.dw
                        if t < 0 || t % g.sw != 0 || t / g.sw >= g.ow { continue }
                        sources[count] = (rowOy[r] &* g.ow &+ t / g.sw) &* patch &+ (rowKi[r] &* g.kw &+ kj) &* g.c
                        count &+= 1
                    }
                }
                let d = dst + (iy &* g.w &+ ix) &* g.c
                var c0 = 0
                while c0 < g.c {
                    var acc = SIMD8<Float>()
                    for e in 0..<count { acc = acc + load8(rows + (sources[e] &+ c0)) }
                    store8(d + c0, acc)
                    c0 &+= 8
                }
            }
        }
    }
}
