// Kernels of the channels-last inference plan (SwiftNN/Inference/): activations stored as
// [positions, pitch] with the channel pitch a multiple of 16. The depthwise rows and the GEMM
// epilogue come from SwiftNNKernelsAVX512's inlinable bodies, run as AVX-512 where the CPU has
// it and inlined here (AVX2) elsewhere: the same chains, the same bits.
import SwiftNNKernelsAVX512
import CTranspose
#if arch(x86_64)
import CDepthwise
#endif

/// The depthwise geometry, visible to the engine through this module.
public typealias DepthwiseNHWCGeometry = SwiftNNKernelsAVX512.DepthwiseNHWCGeometry

/// One output row of a channels-last depthwise convolution (see `depthwiseNHWCRowBody`).
public func depthwiseNHWCRow(_ x: UnsafePointer<Float>, _ g: DepthwiseNHWCGeometry, oy: Int, _ wts: UnsafePointer<Float>,
                             _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, lo: Float, hi: Float) {
    if PackedGemmKernels.useAVX512 {
        depthwiseNHWCRowAVX512(x, g, oy: oy, wts, bias, out, lo: lo, hi: hi)
    } else {
        depthwiseNHWCRowBody(x, g, oy: oy, wts, bias, out, lo: lo, hi: hi)
    }
}

/// Output rows oy0 ..< oy1 of a channels-last depthwise convolution, row oy at
/// out + (oy - oy0) * ldo: depthwiseNHWCRow's bits. 3x3 taps at unit dilation and column
/// stride 1 or 2 take the band kernel in C with AVX-512 (CDepthwise/depthwise_nhwc.h: channel
/// blocks outer, so each input line comes from L2 once per band); the rest go row by row.
public func depthwiseNHWCRows(_ x: UnsafePointer<Float>, _ g: DepthwiseNHWCGeometry, rows oy: Range<Int>, _ wts: UnsafePointer<Float>,
                              _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, ldo: Int, lo: Float, hi: Float) {
    #if arch(x86_64)
    if PackedGemmKernels.useAVX512 && g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1 && g.sw <= 2 {
        snn_depthwise_nhwc3x3_rows(x, g.h, g.w, g.pitch, g.sh, g.sw, g.ph, g.pw, g.ow, oy.lowerBound, oy.upperBound, wts, bias,
                                   out, ldo, lo, hi)
        return
    }
    #endif
    for r in oy { depthwiseNHWCRow(x, g, oy: r, wts, bias, out + (r &- oy.lowerBound) &* ldo, lo: lo, hi: hi) }
}

/// The direct convolution's geometry, visible to the engine through this module.
public typealias DirectConvGeometry = SwiftNNKernelsAVX512.DirectConvGeometry

/// One output row of a convolution with few input channels (see `directConvRowBody`).
public func directConvRow(_ x: UnsafePointer<Float>, _ g: DirectConvGeometry, oy: Int, _ w: UnsafePointer<Float>, cols: Int,
                          _ bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>,
                          lo: Float, hi: Float) {
    if PackedGemmKernels.useAVX512 {
        directConvRowAVX512(x, g, oy: oy, w, cols: cols, bias, residual: residual, out, lo: lo, hi: hi)
    } else {
        directConvRowBody(x, g, oy: oy, w, cols: cols, bias, residual: residual, out, lo: lo, hi: hi)
    }
}

/// 32 output channels by 8 taps of a wide strided convolution's weight gradient over one image
/// (see `directWeightGradientBody`).
public func directWeightGradient(_ x: UnsafePointer<Float>, rowStride: Int, ki: Int, sh: Int, sw: Int, oh: Int, ow: Int,
                                 _ g: UnsafePointer<Float>, ldg: Int, _ acc: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        directWeightGradientAVX512(x, rowStride: rowStride, ki: ki, sh: sh, sw: sw, oh: oh, ow: ow, g, ldg: ldg, acc)
    } else {
        directWeightGradientBody(x, rowStride: rowStride, ki: ki, sh: sh, sw: sw, oh: oh, ow: ow, g, ldg: ldg, acc)
    }
}

/// A GEMM tile's bias, residual and clamp (see `nhwcEpilogueBody`).
public func nhwcEpilogue(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, bias: UnsafePointer<Float>?,
                         residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    if PackedGemmKernels.useAVX512 {
        nhwcEpilogueAVX512(c, ldc: ldc, rows: rows, cols: cols, bias: bias, residual: residual, ldr: ldr, lo: lo, hi: hi)
    } else {
        nhwcEpilogueBody(c, ldc: ldc, rows: rows, cols: cols, bias: bias, residual: residual, ldr: ldr, lo: lo, hi: hi)
    }
}

/// C[m, n] = clamp(A B + bias + residual): gemmPacked (row-major A, B packed by packPanels)
/// followed by nhwcEpilogue, with the same bits. Where the AVX-512 8x32 kernel computes a tile
/// (whole groups of 8 rows over whole panel pairs, and the 8x16 kernel over a last single
/// panel) the epilogue is applied to its accumulators before they are stored, saving a pass
/// over the tile; 8 t + 1 rows end on the 9-row kernels; the other rows take the plain kernels
/// and the pass. n and the epilogue's columns are multiples of 16 (the plan's pitch); residual
/// row i at residual + i * ldr. `live`, the columns that are not padding (default n): where the
/// last pair's last 8 are padding (zero weights and bias), the 8x24 kernel skips their FMAs.
public func gemmPackedEpilogue(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                               c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>,
                               residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float, live: Int? = nil) {
    let stride = k &* 16
    let avx512 = PackedGemmKernels.useAVX512
    let pairs = avx512 ? n / 32 : 0
    let single = avx512 && n &- pairs &* 32 >= 16  // a last panel of its own
    // A last pair whose last 8 columns are padding (24 channels at a pitch of 32): 24 wide.
    let narrow = pairs > 0 && !single && (live ?? n) <= n &- 8
    // 8 t + 1 rows: the last nine through the 9-row kernels (the ninth row shares B's loads).
    let nine = (pairs > 0 || single) && m >= 9 && m & 7 == 1
    let rows8 = pairs > 0 || single ? (nine ? m &- 9 : m / 8 &* 8) : 0
    var r0 = 0
    while r0 < rows8 {
        let rows = min(48, rows8 &- r0)  // as gemmPacked: A's block stays in cache while B passes
        for q in 0..<pairs {
            let kernel = narrow && q == pairs &- 1 ? kernel8x24EpilogueAVX512 : kernel8x32EpilogueAVX512
            var i = r0
            while i < r0 &+ rows {
                kernel(k, a + i &* lda, lda, packed + 2 &* q &* stride, stride, c + (i &* ldc &+ q &* 32), ldc,
                       bias + q &* 32, residual.map { $0 + (i &* ldr &+ q &* 32) }, ldr, lo, hi)
                i &+= 8
            }
        }
        if single {
            let q = pairs &* 32
            var i = r0
            while i < r0 &+ rows {
                kernel8x16EpilogueAVX512(k, a + i &* lda, lda, packed + pairs &* 2 &* stride, c + (i &* ldc &+ q), ldc,
                                         bias: bias + q, residual: residual.map { $0 + (i &* ldr &+ q) }, ldr: ldr, lo: lo, hi: hi)
                i &+= 8
            }
        }
        r0 &+= rows
    }
    if nine {
        let i = rows8
        for q in 0..<pairs {
            kernel9x32EpilogueAVX512(k, a + i &* lda, lda, packed + 2 &* q &* stride, stride, c + (i &* ldc &+ q &* 32), ldc,
                                     bias: bias + q &* 32, residual: residual.map { $0 + (i &* ldr &+ q &* 32) }, ldr: ldr,
                                     lo: lo, hi: hi)
        }
        if single {
            let q = pairs &* 32
            kernel9x16EpilogueAVX512(k, a + i &* lda, lda, packed + pairs &* 2 &* stride, c + (i &* ldc &+ q), ldc,
                                     bias: bias + q, residual: residual.map { $0 + (i &* ldr &+ q) }, ldr: ldr, lo: lo, hi: hi)
        }
    }
    let covered = nine ? m : rows8
    // The last m % 8 rows over the kernels' columns, then every row over the columns past them.
    let done = pairs &* 32 &+ (single ? 16 : 0)
    if covered < m && done > 0 {
        gemmPacked(m: m &- rows8, n: done, k: k, a: a + rows8 &* lda, lda: lda, packed: packed, c: c + rows8 &* ldc, ldc: ldc,
                   accumulate: false)
        nhwcEpilogue(c + rows8 &* ldc, ldc: ldc, rows: m &- rows8, cols: done, bias: bias,
                     residual: residual.map { $0 + rows8 &* ldr }, ldr: ldr, lo: lo, hi: hi)
    }
    if done < n {
        gemmPacked(m: m, n: n &- done, k: k, a: a, lda: lda, packed: packed + done &* k, c: c + done, ldc: ldc, accumulate: false)
        nhwcEpilogue(c + done, ldc: ldc, rows: m, cols: n &- done, bias: bias + done, residual: residual.map { $0 + done },
                     ldr: ldr, lo: lo, hi: hi)
    }
}

/// Strides of a 4-D activation in floats: image, channel, row, column. Channels-last buffers
/// have channel stride 1; the caller's NCHW input has column stride 1.
public struct ActivationStrides: Sendable, Equatable {
    public var n: Int, c: Int, y: Int, x: Int
    public init(n: Int, c: Int, y: Int, x: Int) { self.n = n; self.c = c; self.y = y; self.x = x }
}

/// A dense convolution's window: input channels and size, kernel, stride, padding (top, left),
/// dilation and output size.
public struct PatchGeometry: Sendable {
    public var c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int, oh: Int, ow: Int
    public init(c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int, oh: Int, ow: Int) {
        self.c = c; self.h = h; self.w = w; self.kh = kh; self.kw = kw; self.sh = sh; self.sw = sw
        self.ph = ph; self.pw = pw; self.dh = dh; self.dw = dw; self.oh = oh; self.ow = ow
    }
    /// Floats in one patch row: (ki, kj, channel), channel fastest.
    public var patch: Int { kh &* kw &* c }
}

/// Patch rows of output positions p0 ..< p0 + rows (positions counted over the batch,
/// image-major): row r holds, for each tap (ki, kj) and channel, the input value or 0 outside
/// the image, at dst + r * ld. Channels are copied as a run where the source is channels-last.
public func gatherPatchRows(_ x: UnsafePointer<Float>, _ s: ActivationStrides, _ g: PatchGeometry, p0: Int, rows: Int,
                            _ dst: UnsafeMutablePointer<Float>, ld: Int) {
    let plane = g.oh &* g.ow
    var img = p0 / plane, rest = p0 &- img &* plane, oy = rest / g.ow, ox = rest &- oy &* g.ow
    // Channels-last with unit dilation: a window row's kw taps are kw * c consecutive floats.
    let runs = s.c == 1 && s.x == g.c && g.dw == 1
    for r in 0..<rows {
        var d = dst + r &* ld
        let xi = x + img &* s.n
        let ix0 = ox &* g.sw &- g.pw
        let inside = ix0 >= 0 && ix0 &+ (g.kw &- 1) &* g.dw < g.w
        for ki in 0..<g.kh {
            let iy = oy &* g.sh &- g.ph &+ ki &* g.dh
            if iy < 0 || iy >= g.h {
                d.update(repeating: 0, count: g.kw &* g.c)
                d += g.kw &* g.c
                continue
            }
            let row = xi + iy &* s.y
            if runs && inside {
                copyShort(row + ix0 &* s.x, d, g.kw &* g.c)
                d += g.kw &* g.c
                continue
            }
            for kj in 0..<g.kw {
                let ix = ix0 &+ kj &* g.dw
                if ix < 0 || ix >= g.w {
                    d.update(repeating: 0, count: g.c)
                } else if s.c == 1 {
                    copyShort(row + ix &* s.x, d, g.c)
                } else {
                    let src = row + ix &* s.x
                    for ch in 0..<g.c { d[ch] = src[ch &* s.c] }
                }
                d += g.c
            }
        }
        ox &+= 1
        if ox == g.ow {
            ox = 0
            oy &+= 1
            if oy == g.oh { oy = 0; img &+= 1 }
        }
    }
}

/// Rows y0 ..< y0 + rows of one image of src (strides `s`, the caller's NCHW tensor) into the
/// channels-last dst [h * w, pitch] of that image (zeros past c): where rows are contiguous and
/// c a multiple of 8, 8 channels by 8 columns transposed in registers; else one channel's row
/// at a time, so the reads run along the source's rows.
public func toChannelsLast(_ src: UnsafePointer<Float>, _ s: ActivationStrides, c: Int, h: Int, w: Int, pitch: Int,
                           image: Int, rows y0: Int, count rows: Int, _ dst: UnsafeMutablePointer<Float>) {
    let di = dst + image &* h &* w &* pitch, si = src + image &* s.n
    for y in y0..<(y0 &+ rows) {
        let drow = di + y &* w &* pitch
        if s.x == 1 && c % 8 == 0 {
            transposeRowToChannelsLast(si + y &* s.y, planeStride: s.c, c: c, w: w, pitch: pitch, drow)
            continue
        }
        if pitch > c { for x in 0..<w { (drow + (x &* pitch &+ c)).update(repeating: 0, count: pitch &- c) } }
        for ch in 0..<c {
            let sr = si + (ch &* s.c &+ y &* s.y)
            var d = drow + ch
            for x in 0..<w {
                d.pointee = sr[x &* s.x]
                d += pitch
            }
        }
    }
}

/// dst[x * pitch + ch] = src[ch * planeStride + x] for x < w, ch < c (c a multiple of 8): one
/// row of an NCHW image channels-last (`planesToChannelsLast` over the row's w positions; it also
/// zeroes the channels c ..< pitch).
public func transposeRowToChannelsLast(_ src: UnsafePointer<Float>, planeStride: Int, c: Int, w: Int, pitch: Int,
                                       _ dst: UnsafeMutablePointer<Float>) {
    planesToChannelsLast(src, planeStride: planeStride, positions: w, c: c, pitch: pitch, dst)
}

/// dst[ch * planeStride + p] = src[p * pitch + ch] for p < positions, ch < c: channels-last
/// rows back onto channel planes, 8 positions by 8 channels transposed in registers; with
/// `accumulate`, added to dst (one add per element, as an element-by-element loop's).
public func transposeToPlanes(_ src: UnsafePointer<Float>, positions: Int, c: Int, pitch: Int,
                              _ dst: UnsafeMutablePointer<Float>, planeStride: Int, accumulate: Bool = false) {
    @inline(__always) func put(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) { store8(p, accumulate ? load8(p) + v : v) }
    var c0 = 0
    while c0 &+ 8 <= c {
        // positions p ..< p + 8 of channels c0 ..< c0 + 8, in registers
        @inline(__always) func block(_ p: Int) {
            #if arch(x86_64)
            // (the C transpose for plain copies: see CTranspose/transpose.h)
            if !accumulate {
                snn_transpose8x8(src + (p &* pitch &+ c0), pitch, dst + (c0 &* planeStride &+ p), planeStride)
                return
            }
            #endif
            let s = src + (p &* pitch &+ c0)
            var r0 = load8(s), r1 = load8(s + pitch), r2 = load8(s + 2 &* pitch), r3 = load8(s + 3 &* pitch)
            var r4 = load8(s + 4 &* pitch), r5 = load8(s + 5 &* pitch), r6 = load8(s + 6 &* pitch), r7 = load8(s + 7 &* pitch)
            transpose8x8(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7)
            let d = dst + (c0 &* planeStride &+ p)
            put(d, r0); put(d + planeStride, r1); put(d + 2 &* planeStride, r2); put(d + 3 &* planeStride, r3)
            put(d + 4 &* planeStride, r4); put(d + 5 &* planeStride, r5)
            put(d + 6 &* planeStride, r6); put(d + 7 &* planeStride, r7)
        }
        var p = 0
        while p &+ 8 <= positions {
            block(p)
            p &+= 8
        }
        if p < positions && positions >= 8 && !accumulate {
            // the last 8 positions as one more block, overlapping the previous one (the same
            // values written twice; not when accumulating, which would add them twice)
            block(positions &- 8)
            p = positions
        }
        while p < positions {
            for ch in c0..<(c0 &+ 8) { transposeOne(src, p, ch, pitch, dst, planeStride, accumulate) }
            p &+= 1
        }
        c0 &+= 8
    }
    for ch in c0..<max(c0, c) {
        for p in 0..<positions { transposeOne(src, p, ch, pitch, dst, planeStride, accumulate) }
    }
}

/// dst[p * pitch + ch] = src[ch * planeStride + p] for p < positions, ch < c, zeros in the
/// channels c ..< pitch: whole channel planes (contiguous positions) channels-last, the inverse
/// of `transposeToPlanes`. Eight planes at a time over all their positions, so the reads are 8
/// sequential streams; `toChannelsLast` goes row by row through every plane (576 streams for a
/// 14x14 image of 576 channels, each read a cache miss: 33% of a depthwise backward). The 8x8
/// blocks by the C transpose on x86-64 (CTranspose/transpose.h).
public func planesToChannelsLast(_ src: UnsafePointer<Float>, planeStride: Int, positions: Int, c: Int, pitch: Int,
                                 _ dst: UnsafeMutablePointer<Float>) {
    if pitch > c { for p in 0..<positions { (dst + (p &* pitch &+ c)).update(repeating: 0, count: pitch &- c) } }
    var c0 = 0
    while c0 &+ 8 <= c {
        let s = src + c0 &* planeStride
        @inline(__always) func block(_ p: Int) {
            #if arch(x86_64)
            snn_transpose8x8(s + p, planeStride, dst + (p &* pitch &+ c0), pitch)
            #else
            let q = s + p
            var r0 = load8(q), r1 = load8(q + planeStride), r2 = load8(q + 2 &* planeStride), r3 = load8(q + 3 &* planeStride)
            var r4 = load8(q + 4 &* planeStride), r5 = load8(q + 5 &* planeStride)
            var r6 = load8(q + 6 &* planeStride), r7 = load8(q + 7 &* planeStride)
            transpose8x8(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7)
            let d = dst + (p &* pitch &+ c0)
            store8(d, r0); store8(d + pitch, r1); store8(d + 2 &* pitch, r2); store8(d + 3 &* pitch, r3)
            store8(d + 4 &* pitch, r4); store8(d + 5 &* pitch, r5); store8(d + 6 &* pitch, r6); store8(d + 7 &* pitch, r7)
            #endif
        }
        var p = 0
        while p &+ 8 <= positions {
            block(p)
            p &+= 8
        }
        if p < positions && positions >= 8 {
            block(positions &- 8)  // overlapping the previous block: the same values again
            p = positions
        }
        while p < positions {
            for ch in c0..<(c0 &+ 8) { dst[p &* pitch &+ ch] = src[ch &* planeStride &+ p] }
            p &+= 1
        }
        c0 &+= 8
    }
    for ch in c0..<max(c0, c) {
        for p in 0..<positions { dst[p &* pitch &+ ch] = src[ch &* planeStride &+ p] }
    }
}

@inline(__always)
private func transposeOne(_ src: UnsafePointer<Float>, _ p: Int, _ ch: Int, _ pitch: Int, _ dst: UnsafeMutablePointer<Float>,
                          _ planeStride: Int, _ accumulate: Bool) {
    let v = src[p &* pitch &+ ch], at = ch &* planeStride &+ p
    dst[at] = accumulate ? dst[at] + v : v
}

/// dst [count, c, h, w] (NCHW, contiguous) from channels-last src [n * h * w, pitch], images
/// n0 ..< n0 + count (dst points at image n0).
public func fromChannelsLast(_ src: UnsafePointer<Float>, c: Int, h: Int, w: Int, pitch: Int, images n0: Int, count: Int,
                             _ dst: UnsafeMutablePointer<Float>) {
    let plane = h &* w
    for i in 0..<count {
        transposeToPlanes(src + (n0 &+ i) &* plane &* pitch, positions: plane, c: c, pitch: pitch, dst + i &* c &* plane,
                          planeStride: plane)
    }
}

/// out[img, :] = mean over the image's `plane` positions of src [positions, pitch], summed in
/// position order per channel.
public func channelsLastMean(_ src: UnsafePointer<Float>, plane: Int, pitch: Int, image: Int, _ out: UnsafeMutablePointer<Float>) {
    let s = src + image &* plane &* pitch, o = out + image &* pitch
    var c0 = 0
    while c0 < pitch {
        var acc = SIMD8<Float>()
        for p in 0..<plane { acc += load8(s + (p &* pitch &+ c0)) }
        store8(o + c0, acc / SIMD8<Float>(repeating: Float(plane)))
        c0 &+= 8
    }
}

/// dst[r, j] = clamp(a[r, j] + b[r, j]) over rows x cols (a multiple of 16), all with pitch ld.
public func channelsLastAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                            rows: Int, cols: Int, ld: Int, lo: Float, hi: Float) {
    if dst != a { for r in 0..<rows { (dst + r &* ld).update(from: a + r &* ld, count: cols) } }
    nhwcEpilogue(dst, ldc: ld, rows: rows, cols: cols, bias: nil, residual: b, ldr: ld, lo: lo, hi: hi)
}
