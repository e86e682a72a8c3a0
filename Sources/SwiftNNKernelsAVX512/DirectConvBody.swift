// A dense convolution with few input channels (an RGB stem, a stack of 4 Atari frames) straight
// from the channels-last image, for the inference plan: eight output positions by 32 output
// channels a block, each input value broadcast from the image itself. Through patch rows, the
// stem's every output position first copied its 27 values (three runs of 9 floats) into a row
// buffer: at MobileNetV2's 112x112x32 stem that gather cost as much as its GEMM, and the step ran
// at 0.6-0.74x onnxruntime's.
//
// Each output is the chain the patch-row GEMM computes: zero, then one FMA per patch element in
// (ki, kj, channel) order, then bias, residual and clamp as nhwcEpilogueBody adds them. Taps in
// the padding are skipped rather than multiplied by zero, which changes no bits: a chain that
// starts at +0 never holds -0 (an exact cancellation rounds to +0), and acc + 0 * w = acc for
// any other acc. So the direct and patch-row paths give the same bits, as do the AVX-512 and the
// AVX2 instance of this @inlinable body.

/// Where a direct convolution reads and writes: one image [h, w] of c channels, channel ci of
/// position (y, x) at y * rowStride + x * positionStride + ci * channelStride (channels-last:
/// the pitch, then 1; the caller's NCHW input: 1, then h * w), a kh x kw window with stride,
/// padding (top, left) and dilation, and output rows of `ow` positions `ldc` floats apart.
public struct DirectConvGeometry: Sendable {
    public var c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int
    public var rowStride: Int, positionStride: Int, channelStride: Int, ow: Int, ldc: Int
    public init(c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int,
                rowStride: Int, positionStride: Int, channelStride: Int, ow: Int, ldc: Int) {
        self.c = c; self.h = h; self.w = w; self.kh = kh; self.kw = kw; self.sh = sh; self.sw = sw
        self.ph = ph; self.pw = pw; self.dh = dh; self.dw = dw
        self.rowStride = rowStride; self.positionStride = positionStride; self.channelStride = channelStride
        self.ow = ow; self.ldc = ldc
    }
    /// Floats of one patch: (ki, kj, channel), channel fastest.
    public var patch: Int { kh &* kw &* c }
}

/// One output row's constants, shared by the blocks below. The blocks are top-level functions
/// rather than nested ones: nested in the row function, the compiler split their 512-bit
/// vectors into 256-bit halves and spilled them (the stem ran 1.7x slower).
@usableFromInline
struct DirectRow {
    @usableFromInline let x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>
    @usableFromInline let residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>
    @usableFromInline let g: DirectConvGeometry
    @usableFromInline let iy0: Int, kiLo: Int, kiHi: Int, rowStride: Int, xStep: Int, panel: Int
    @usableFromInline let lo: SIMD16<Float>, hi: SIMD16<Float>

    @inlinable @inline(__always)
    init(_ x: UnsafePointer<Float>, _ g: DirectConvGeometry, oy: Int, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
         _ residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, lo: Float, hi: Float) {
        self.x = x; self.g = g; self.w = w; self.bias = bias; self.residual = residual; self.out = out
        let iy0 = oy &* g.sh &- g.ph
        var kiLo = 0, kiHi = g.kh
        while kiLo < g.kh && iy0 &+ kiLo &* g.dh < 0 { kiLo &+= 1 }
        while kiHi > kiLo && iy0 &+ (kiHi &- 1) &* g.dh >= g.h { kiHi &-= 1 }
        self.iy0 = iy0; self.kiLo = kiLo; self.kiHi = kiHi
        rowStride = g.rowStride; xStep = g.sw &* g.positionStride; panel = g.patch &* 16
        self.lo = SIMD16(repeating: lo); self.hi = SIMD16(repeating: hi)
    }

    /// Bias, residual and clamp of one output vector (output ox, columns from col).
    @inlinable @inline(__always)
    func emit(_ acc: SIMD16<Float>, _ ox: Int, _ col: Int) {
        let at = ox &* g.ldc &+ col
        var v = acc + nhwcLoad(bias + col)
        if let residual { v += nhwcLoad(residual + at) }
        nhwcStore(out + at, v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi))
    }
}

/// One output, panel q, the taps outside the image skipped.
@inlinable @inline(__always)
func directSingle(_ r: DirectRow, _ ox: Int, _ q: Int) {
    let g = r.g, ix0 = ox &* g.sw &- g.pw, wq = r.w + q &* r.panel
    var acc = SIMD16<Float>()
    var ki = r.kiLo
    while ki < r.kiHi {
        let row = r.x + (r.iy0 &+ ki &* g.dh) &* r.rowStride
        var kj = 0
        while kj < g.kw {
            let ix = ix0 &+ kj &* g.dw
            if ix >= 0 && ix < g.w {
                let p = (ki &* g.kw &+ kj) &* g.c, at = row + ix &* g.positionStride
                var ch = 0
                while ch < g.c {
                    acc = acc.addingProduct(SIMD16(repeating: at[ch &* g.channelStride]), nhwcLoad(wq + (p &+ ch) &* 16))
                    ch &+= 1
                }
            }
            kj &+= 1
        }
        ki &+= 1
    }
    r.emit(acc, ox, q &* 16)
}

/// Eight interior outputs from ox, panels q and q + 1: 16 chains in flight, each weight vector
/// used eight times and each input value twice.
@inlinable @inline(__always)
func directEightByTwo(_ r: DirectRow, _ ox: Int, _ q: Int) {
    let g = r.g, xs = r.xStep
    var c0 = SIMD16<Float>(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0
    var d0 = c0, d1 = c0, d2 = c0, d3 = c0, d4 = c0, d5 = c0, d6 = c0, d7 = c0
    let b0 = r.w + q &* r.panel, b1 = b0 + r.panel
    var ki = r.kiLo
    while ki < r.kiHi {
        let base = r.x + ((r.iy0 &+ ki &* g.dh) &* r.rowStride &+ (ox &* g.sw &- g.pw) &* g.positionStride)
        var kj = 0
        while kj < g.kw {
            let p = (ki &* g.kw &+ kj) &* g.c, at = base + kj &* g.dw &* g.positionStride
            var ch = 0
            while ch < g.c {
                let u = nhwcLoad(b0 + (p &+ ch) &* 16), v = nhwcLoad(b1 + (p &+ ch) &* 16), a = at + ch &* g.channelStride
                var s = SIMD16(repeating: a[0]); c0 = c0.addingProduct(s, u); d0 = d0.addingProduct(s, v)
                s = SIMD16(repeating: a[xs]); c1 = c1.addingProduct(s, u); d1 = d1.addingProduct(s, v)
                s = SIMD16(repeating: a[2 &* xs]); c2 = c2.addingProduct(s, u); d2 = d2.addingProduct(s, v)
                s = SIMD16(repeating: a[3 &* xs]); c3 = c3.addingProduct(s, u); d3 = d3.addingProduct(s, v)
                s = SIMD16(repeating: a[4 &* xs]); c4 = c4.addingProduct(s, u); d4 = d4.addingProduct(s, v)
                s = SIMD16(repeating: a[5 &* xs]); c5 = c5.addingProduct(s, u); d5 = d5.addingProduct(s, v)
                s = SIMD16(repeating: a[6 &* xs]); c6 = c6.addingProduct(s, u); d6 = d6.addingProduct(s, v)
                s = SIMD16(repeating: a[7 &* xs]); c7 = c7.addingProduct(s, u); d7 = d7.addingProduct(s, v)
                ch &+= 1
            }
            kj &+= 1
        }
        ki &+= 1
    }
    let col = q &* 16
    r.emit(c0, ox, col); r.emit(c1, ox &+ 1, col); r.emit(c2, ox &+ 2, col); r.emit(c3, ox &+ 3, col)
    r.emit(c4, ox &+ 4, col); r.emit(c5, ox &+ 5, col); r.emit(c6, ox &+ 6, col); r.emit(c7, ox &+ 7, col)
    r.emit(d0, ox, col &+ 16); r.emit(d1, ox &+ 1, col &+ 16); r.emit(d2, ox &+ 2, col &+ 16); r.emit(d3, ox &+ 3, col &+ 16)
    r.emit(d4, ox &+ 4, col &+ 16); r.emit(d5, ox &+ 5, col &+ 16); r.emit(d6, ox &+ 6, col &+ 16); r.emit(d7, ox &+ 7, col &+ 16)
}

/// Eight interior outputs from ox, panel q. The loop nest repeats directEightByTwo's rather
/// than sharing it through a closure: the accumulators must stay in registers, and local
/// functions here got their vectors split into halves and spilled (see DirectRow).
@inlinable @inline(__always)
func directEightByOne(_ r: DirectRow, _ ox: Int, _ q: Int) {
    let g = r.g, xs = r.xStep
    var c0 = SIMD16<Float>(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0
    let b0 = r.w + q &* r.panel
    var ki = r.kiLo
    while ki < r.kiHi {
        let base = r.x + ((r.iy0 &+ ki &* g.dh) &* r.rowStride &+ (ox &* g.sw &- g.pw) &* g.positionStride)
        var kj = 0
        while kj < g.kw {
            let p = (ki &* g.kw &+ kj) &* g.c, at = base + kj &* g.dw &* g.positionStride
            var ch = 0
            while ch < g.c {
                let u = nhwcLoad(b0 + (p &+ ch) &* 16), a = at + ch &* g.channelStride
                c0 = c0.addingProduct(SIMD16(repeating: a[0]), u)
                c1 = c1.addingProduct(SIMD16(repeating: a[xs]), u)
                c2 = c2.addingProduct(SIMD16(repeating: a[2 &* xs]), u)
                c3 = c3.addingProduct(SIMD16(repeating: a[3 &* xs]), u)
                c4 = c4.addingProduct(SIMD16(repeating: a[4 &* xs]), u)
                c5 = c5.addingProduct(SIMD16(repeating: a[5 &* xs]), u)
                c6 = c6.addingProduct(SIMD16(repeating: a[6 &* xs]), u)
                c7 = c7.addingProduct(SIMD16(repeating: a[7 &* xs]), u)
                ch &+= 1
            }
            kj &+= 1
        }
        ki &+= 1
    }
    let col = q &* 16
    r.emit(c0, ox, col); r.emit(c1, ox &+ 1, col); r.emit(c2, ox &+ 2, col); r.emit(c3, ox &+ 3, col)
    r.emit(c4, ox &+ 4, col); r.emit(c5, ox &+ 5, col); r.emit(c6, ox &+ 6, col); r.emit(c7, ox &+ 7, col)
}

/// Four interior outputs from ox, panels q and q + 1 (a row's last 4 when 8-blocks leave them:
/// the DQN's 20-wide rows are 8 + 8 + 4, where an 8-block over the last 8 recomputed 4 of 24).
/// The loop nest is directEightByTwo's, repeated for the reason directEightByOne gives.
@inlinable @inline(__always)
func directFourByTwo(_ r: DirectRow, _ ox: Int, _ q: Int) {
    let g = r.g, xs = r.xStep
    var c0 = SIMD16<Float>(), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0
    let b0 = r.w + q &* r.panel, b1 = b0 + r.panel
    var ki = r.kiLo
    while ki < r.kiHi {
        let base = r.x + ((r.iy0 &+ ki &* g.dh) &* r.rowStride &+ (ox &* g.sw &- g.pw) &* g.positionStride)
        var kj = 0
        while kj < g.kw {
            let p = (ki &* g.kw &+ kj) &* g.c, at = base + kj &* g.dw &* g.positionStride
            var ch = 0
            while ch < g.c {
                let u = nhwcLoad(b0 + (p &+ ch) &* 16), v = nhwcLoad(b1 + (p &+ ch) &* 16), a = at + ch &* g.channelStride
                var s = SIMD16(repeating: a[0]); c0 = c0.addingProduct(s, u); d0 = d0.addingProduct(s, v)
                s = SIMD16(repeating: a[xs]); c1 = c1.addingProduct(s, u); d1 = d1.addingProduct(s, v)
                s = SIMD16(repeating: a[2 &* xs]); c2 = c2.addingProduct(s, u); d2 = d2.addingProduct(s, v)
                s = SIMD16(repeating: a[3 &* xs]); c3 = c3.addingProduct(s, u); d3 = d3.addingProduct(s, v)
                ch &+= 1
            }
            kj &+= 1
        }
        ki &+= 1
    }
    let col = q &* 16
    r.emit(c0, ox, col); r.emit(c1, ox &+ 1, col); r.emit(c2, ox &+ 2, col); r.emit(c3, ox &+ 3, col)
    r.emit(d0, ox, col &+ 16); r.emit(d1, ox &+ 1, col &+ 16); r.emit(d2, ox &+ 2, col &+ 16); r.emit(d3, ox &+ 3, col &+ 16)
}

/// Four interior outputs from ox, panel q.
@inlinable @inline(__always)
func directFourByOne(_ r: DirectRow, _ ox: Int, _ q: Int) {
    let g = r.g, xs = r.xStep
    var c0 = SIMD16<Float>(), c1 = c0, c2 = c0, c3 = c0
    let b0 = r.w + q &* r.panel
    var ki = r.kiLo
    while ki < r.kiHi {
        let base = r.x + ((r.iy0 &+ ki &* g.dh) &* r.rowStride &+ (ox &* g.sw &- g.pw) &* g.positionStride)
        var kj = 0
        while kj < g.kw {
            let p = (ki &* g.kw &+ kj) &* g.c, at = base + kj &* g.dw &* g.positionStride
            var ch = 0
            while ch < g.c {
                let u = nhwcLoad(b0 + (p &+ ch) &* 16), a = at + ch &* g.channelStride
                c0 = c0.addingProduct(SIMD16(repeating: a[0]), u)
                c1 = c1.addingProduct(SIMD16(repeating: a[xs]), u)
                c2 = c2.addingProduct(SIMD16(repeating: a[2 &* xs]), u)
                c3 = c3.addingProduct(SIMD16(repeating: a[3 &* xs]), u)
                ch &+= 1
            }
            kj &+= 1
        }
        ki &+= 1
    }
    let col = q &* 16
    r.emit(c0, ox, col); r.emit(c1, ox &+ 1, col); r.emit(c2, ox &+ 2, col); r.emit(c3, ox &+ 3, col)
}

/// Output row `oy`: out[x, n] = clamp(sum over the patch of in * w + bias[n] + residual[x, n])
/// for n < cols (a multiple of 16). Weights as the GEMM's packed panels: 16 columns each,
/// `patch` rows, panel q at w + q * patch * 16. The residual row, when given, is [ow, ldc].
@inlinable @inline(__always)
public func directConvRowBody(_ x: UnsafePointer<Float>, _ g: DirectConvGeometry, oy: Int, _ w: UnsafePointer<Float>, cols: Int,
                              _ bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>,
                              lo: Float, hi: Float) {
    let r = DirectRow(x, g, oy: oy, w, bias, residual, out, lo: lo, hi: hi)
    // Outputs whose every column tap is inside the image (as depthwiseNHWCRowBody).
    let oxLo = min(g.ow, (g.pw &+ g.sw &- 1) / g.sw)
    let lastStart = g.w &- 1 &- (g.kw &- 1) &* g.dw &+ g.pw
    let oxHi = lastStart < 0 ? oxLo : max(oxLo, min(g.ow, lastStart / g.sw &+ 1))
    let blocks = cols / 16
    var ox = 0
    while ox < oxLo {
        for q in 0..<blocks { directSingle(r, ox, q) }
        ox &+= 1
    }
    if oxHi &- oxLo >= 4 {
        while ox < oxHi {
            // Blocks of 8, then of 4 where at most 4 remain; the last block ends at oxHi,
            // recomputing some outputs with the same chains.
            let four = oxHi &- ox <= 4 || oxHi &- oxLo < 8
            let start = min(ox, oxHi &- (four ? 4 : 8))
            var q = 0
            if four {
                while q &+ 2 <= blocks { directFourByTwo(r, start, q); q &+= 2 }
                if q < blocks { directFourByOne(r, start, q) }
                ox = start &+ 4
            } else {
                while q &+ 2 <= blocks { directEightByTwo(r, start, q); q &+= 2 }
                if q < blocks { directEightByOne(r, start, q) }
                ox = start &+ 8
            }
        }
    }
    while ox < g.ow {
        for q in 0..<blocks { directSingle(r, ox, q) }
        ox &+= 1
    }
}

/// The AVX-512 instance (this module is compiled for AVX-512; callers check the CPU).
public func directConvRowAVX512(_ x: UnsafePointer<Float>, _ g: DirectConvGeometry, oy: Int, _ w: UnsafePointer<Float>, cols: Int,
                                _ bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>,
                                lo: Float, hi: Float) {
    directConvRowBody(x, g, oy: oy, w, cols: cols, bias, residual: residual, out, lo: lo, hi: hi)
}
