// The direct depthwise convolution's kernels on NCHW planes: one inlinable source each in
// SwiftNNKernelsAVX512/DepthwisePhaseBodies.swift (the layout is explained there), run as
// AVX-512 where the CPU has it and as this module's AVX2 copy elsewhere, with the same bits.
import SwiftNNKernelsAVX512
#if arch(x86_64)
import CDepthwise
#endif

/// dst: the [h, w] plane src zero-padded and split into sh x sw stride phases of rows x cols,
/// then 16 zero floats (sh * sw * rows * cols + 16 floats written).
public func depthwisePhases(_ src: UnsafePointer<Float>, h: Int, w: Int, padH: Int, padW: Int, sh: Int, sw: Int,
                            rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        return depthwisePhasesAVX512(src, h: h, w: w, padH: padH, padW: padW, sh: sh, sw: sw, rows: rows, cols: cols, dst)
    }
    depthwisePhasesBody(src, h: h, w: w, padH: padH, padW: padW, sh: sh, sw: sw, rows: rows, cols: cols, dst)
}

/// dst [h, w] = the interior of the phased plane src (the inverse view of `depthwisePhases`).
public func depthwiseUnphase(_ src: UnsafePointer<Float>, h: Int, w: Int, padH: Int, padW: Int, sh: Int, sw: Int,
                             rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        return depthwiseUnphaseAVX512(src, h: h, w: w, padH: padH, padW: padW, sh: sh, sw: sw, rows: rows, cols: cols, dst)
    }
    depthwiseUnphaseBody(src, h: h, w: w, padH: padH, padW: padW, sh: sh, sw: sw, rows: rows, cols: cols, dst)
}

/// out[i] = initial + sum over t of weights[t] * base[offsets[t] + i], i < count (taps in order).
public func depthwiseGather(_ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ weights: UnsafePointer<Float>,
                            taps: Int, count: Int, initial: Float, _ out: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        return depthwiseGatherAVX512(base, offsets, weights, taps: taps, count: count, initial: initial, out)
    }
    depthwiseGatherBody(base, offsets, weights, taps: taps, count: count, initial: initial, out)
}

/// acc[t * 16 + l] += sum over i < count (a multiple of 16), i mod 16 = l, of g[i] * base[offsets[t] + i].
public func depthwiseWeightGradient(_ g: UnsafePointer<Float>, _ base: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
                                    taps: Int, count: Int, _ acc: UnsafeMutablePointer<Float>) {
    if PackedGemmKernels.useAVX512 {
        return depthwiseWeightGradientAVX512(g, base, offsets, taps: taps, count: count, acc)
    }
    depthwiseWeightGradientBody(g, base, offsets, taps: taps, count: count, acc)
}

/// dst [rows, count] = the first `count` floats of each of `rows` rows of src, rows `pitch`
/// apart: a flat output run back to a dense plane.
public func compactRows(_ src: UnsafePointer<Float>, pitch: Int, rows: Int, count: Int, _ dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows { phaseCopy(src + r &* pitch, dst + r &* count, count) }
}

/// The inverse of `compactRows`: row r of the dense [rows, count] src to dst + r * pitch (the
/// floats between rows are left as they are).
public func spreadRows(_ src: UnsafePointer<Float>, pitch: Int, rows: Int, count: Int, _ dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows { phaseCopy(src + r &* count, dst + r &* pitch, count) }
}


public typealias DepthwiseRowsGeometry = SwiftNNKernelsAVX512.DepthwiseRowsGeometry

/// out [oh, ow] = initial + the taps over the plane x, read in place by output rows (see
/// SwiftNNKernelsAVX512/DepthwiseRowBodies.swift); x must have `g.margin` readable floats on
/// either side, and `zeros` at least w + 2 * margin zero floats (passed at their middle).
public func depthwiseRows(_ x: UnsafePointer<Float>, _ g: DepthwiseRowsGeometry, _ weights: UnsafePointer<Float>,
                          initial: Float, zeros: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
    #if arch(x86_64)
    // 3x3 at stride 1 (the forward, and the input gradient's taps walked backwards): four or
    // five rows a pass sharing each input row's loads (CDepthwise/depthwise_rows.h), the same bits.
    if PackedGemmKernels.useAVX512 && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1
        && abs(g.rowStep) == 1 && abs(g.colStep) == 1 {
        return snn_depthwise_rows3x3_s1(x, g.h, g.w, g.oh, g.ow, g.rowStep, g.colStep, g.rowOrigin, g.colOrigin,
                                        weights, initial, out)
    }
    #endif
    if PackedGemmKernels.useAVX512 { return depthwiseRowsAVX512(x, g, weights, initial: initial, zeros: zeros, out) }
    depthwiseRowsBody(x, g, weights, initial: initial, zeros: zeros, out)
}


/// acc [9, 16] += the 3x3 weight gradient lanes of one plane by output rows (see
/// SwiftNNKernelsAVX512/DepthwiseRowBodies.swift); g is the forward's geometry.
public func depthwiseRowsWeightGradient(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ g: DepthwiseRowsGeometry,
                                        zeros: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Float>) {
    #if arch(x86_64)
    // 3x3 at stride 1: each input row's loads shared by the rows that read it (the same bits).
    if PackedGemmKernels.useAVX512 && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.rowStep == 1 && g.colStep == 1 {
        return snn_depthwise_rows3x3_s1_weight_gradient(gout, x, g.h, g.w, g.oh, g.ow, g.rowOrigin, g.colOrigin, acc)
    }
    #endif
    if PackedGemmKernels.useAVX512 { return depthwiseRowsWeightGradientAVX512(gout, x, g, zeros: zeros, acc) }
    depthwiseRowsWeightGradientBody(gout, x, g, zeros: zeros, acc)
}
