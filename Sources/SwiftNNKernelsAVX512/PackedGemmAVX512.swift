// AVX-512 micro-kernels for gemmPacked (SwiftNNKernels/PackedGemm.swift): rows times two
// 16-column panels, one zmm per panel row. This module alone is compiled for AVX-512
// (-target-cpu skylake-avx512); callers run it only where snn_cpu_has_avx512() says so.
//
// Why a second kernel set: on this project's Zen 4 VM the AVX2 6 x 16 kernel's times swing
// from minute to minute, while this 8 x 32 kernel, issuing half the instructions for the same
// FMAs, stays near its best. One worker's products of a 2-thread LSTM forward (16 rows, 100
// steps; `swift run -c release bench-kernels --threads 2`, both sets alternately): AVX2 best
// 11.5-11.9 ms, median 11.7-14.1, q90 13.0-15.1; AVX-512 best 10.8-11.1 ms (97% of the FMA
// peak), median 11.0-11.5, q90 11.4-12.2.

@inline(__always)
private func ld(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

/// Stores (or, accumulating, adds to C) one 32-wide row: C's old value is added after the
/// chain, as the AVX2 kernels do, so both kernel sets give the same bits.
@inline(__always)
private func emit(_ c: UnsafeMutablePointer<Float>, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ accumulate: Bool) {
    let p0 = UnsafeMutableRawPointer(c), p1 = UnsafeMutableRawPointer(c + 16)
    if accumulate {
        p0.storeBytes(of: p0.loadUnaligned(as: SIMD16<Float>.self) + v0, as: SIMD16<Float>.self)
        p1.storeBytes(of: p1.loadUnaligned(as: SIMD16<Float>.self) + v1, as: SIMD16<Float>.self)
    } else {
        p0.storeBytes(of: v0, as: SIMD16<Float>.self)
        p1.storeBytes(of: v1, as: SIMD16<Float>.self)
    }
}

/// C[8, 32] (+)= A[8, k] B[k, 32]: A[i, kk] at a[i * lda + kk * ka]; B's two full panels at b
/// and b + stride (packed k x 16 each); C row i at c + i * ldc. Each element is one FMA chain
/// over k in order, as in every gemmPacked kernel.
public func kernel8x32AVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ka: Int, _ b: UnsafePointer<Float>,
                             _ stride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>()
    var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>(), d3 = SIMD16<Float>()
    var d4 = SIMD16<Float>(), d5 = SIMD16<Float>(), d6 = SIMD16<Float>(), d7 = SIMD16<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda
    let b2 = b + stride
    var kk = 0, ak = 0
    while kk < k {
        let x = ld(b + kk &* 16), y = ld(b2 + kk &* 16)
        var s = SIMD16(repeating: a0[ak]); c0 = c0.addingProduct(s, x); d0 = d0.addingProduct(s, y)
        s = SIMD16(repeating: a1[ak]); c1 = c1.addingProduct(s, x); d1 = d1.addingProduct(s, y)
        s = SIMD16(repeating: a2[ak]); c2 = c2.addingProduct(s, x); d2 = d2.addingProduct(s, y)
        s = SIMD16(repeating: a3[ak]); c3 = c3.addingProduct(s, x); d3 = d3.addingProduct(s, y)
        s = SIMD16(repeating: a4[ak]); c4 = c4.addingProduct(s, x); d4 = d4.addingProduct(s, y)
        s = SIMD16(repeating: a5[ak]); c5 = c5.addingProduct(s, x); d5 = d5.addingProduct(s, y)
        s = SIMD16(repeating: a6[ak]); c6 = c6.addingProduct(s, x); d6 = d6.addingProduct(s, y)
        s = SIMD16(repeating: a7[ak]); c7 = c7.addingProduct(s, x); d7 = d7.addingProduct(s, y)
        kk &+= 1
        ak &+= ka
    }
    emit(c, c0, d0, accumulate)
    emit(c + ldc, c1, d1, accumulate)
    emit(c + 2 &* ldc, c2, d2, accumulate)
    emit(c + 3 &* ldc, c3, d3, accumulate)
    emit(c + 4 &* ldc, c4, d4, accumulate)
    emit(c + 5 &* ldc, c5, d5, accumulate)
    emit(c + 6 &* ldc, c6, d6, accumulate)
    emit(c + 7 &* ldc, c7, d7, accumulate)
}

/// As kernel8x32AVX512, for 4 rows (8 accumulators: still twice what hides the FMA latency).
public func kernel4x32AVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ka: Int, _ b: UnsafePointer<Float>,
                             _ stride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>(), d3 = SIMD16<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
    let b2 = b + stride
    var kk = 0, ak = 0
    while kk < k {
        let x = ld(b + kk &* 16), y = ld(b2 + kk &* 16)
        var s = SIMD16(repeating: a0[ak]); c0 = c0.addingProduct(s, x); d0 = d0.addingProduct(s, y)
        s = SIMD16(repeating: a1[ak]); c1 = c1.addingProduct(s, x); d1 = d1.addingProduct(s, y)
        s = SIMD16(repeating: a2[ak]); c2 = c2.addingProduct(s, x); d2 = d2.addingProduct(s, y)
        s = SIMD16(repeating: a3[ak]); c3 = c3.addingProduct(s, x); d3 = d3.addingProduct(s, y)
        kk &+= 1
        ak &+= ka
    }
    emit(c, c0, d0, accumulate)
    emit(c + ldc, c1, d1, accumulate)
    emit(c + 2 &* ldc, c2, d2, accumulate)
    emit(c + 3 &* ldc, c3, d3, accumulate)
}

/// As kernel8x32AVX512, for 2 rows.
public func kernel2x32AVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ka: Int, _ b: UnsafePointer<Float>,
                             _ stride: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), d0 = SIMD16<Float>(), d1 = SIMD16<Float>()
    let a0 = a, a1 = a0 + lda
    let b2 = b + stride
    var kk = 0, ak = 0
    while kk < k {
        let x = ld(b + kk &* 16), y = ld(b2 + kk &* 16)
        var s = SIMD16(repeating: a0[ak]); c0 = c0.addingProduct(s, x); d0 = d0.addingProduct(s, y)
        s = SIMD16(repeating: a1[ak]); c1 = c1.addingProduct(s, x); d1 = d1.addingProduct(s, y)
        kk &+= 1
        ak &+= ka
    }
    emit(c, c0, d0, accumulate)
    emit(c + ldc, c1, d1, accumulate)
}

/// As kernel8x32AVX512, for one row.
/// One row across four panel pairs (128 columns): eight FMA chains where kernel1x32AVX512 has
/// two, which wait on each FMA's latency. A batch-1 classifier (1 x 1280 times 1280 x 1000) is
/// all single rows; each element is the same chain as in the other kernels.
public func kernel1x128AVX512(_ k: Int, _ a: UnsafePointer<Float>, _ ka: Int, _ b: UnsafePointer<Float>, _ stride: Int,
                              _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
    var c0 = SIMD16<Float>(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0
    let b1 = b + stride, b2 = b1 + stride, b3 = b2 + stride, b4 = b3 + stride, b5 = b4 + stride, b6 = b5 + stride
    let b7 = b6 + stride
    var kk = 0, ak = 0
    while kk < k {
        let s = SIMD16(repeating: a[ak]), o = kk &* 16
        c0 = c0.addingProduct(s, ld(b + o)); c1 = c1.addingProduct(s, ld(b1 + o))
        c2 = c2.addingProduct(s, ld(b2 + o)); c3 = c3.addingProduct(s, ld(b3 + o))
        c4 = c4.addingProduct(s, ld(b4 + o)); c5 = c5.addingProduct(s, ld(b5 + o))
        c6 = c6.addingProduct(s, ld(b6 + o)); c7 = c7.addingProduct(s, ld(b7 + o))
        kk &+= 1
        ak &+= ka
    }
    emit(c, c0, c1, accumulate)
    emit(c + 32, c2, c3, accumulate)
    emit(c + 64, c4, c5, accumulate)
    emit(c + 96, c6, c7, accumulate)
}

public func kernel1x32AVX512(_ k: Int, _ a: UnsafePointer<Float>, _ ka: Int, _ b: UnsafePointer<Float>, _ stride: Int,
                             _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
    var c0 = SIMD16<Float>(), d0 = SIMD16<Float>()
    let b2 = b + stride
    var kk = 0, ak = 0
    while kk < k {
        let s = SIMD16(repeating: a[ak])
        c0 = c0.addingProduct(s, ld(b + kk &* 16))
        d0 = d0.addingProduct(s, ld(b2 + kk &* 16))
        kk &+= 1
        ak &+= ka
    }
    emit(c, c0, d0, accumulate)
}

/// Stores one 32-wide row after the inference plan's epilogue: clamp(v + bias + residual), in
/// nhwcEpilogueBody's order (bias, then residual, then the clamp), so the same bits as storing
/// v and running that pass over it.
// Transparent (inlined before optimization): as @inline(__always) the compiler inlined the
// first of the kernel's eight calls only, and passed the other seven their vectors in memory.
@_transparent
func emitEpilogue(_ c: UnsafeMutablePointer<Float>, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ b0: SIMD16<Float>,
                          _ b1: SIMD16<Float>, _ r: UnsafePointer<Float>, _ addR: Bool, _ l: SIMD16<Float>, _ h: SIMD16<Float>) {
    var x0 = v0 + b0, x1 = v1 + b1
    if addR { x0 += ld(r); x1 += ld(r + 16) }
    x0 = x0.replacing(with: l, where: x0 .< l).replacing(with: h, where: x0 .> h)
    x1 = x1.replacing(with: l, where: x1 .< l).replacing(with: h, where: x1 .> h)
    UnsafeMutableRawPointer(c).storeBytes(of: x0, as: SIMD16<Float>.self)
    UnsafeMutableRawPointer(c + 16).storeBytes(of: x1, as: SIMD16<Float>.self)
}

/// kernel8x32AVX512 (row-major A, not accumulating) with the plan's epilogue applied to the
/// accumulators before they are stored: C row i = clamp(A B + bias + residual row i) for the
/// tile's 32 columns (bias and residual start at the tile's first column; residual row i at
/// residual + i * ldr). The k loop is kernel8x32AVX512's; the bias and bounds are loaded after
/// it, so nothing more is live across it.
public func kernel8x32EpilogueAVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ stride: Int,
                                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, bias: UnsafePointer<Float>,
                                     residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>()
    var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>(), d3 = SIMD16<Float>()
    var d4 = SIMD16<Float>(), d5 = SIMD16<Float>(), d6 = SIMD16<Float>(), d7 = SIMD16<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda
    let b2 = b + stride
    var kk = 0
    while kk < k {
        let x = ld(b + kk &* 16), y = ld(b2 + kk &* 16)
        var s = SIMD16(repeating: a0[kk]); c0 = c0.addingProduct(s, x); d0 = d0.addingProduct(s, y)
        s = SIMD16(repeating: a1[kk]); c1 = c1.addingProduct(s, x); d1 = d1.addingProduct(s, y)
        s = SIMD16(repeating: a2[kk]); c2 = c2.addingProduct(s, x); d2 = d2.addingProduct(s, y)
        s = SIMD16(repeating: a3[kk]); c3 = c3.addingProduct(s, x); d3 = d3.addingProduct(s, y)
        s = SIMD16(repeating: a4[kk]); c4 = c4.addingProduct(s, x); d4 = d4.addingProduct(s, y)
        s = SIMD16(repeating: a5[kk]); c5 = c5.addingProduct(s, x); d5 = d5.addingProduct(s, y)
        s = SIMD16(repeating: a6[kk]); c6 = c6.addingProduct(s, x); d6 = d6.addingProduct(s, y)
        s = SIMD16(repeating: a7[kk]); c7 = c7.addingProduct(s, x); d7 = d7.addingProduct(s, y)
        kk &+= 1
    }
    let b0v = ld(bias), b1v = ld(bias + 16)
    let l = SIMD16<Float>(repeating: lo), h = SIMD16<Float>(repeating: hi)
    // Without a residual the bias stands in as a pointer that is never read.
    let addR = residual != nil, r = residual ?? bias, lr = addR ? ldr : 0
    emitEpilogue(c, c0, d0, b0v, b1v, r, addR, l, h)
    emitEpilogue(c + ldc, c1, d1, b0v, b1v, r + lr, addR, l, h)
    emitEpilogue(c + 2 &* ldc, c2, d2, b0v, b1v, r + 2 &* lr, addR, l, h)
    emitEpilogue(c + 3 &* ldc, c3, d3, b0v, b1v, r + 3 &* lr, addR, l, h)
    emitEpilogue(c + 4 &* ldc, c4, d4, b0v, b1v, r + 4 &* lr, addR, l, h)
    emitEpilogue(c + 5 &* ldc, c5, d5, b0v, b1v, r + 5 &* lr, addR, l, h)
    emitEpilogue(c + 6 &* ldc, c6, d6, b0v, b1v, r + 6 &* lr, addR, l, h)
    emitEpilogue(c + 7 &* ldc, c7, d7, b0v, b1v, r + 7 &* lr, addR, l, h)
}

/// kernel8x32EpilogueAVX512 for a pair whose last 8 columns are padding: 24 channels (and any
/// count 8 past a multiple of 32: 56, 88, ...) have a pitch 8 past their columns, and the
/// padding's weights and bias are zero. Those columns get no FMAs (the second panel's are 8
/// wide, half an FMA each on this machine's 256-bit units) and the epilogue of a zero
/// accumulator: +0, as the padding's chain of x * 0 gives for finite x, so the tile's bits are
/// the 8x32 kernel's.
public func kernel8x24EpilogueAVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ stride: Int,
                                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, bias: UnsafePointer<Float>,
                                     residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>()
    var d0 = SIMD8<Float>(), d1 = SIMD8<Float>(), d2 = SIMD8<Float>(), d3 = SIMD8<Float>()
    var d4 = SIMD8<Float>(), d5 = SIMD8<Float>(), d6 = SIMD8<Float>(), d7 = SIMD8<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda
    let b2 = b + stride
    var kk = 0
    while kk < k {
        let x = ld(b + kk &* 16), y = UnsafeRawPointer(b2 + kk &* 16).loadUnaligned(as: SIMD8<Float>.self)
        var s = SIMD16(repeating: a0[kk]); c0 = c0.addingProduct(s, x); d0 = d0.addingProduct(s.lowHalf, y)
        s = SIMD16(repeating: a1[kk]); c1 = c1.addingProduct(s, x); d1 = d1.addingProduct(s.lowHalf, y)
        s = SIMD16(repeating: a2[kk]); c2 = c2.addingProduct(s, x); d2 = d2.addingProduct(s.lowHalf, y)
        s = SIMD16(repeating: a3[kk]); c3 = c3.addingProduct(s, x); d3 = d3.addingProduct(s.lowHalf, y)
        s = SIMD16(repeating: a4[kk]); c4 = c4.addingProduct(s, x); d4 = d4.addingProduct(s.lowHalf, y)
        s = SIMD16(repeating: a5[kk]); c5 = c5.addingProduct(s, x); d5 = d5.addingProduct(s.lowHalf, y)
        s = SIMD16(repeating: a6[kk]); c6 = c6.addingProduct(s, x); d6 = d6.addingProduct(s.lowHalf, y)
        s = SIMD16(repeating: a7[kk]); c7 = c7.addingProduct(s, x); d7 = d7.addingProduct(s.lowHalf, y)
        kk &+= 1
    }
    let b0v = ld(bias), b1v = ld(bias + 16), z = SIMD8<Float>()
    let l = SIMD16<Float>(repeating: lo), h = SIMD16<Float>(repeating: hi)
    let addR = residual != nil, r = residual ?? bias, lr = addR ? ldr : 0
    emitEpilogue(c, c0, SIMD16(lowHalf: d0, highHalf: z), b0v, b1v, r, addR, l, h)
    emitEpilogue(c + ldc, c1, SIMD16(lowHalf: d1, highHalf: z), b0v, b1v, r + lr, addR, l, h)
    emitEpilogue(c + 2 &* ldc, c2, SIMD16(lowHalf: d2, highHalf: z), b0v, b1v, r + 2 &* lr, addR, l, h)
    emitEpilogue(c + 3 &* ldc, c3, SIMD16(lowHalf: d3, highHalf: z), b0v, b1v, r + 3 &* lr, addR, l, h)
    emitEpilogue(c + 4 &* ldc, c4, SIMD16(lowHalf: d4, highHalf: z), b0v, b1v, r + 4 &* lr, addR, l, h)
    emitEpilogue(c + 5 &* ldc, c5, SIMD16(lowHalf: d5, highHalf: z), b0v, b1v, r + 5 &* lr, addR, l, h)
    emitEpilogue(c + 6 &* ldc, c6, SIMD16(lowHalf: d6, highHalf: z), b0v, b1v, r + 6 &* lr, addR, l, h)
    emitEpilogue(c + 7 &* ldc, c7, SIMD16(lowHalf: d7, highHalf: z), b0v, b1v, r + 7 &* lr, addR, l, h)
}

/// kernel8x32EpilogueAVX512 for one 16-column panel: a layer whose padded width is an odd
/// number of panels (16 channels, or 144 = 4 pairs + 1) ends on one. The AVX2 kernels and a
/// separate epilogue pass ran those columns at 61 GFLOP/s on MobileNetV2's 112x112 32 -> 16
/// projection, this kernel at 100-106 (`bench-kernels --pointwise`): each FMA takes its A
/// element as an embedded broadcast and the tile is stored once. The same chains, bias,
/// residual and clamp as the other kernels.
public func kernel8x16EpilogueAVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, bias: UnsafePointer<Float>,
                                     residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda
    var kk = 0
    while kk < k {
        let x = ld(b + kk &* 16)
        c0 = c0.addingProduct(SIMD16(repeating: a0[kk]), x)
        c1 = c1.addingProduct(SIMD16(repeating: a1[kk]), x)
        c2 = c2.addingProduct(SIMD16(repeating: a2[kk]), x)
        c3 = c3.addingProduct(SIMD16(repeating: a3[kk]), x)
        c4 = c4.addingProduct(SIMD16(repeating: a4[kk]), x)
        c5 = c5.addingProduct(SIMD16(repeating: a5[kk]), x)
        c6 = c6.addingProduct(SIMD16(repeating: a6[kk]), x)
        c7 = c7.addingProduct(SIMD16(repeating: a7[kk]), x)
        kk &+= 1
    }
    let bv = ld(bias)
    let l = SIMD16<Float>(repeating: lo), h = SIMD16<Float>(repeating: hi)
    let addR = residual != nil, r = residual ?? bias, lr = addR ? ldr : 0
    emitEpilogue16(c, c0, bv, r, addR, l, h)
    emitEpilogue16(c + ldc, c1, bv, r + lr, addR, l, h)
    emitEpilogue16(c + 2 &* ldc, c2, bv, r + 2 &* lr, addR, l, h)
    emitEpilogue16(c + 3 &* ldc, c3, bv, r + 3 &* lr, addR, l, h)
    emitEpilogue16(c + 4 &* ldc, c4, bv, r + 4 &* lr, addR, l, h)
    emitEpilogue16(c + 5 &* ldc, c5, bv, r + 5 &* lr, addR, l, h)
    emitEpilogue16(c + 6 &* ldc, c6, bv, r + 6 &* lr, addR, l, h)
    emitEpilogue16(c + 7 &* ldc, c7, bv, r + 7 &* lr, addR, l, h)
}

/// kernel8x32EpilogueAVX512 over nine rows: a block of 8 t + 1 rows (MobileNetV2's 7x7 layers at
/// batch 1 have 49 positions, its 14x14 ones 196 in four blocks of 49) ends on eight rows plus
/// one, and that last row alone went through the one-row kernels, streaming B again at half the
/// FMA rate, and a separate epilogue pass: 49-row blocks ran at 100-110 GFLOP/s where 48-row
/// ones ran at 113-117 (`bench-kernels --pointwise --only 196 --block 49`). Here the ninth row
/// shares the eight rows' loads of B (18 accumulators, 2 vectors of B, 1 broadcast: 21 of the
/// 32 registers). The same chains, bias, residual and clamp as the other kernels.
public func kernel9x32EpilogueAVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ stride: Int,
                                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, bias: UnsafePointer<Float>,
                                     residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>(), c8 = SIMD16<Float>()
    var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>(), d3 = SIMD16<Float>()
    var d4 = SIMD16<Float>(), d5 = SIMD16<Float>(), d6 = SIMD16<Float>(), d7 = SIMD16<Float>(), d8 = SIMD16<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda
    let a8 = a7 + lda
    let b2 = b + stride
    var kk = 0
    while kk < k {
        let x = ld(b + kk &* 16), y = ld(b2 + kk &* 16)
        var s = SIMD16(repeating: a0[kk]); c0 = c0.addingProduct(s, x); d0 = d0.addingProduct(s, y)
        s = SIMD16(repeating: a1[kk]); c1 = c1.addingProduct(s, x); d1 = d1.addingProduct(s, y)
        s = SIMD16(repeating: a2[kk]); c2 = c2.addingProduct(s, x); d2 = d2.addingProduct(s, y)
        s = SIMD16(repeating: a3[kk]); c3 = c3.addingProduct(s, x); d3 = d3.addingProduct(s, y)
        s = SIMD16(repeating: a4[kk]); c4 = c4.addingProduct(s, x); d4 = d4.addingProduct(s, y)
        s = SIMD16(repeating: a5[kk]); c5 = c5.addingProduct(s, x); d5 = d5.addingProduct(s, y)
        s = SIMD16(repeating: a6[kk]); c6 = c6.addingProduct(s, x); d6 = d6.addingProduct(s, y)
        s = SIMD16(repeating: a7[kk]); c7 = c7.addingProduct(s, x); d7 = d7.addingProduct(s, y)
        s = SIMD16(repeating: a8[kk]); c8 = c8.addingProduct(s, x); d8 = d8.addingProduct(s, y)
        kk &+= 1
    }
    let b0v = ld(bias), b1v = ld(bias + 16)
    let l = SIMD16<Float>(repeating: lo), h = SIMD16<Float>(repeating: hi)
    let addR = residual != nil, r = residual ?? bias, lr = addR ? ldr : 0
    emitEpilogue(c, c0, d0, b0v, b1v, r, addR, l, h)
    emitEpilogue(c + ldc, c1, d1, b0v, b1v, r + lr, addR, l, h)
    emitEpilogue(c + 2 &* ldc, c2, d2, b0v, b1v, r + 2 &* lr, addR, l, h)
    emitEpilogue(c + 3 &* ldc, c3, d3, b0v, b1v, r + 3 &* lr, addR, l, h)
    emitEpilogue(c + 4 &* ldc, c4, d4, b0v, b1v, r + 4 &* lr, addR, l, h)
    emitEpilogue(c + 5 &* ldc, c5, d5, b0v, b1v, r + 5 &* lr, addR, l, h)
    emitEpilogue(c + 6 &* ldc, c6, d6, b0v, b1v, r + 6 &* lr, addR, l, h)
    emitEpilogue(c + 7 &* ldc, c7, d7, b0v, b1v, r + 7 &* lr, addR, l, h)
    emitEpilogue(c + 8 &* ldc, c8, d8, b0v, b1v, r + 8 &* lr, addR, l, h)
}

/// kernel8x16EpilogueAVX512 over nine rows, for the last single panel of a 9-row block.
public func kernel9x16EpilogueAVX512(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, bias: UnsafePointer<Float>,
                                     residual: UnsafePointer<Float>?, ldr: Int, lo: Float, hi: Float) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>(), c8 = SIMD16<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda
    let a8 = a7 + lda
    var kk = 0
    while kk < k {
        let x = ld(b + kk &* 16)
        c0 = c0.addingProduct(SIMD16(repeating: a0[kk]), x)
        c1 = c1.addingProduct(SIMD16(repeating: a1[kk]), x)
        c2 = c2.addingProduct(SIMD16(repeating: a2[kk]), x)
        c3 = c3.addingProduct(SIMD16(repeating: a3[kk]), x)
        c4 = c4.addingProduct(SIMD16(repeating: a4[kk]), x)
        c5 = c5.addingProduct(SIMD16(repeating: a5[kk]), x)
        c6 = c6.addingProduct(SIMD16(repeating: a6[kk]), x)
        c7 = c7.addingProduct(SIMD16(repeating: a7[kk]), x)
        c8 = c8.addingProduct(SIMD16(repeating: a8[kk]), x)
        kk &+= 1
    }
    let bv = ld(bias)
    let l = SIMD16<Float>(repeating: lo), h = SIMD16<Float>(repeating: hi)
    let addR = residual != nil, r = residual ?? bias, lr = addR ? ldr : 0
    emitEpilogue16(c, c0, bv, r, addR, l, h)
    emitEpilogue16(c + ldc, c1, bv, r + lr, addR, l, h)
    emitEpilogue16(c + 2 &* ldc, c2, bv, r + 2 &* lr, addR, l, h)
    emitEpilogue16(c + 3 &* ldc, c3, bv, r + 3 &* lr, addR, l, h)
    emitEpilogue16(c + 4 &* ldc, c4, bv, r + 4 &* lr, addR, l, h)
    emitEpilogue16(c + 5 &* ldc, c5, bv, r + 5 &* lr, addR, l, h)
    emitEpilogue16(c + 6 &* ldc, c6, bv, r + 6 &* lr, addR, l, h)
    emitEpilogue16(c + 7 &* ldc, c7, bv, r + 7 &* lr, addR, l, h)
    emitEpilogue16(c + 8 &* ldc, c8, bv, r + 8 &* lr, addR, l, h)
}

/// emitEpilogue for one 16-wide vector.
@_transparent
func emitEpilogue16(_ c: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>, _ b: SIMD16<Float>, _ r: UnsafePointer<Float>,
                    _ addR: Bool, _ l: SIMD16<Float>, _ h: SIMD16<Float>) {
    var x = v + b
    if addR { x += ld(r) }
    x = x.replacing(with: l, where: x .< l).replacing(with: h, where: x .> h)
    UnsafeMutableRawPointer(c).storeBytes(of: x, as: SIMD16<Float>.self)
}
