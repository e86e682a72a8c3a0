// Which kernel runs a convolution: one rule over the shape, in one place (docs/convolution.md
// gives the measurements behind each branch). It depends on the shape only, never on the
// thread count, so results are the same for any number of threads.

/// The kernel families of conv2d (forward and both backward passes).
enum ConvKernel: Equatable {
    /// One filter per channel (groups = C = K), stride 1 or 2, any kernel up to 7x7, padding
    /// and dilation: ConvDepthwise.swift. im2col would run C one-row GEMMs.
    case depthwise
    /// Few channels at stride 1 (LeNet, first layers): the wide direct kernels of ConvDirect.swift.
    case direct
    /// 1x1, stride 1, no padding: the input planes are already the GEMM's right-hand matrix.
    case pointwise
    /// Everything else: im2col + sgemm (Conv.swift).
    case im2col

    static func choose(c: Int, k: Int, kh: Int, kw: Int, h: Int, w: Int, groups: Int,
                       stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) -> ConvKernel {
        if groups > 1 && groups == c && k == c && kh * kw <= 49 && kh <= 7 && kw <= 7
            && (stride.0 == 1 || stride.0 == 2) && (stride.1 == 1 || stride.1 == 2)
            && padding.0 <= 64 && padding.1 <= 64 && dilation.0 <= 64 && dilation.1 <= 64
            && h <= 1 << 14 && w <= 1 << 14 && (h + 2 * padding.0) * (w + 2 * padding.1 + 1) <= 1 << 24 {
            return .depthwise
        }
        if ConvPlan.directApplies(c: c, k: k, kh: kh, kw: kw, h: h, w: w, groups: groups,
                                  stride: stride, padding: padding, dilation: dilation) {
            return .direct
        }
        if kh == 1 && kw == 1 && stride == (1, 1) && padding == (0, 0) { return .pointwise }
        return .im2col
    }
}
