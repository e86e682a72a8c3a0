// The inference plan's direct convolution (SwiftNNKernelsAVX512/DirectConvBody.swift) against
// the patch-row path it replaces for few input channels (gatherPatchRows, the packed GEMM and
// its epilogue): the same bits, on AVX-512 and on AVX2, from channels-last or planar (NCHW)
// input, over odd sizes, padding, strides, dilation, a residual and output channels that fill
// one panel, a pair, or a pair and one.
import Testing
import SwiftNNKernels

private struct Case {
    var c: Int, h: Int, w: Int, k: Int, kh: Int, kw: Int, stride: Int, pad: Int, dilation: Int, residual: Bool
}

private func values(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Float(Int(s % 2001) - 1000) / 1000
    }
}

/// Outputs of one image through both paths, as (direct, patch rows).
private func run(_ t: Case, avx512: Bool, nchw: Bool = false) -> ([Float], [Float]) {
    let oh = (t.h + 2 * t.pad - t.dilation * (t.kh - 1) - 1) / t.stride + 1
    let ow = (t.w + 2 * t.pad - t.dilation * (t.kw - 1) - 1) / t.stride + 1
    let pitch = (t.k + 15) / 16 * 16, patch = t.kh * t.kw * t.c
    let x = values(t.h * t.w * t.c, seed: 1), wt = values(t.k * patch, seed: 2)
    var bias = values(t.k, seed: 3) + [Float](repeating: 0, count: pitch - t.k)
    let res = values(oh * ow * pitch, seed: 4)
    var packed = [Float](repeating: 0, count: packedPanelsCount(k: patch, n: t.k))
    packed.withUnsafeMutableBufferPointer { d in
        wt.withUnsafeBufferPointer { packPanels(d.baseAddress!, $0.baseAddress!, ldw: patch, transposed: true, k: patch, c0: 0, n: t.k) }
    }
    let g = PatchGeometry(c: t.c, h: t.h, w: t.w, kh: t.kh, kw: t.kw, sh: t.stride, sw: t.stride, ph: t.pad, pw: t.pad,
                          dh: t.dilation, dw: t.dilation, oh: oh, ow: ow)
    // The direct kernel reads the image channels-last or, with `nchw`, the same values planar.
    let d = DirectConvGeometry(c: t.c, h: t.h, w: t.w, kh: t.kh, kw: t.kw, sh: t.stride, sw: t.stride, ph: t.pad, pw: t.pad,
                               dh: t.dilation, dw: t.dilation, rowStride: nchw ? t.w : t.w * t.c, positionStride: nchw ? 1 : t.c,
                               channelStride: nchw ? t.h * t.w : 1, ow: ow, ldc: pitch)
    var planar = x
    for p in 0..<(t.h * t.w) { for ch in 0..<t.c { planar[ch * t.h * t.w + p] = x[p * t.c + ch] } }
    var direct = [Float](repeating: .nan, count: oh * ow * pitch), gathered = direct
    var rows = [Float](repeating: 0, count: ow * patch)
    let saved = PackedGemmKernels.useAVX512
    PackedGemmKernels.useAVX512 = avx512 && PackedGemmKernels.avx512Supported
    defer { PackedGemmKernels.useAVX512 = saved }
    let s = ActivationStrides(n: t.h * t.w * t.c, c: 1, y: t.w * t.c, x: t.c)
    x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { wp in bias.withUnsafeMutableBufferPointer { bp in
        res.withUnsafeBufferPointer { rp in
            for oy in 0..<oh {
                let r = t.residual ? rp.baseAddress! + oy * ow * pitch : nil
                direct.withUnsafeMutableBufferPointer { o in
                    planar.withUnsafeBufferPointer { pl in
                        directConvRow(nchw ? pl.baseAddress! : xp.baseAddress!, d, oy: oy, wp.baseAddress!, cols: pitch, bp.baseAddress!,
                                      residual: r, o.baseAddress! + oy * ow * pitch, lo: -0.5, hi: 6)
                    }
                }
                gathered.withUnsafeMutableBufferPointer { o in
                    rows.withUnsafeMutableBufferPointer { rb in
                        let tile = o.baseAddress! + oy * ow * pitch
                        gatherPatchRows(xp.baseAddress!, s, g, p0: oy * ow, rows: ow, rb.baseAddress!, ld: patch)
                        gemmPacked(m: ow, n: pitch, k: patch, a: rb.baseAddress!, lda: patch, packed: wp.baseAddress!, c: tile, ldc: pitch,
                                   accumulate: false)
                        nhwcEpilogue(tile, ldc: pitch, rows: ow, cols: pitch, bias: bp.baseAddress!, residual: r, ldr: pitch, lo: -0.5, hi: 6)
                    }
                }
            }
        }
    } } }
    return (direct, gathered)
}

@Test func directConvolutionGivesThePatchRowBits() {
    let cases = [
        Case(c: 3, h: 37, w: 41, k: 32, kh: 3, kw: 3, stride: 2, pad: 1, dilation: 1, residual: false),   // a stem, 2 panels
        Case(c: 3, h: 19, w: 23, k: 24, kh: 3, kw: 3, stride: 1, pad: 1, dilation: 1, residual: true),    // 24 of 32 columns
        Case(c: 4, h: 30, w: 30, k: 48, kh: 8, kw: 8, stride: 4, pad: 0, dilation: 1, residual: false),   // DQN's first layer, 3 panels
        Case(c: 1, h: 16, w: 29, k: 16, kh: 5, kw: 3, stride: 1, pad: 2, dilation: 2, residual: true),    // dilated, one panel
        Case(c: 2, h: 9, w: 7, k: 40, kh: 3, kw: 3, stride: 2, pad: 1, dilation: 1, residual: false),     // fewer than 8 interior outputs
        Case(c: 3, h: 12, w: 60, k: 64, kh: 7, kw: 7, stride: 2, pad: 3, dilation: 1, residual: false),   // a 7x7/2 stem
    ]
    for t in cases {
        let (a, b) = run(t, avx512: true)
        let (c, d) = run(t, avx512: false)
        let (e, _) = run(t, avx512: true, nchw: true)
        var wrong = 0
        for i in a.indices where [b[i], c[i], d[i], e[i]].contains(where: { $0.bitPattern != a[i].bitPattern }) { wrong += 1 }
        #expect(wrong == 0, "\(t): \(wrong) of \(a.count) outputs differ")
        #expect(!a.contains { $0.isNaN }, "\(t): an output was not written")
    }
}
