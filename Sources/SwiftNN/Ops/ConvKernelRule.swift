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

extension ConvKernel {
    /// Whether an im2col convolution's forward runs channels-last (ConvChannelsLast.swift)
    /// instead of on NCHW patch panels (ConvPacked.swift). Measured on 40 shapes, 2 threads,
    /// both paths in turn (docs/convolution.md has the table):
    /// - Padded windows: the NCHW path gathers its panels from a zero-bordered copy of the
    ///   images, 16 output positions a panel; output rows of 16, 8 or 4 make each panel whole
    ///   rows (single vector copies), and NCHW was as fast or faster there (1.00-1.09x).
    ///   Channels-last was 1.02-1.75x faster on the other rows of at most 16 with 32-128
    ///   channels (patches up to 1600) and at least 256 output positions (work for both
    ///   workers); 0.90-0.95x with 256 channels, 0.97-1.00x with 16 or 24.
    /// - Unpadded windows go straight into panels of 16 output positions. Where output rows of
    ///   8 (or 4, 2, 1) make each panel whole rows, those are single vector copies and the NCHW
    ///   path was 1.1-1.2x faster; where rows of 7 or 9 straddle the panels (the DQN's 3x3 and
    ///   4x4/2), channels-last was 1.06-1.47x faster, for patches of at least 512 (smaller
    ///   ones: 0.88-1.00x).
    /// - Patches over 2304 (512 channels x 3x3): the packed weights (9.4 MB) stream through
    ///   every block of positions: 0.82x.
    static func prefersChannelsLast(n: Int, c: Int, kh: Int, kw: Int, outH: Int, outW: Int, groups: Int, padded: Bool) -> Bool {
        let patch = saturatingProduct(c, kh, kw)
        guard groups == 1, !(kh == 1 && kw == 1), patch <= 2304, saturatingProduct(n, outH, outW) >= 256 else { return false }
        if padded { return c >= 32 && patch <= 1600 && outW <= 16 && 16 % outW != 0 }
        return patch >= 512 && outW <= 9 && 16 % outW != 0
    }
}

extension ConvKernel {
    /// Whether a 3x3 convolution at stride 1 runs by Winograd F(2x2, 3x3) (ConvWinograd.swift:
    /// the forward, and both gradients where the input channels are a multiple of 16).
    /// The kernels need input channels in multiples of 8 and outputs in multiples of 16, the
    /// same padding on both sides (0 or 1), and at least two images (one per worker).
    /// Measured on 16 shapes, both builds in one process (`build/ab_builds conv`; table in
    /// docs/convolution.md): with at least 48 channels in and out it took 0.45-0.89 of the time
    /// forward and 0.63-0.89 forward and backward, from 7x7 to 56x56 maps and 48 to 512
    /// channels; with 32 it tied forward (0.95-1.00) and lost backward on an 8x8 map (1.09-1.15).
    static func prefersWinograd(n: Int, c: Int, k: Int, kh: Int, kw: Int, outH: Int, outW: Int, groups: Int,
                                stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) -> Bool {
        guard kh == 3, kw == 3, stride == (1, 1), dilation == (1, 1), groups == 1, padding.0 == padding.1,
              padding.0 <= 1, c % 8 == 0, k % 16 == 0, n >= 2 else { return false }
        return c >= 48 && k >= 48
    }
}

extension ConvKernel {
    /// Whether a convolution runs direct from the images forward and for its weight gradient
    /// (ConvStridedDirect.swift) rather than through patch panels: at most 4 input channels, a
    /// kernel at least 5 wide at a stride of 2 or more, a patch of at least 128, output channels
    /// in multiples of 32 (the weight-gradient kernel's block). Such a layer's patch panels copy
    /// the input once per tap. Both builds in one process (`build/ab_builds conv`), forward and
    /// forward + backward: the DQN's 8x8/4 (patch 256) at batch 32 0.84 and 0.90 of the time,
    /// at batch 1 0.78 forward; a 7x7/2 stem on RGB (147) at batch 8 0.98 and 0.84, at batch 1
    /// 0.68 and 0.72; 11x11/4 on RGB (363) 1.01-1.05 forward, 0.90 with the backward; one
    /// channel 5x5/2 (25): 1.26 forward, so short patches stay packed.
    static func prefersStridedDirect(c: Int, k: Int, kh: Int, kw: Int, groups: Int, stride: (Int, Int),
                                     dilation: (Int, Int)) -> Bool {
        groups == 1 && c <= 4 && k % 32 == 0 && kw >= 5 && saturatingProduct(c, kh, kw) >= 128
            && max(stride.0, stride.1) >= 2 && dilation == (1, 1)
    }
}

extension ConvKernel {
    /// Whether a 2s x 2s window at stride s >= 2 runs by Winograd F(2x2, 2x2) over s x s blocks
    /// (ConvWinogradForm.swift): its forward, and its weight gradient (the input gradient stays
    /// as the rules above have it). The kernels need the block's channels (C s^2) in multiples
    /// of 16 and outputs in multiples of 16, the same padding on both sides (less than the
    /// window), and at least two images. Both builds in one process (`build/ab_builds conv`,
    /// docs/convolution.md has the table): forward and backward took 0.61-0.82 of the time on
    /// every such shape measured, from the DQN's 8x8/4 on 4 frames to 256 -> 512 channels on 8x8
    /// maps, the weight gradient accounting for most of it. The forward alone won (0.41-0.75)
    /// with at least 256 tiles of 2x2 outputs per call and transformed filters (9 C s^2 K
    /// floats) of at most 4 MB; with fewer tiles or larger filters the transform of the filters,
    /// on every call, cost more than it saved (1.15-2.4x the time, 32-128 tiles, 1.2-4.7M floats).
    static func prefersStridedWinograd(n: Int, c: Int, k: Int, kh: Int, kw: Int, outH: Int, outW: Int, groups: Int,
                                       stride: (Int, Int), padding: (Int, Int),
                                       dilation: (Int, Int)) -> (forward: Bool, weightGradient: Bool) {
        let s = stride.0
        guard s >= 2, s <= 8, stride.1 == s, kh == 2 * s, kw == 2 * s, groups == 1, dilation == (1, 1),
              padding.0 == padding.1, padding.0 < kh, n >= 2 else { return (false, false) }
        let cs = saturatingProduct(c, s, s)
        guard cs % 16 == 0 && k % 16 == 0 else { return (false, false) }
        let tiles = saturatingProduct(n, (outH + 1) / 2, (outW + 1) / 2)
        return (tiles >= 256 && saturatingProduct(9, cs, k) <= 1 << 20, true)
    }
}
