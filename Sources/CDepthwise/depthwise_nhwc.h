// Depthwise 3x3 convolution of a channels-last activation ([h, w, pitch], pitch a multiple of
// 16) over a band of output rows, as AVX-512 intrinsics: the inference plan's depthwise steps
// (SwiftNN/Inference). Channel blocks outer: for each 16 channels the nine tap vectors and the
// bias stay in registers while the band's rows are swept, so an input line is read from L2 once
// per band and then from L1 by the up to three output rows and three outputs that use it.
// depthwiseNHWCRowBody (NHWCBodies.swift) takes outputs outer and every channel block inner, which
// keeps the channel loads sequential but reloads each input line from L2 for every output row
// that reads it and reloads the taps for every four outputs; its loads stalled on L2 (perf).
// A row's outputs in chunks of up to eight (that many FMA chains in flight), the border outputs
// of padding 1 included; other border outputs one at a time. Software prefetches of the next groups' lines (one or two groups ahead) measured no
// faster (bench-kernels --depthwise-nhwc).
//
// Every output is the same FMA chain as depthwiseNHWCRowBody's: the bias, then the taps inside
// the image in (ki, kj) order, then max(lo, min(hi, v)) with NaN kept; so the same bits.
// Header-only; x86-64 only, run where snn_cpu_has_avx512() says so.
#ifndef SWIFTNN_DEPTHWISE_NHWC_H
#define SWIFTNN_DEPTHWISE_NHWC_H

#if defined(__x86_64__)
#include <immintrin.h>
#define SNN_HAS_DEPTHWISE_NHWC 1

/// max(lo, min(hi, v)) as the Swift bodies write it: a lane below lo becomes lo, then a lane
/// above hi becomes hi (a NaN compares false both times and stays).
static inline __attribute__((always_inline, target("avx512f"))) __m512 snn_dwn_clamp(__m512 v, __m512 lo, __m512 hi) {
    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), v, lo);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), v, hi);
}

/// G outputs of one output row for one channel block: taps rows kiLo ..< kiHi of the input at
/// `start` (the first output's first tap), stores at d, d + pitch, ... With L the first output
/// is a left border one whose kj = 0 tap lies outside the image, with R the last is a right
/// border one whose kj = 2 tap does: those taps are neither loaded nor added, as in the border
/// path, so a row's border outputs are chains in flight beside the interior ones rather than
/// single chains waiting on each FMA (a third of a 7-wide row's outputs).
static inline __attribute__((always_inline, target("avx512f"))) void
snn_dwn_group(const float *start, long rowStride, long pitch, const long sw, const long G, const int L, const int R, long kiLo,
              long kiHi, const __m512 *wv, __m512 b, __m512 l, __m512 hv, float *d) {
    __m512 a[8];
    const long T = (G - 1) * sw + 3;
#pragma clang loop unroll(full)
    for (long j = 0; j < G; j++) a[j] = b;
    for (long ki = kiLo; ki < kiHi; ki++) {
        const float *p = start + ki * rowStride;
        const __m512 w0 = wv[ki * 3], w1 = wv[ki * 3 + 1], w2 = wv[ki * 3 + 2];
        __m512 q[17];
#pragma clang loop unroll(full)
        for (long t = 0; t < T; t++) q[t] = (L && t == 0) || (R && t == T - 1) ? _mm512_setzero_ps() : _mm512_loadu_ps(p + t * pitch);
#pragma clang loop unroll(full)
        for (long j = 0; j < G; j++) {
            if (!(L && j == 0)) a[j] = _mm512_fmadd_ps(q[j * sw], w0, a[j]);
            a[j] = _mm512_fmadd_ps(q[j * sw + 1], w1, a[j]);
            if (!(R && j == G - 1)) a[j] = _mm512_fmadd_ps(q[j * sw + 2], w2, a[j]);
        }
    }
#pragma clang loop unroll(full)
    for (long j = 0; j < G; j++) _mm512_storeu_ps(d + j * pitch, snn_dwn_clamp(a[j], l, hv));
}

/// snn_dwn_group for G (1 ... 8), L and R known only at run time: one inlined instance each.
static inline __attribute__((always_inline, target("avx512f"))) void
snn_dwn_chunk(const float *start, long rowStride, long pitch, const long sw, long G, int L, int R, long kiLo, long kiHi,
              const __m512 *wv, __m512 b, __m512 l, __m512 hv, float *d) {
#define SNN_DWN_CASE(G_, L_, R_)                                                                                     \
    case (G_) * 4 + (L_) * 2 + (R_):                                                                                \
        snn_dwn_group(start, rowStride, pitch, sw, G_, L_, R_, kiLo, kiHi, wv, b, l, hv, d);                        \
        break;
#define SNN_DWN_CASES(G_) SNN_DWN_CASE(G_, 0, 0) SNN_DWN_CASE(G_, 0, 1) SNN_DWN_CASE(G_, 1, 0) SNN_DWN_CASE(G_, 1, 1)
    switch (G * 4 + L * 2 + R) {
        SNN_DWN_CASES(1) SNN_DWN_CASES(2) SNN_DWN_CASES(3) SNN_DWN_CASES(4)
        SNN_DWN_CASES(5) SNN_DWN_CASES(6) SNN_DWN_CASES(7) SNN_DWN_CASES(8)
    }
#undef SNN_DWN_CASES
#undef SNN_DWN_CASE
}

/// The body of snn_depthwise_nhwc3x3_rows for one column stride (a constant after inlining).
static inline __attribute__((always_inline, target("avx512f"))) void
snn_dwn_rows(const float *x, long h, long w, long pitch, long sh, const long sw, long ph, long pw, long ow, long oy0,
             long oy1, const float *wts, const float *bias, float *out, long ldo, float lo, float hi) {
    const __m512 l = _mm512_set1_ps(lo), hv = _mm512_set1_ps(hi);
    const long rowStride = w * pitch;
    // Outputs whose three column taps are all inside: ox * sw - pw >= 0 and ox * sw - pw + 2 <= w - 1.
    long oxLo = (pw + sw - 1) / sw;
    if (oxLo > ow) oxLo = ow;
    const long lastStart = w - 3 + pw;
    long oxHi = lastStart < 0 ? oxLo : lastStart / sw + 1;
    if (oxHi > ow) oxHi = ow;
    if (oxHi < oxLo) oxHi = oxLo;
    // A border output missing only one column tap (padding 1: the left one's kj = 0, or the
    // right one's kj = 2) joins the chunks; any other border output is computed alone.
    long first = oxLo, last = oxHi;
    if (oxLo == 1 && pw == 1 && w >= 2 && oxHi >= 1) first = 0;
    if (oxHi == ow - 1 && ow - 1 >= oxLo) {
        const long ix0 = (ow - 1) * sw - pw;
        if (ix0 >= 0 && ix0 + 2 == w) last = ow;
    }
    for (long c0 = 0; c0 < pitch; c0 += 16) {
        __m512 wv[9];
        for (int t = 0; t < 9; t++) wv[t] = _mm512_loadu_ps(wts + t * pitch + c0);
        const __m512 b = _mm512_loadu_ps(bias + c0);
        const float *xc = x + c0;
        for (long oy = oy0; oy < oy1; oy++) {
            const long iy0 = oy * sh - ph;
            long kiLo = 0, kiHi = 3;
            while (kiLo < 3 && iy0 + kiLo < 0) kiLo++;
            while (kiHi > kiLo && iy0 + kiHi - 1 >= h) kiHi--;
            float *o = out + (oy - oy0) * ldo + c0;
            const float *rows = xc + iy0 * rowStride;   // tap row ki at rows + ki * rowStride
            long ox = 0;
            // One output with the taps outside the image skipped (the border columns).
#define SNN_DWN_ONE                                                                                                  \
    {                                                                                                               \
        __m512 acc = b;                                                                                             \
        const long ix0 = ox * sw - pw;                                                                              \
        for (long ki = kiLo; ki < kiHi; ki++)                                                                       \
            for (long kj = 0; kj < 3; kj++)                                                                         \
                if (ix0 + kj >= 0 && ix0 + kj < w)                                                                  \
                    acc = _mm512_fmadd_ps(_mm512_loadu_ps(rows + ki * rowStride + (ix0 + kj) * pitch), wv[ki * 3 + kj], acc); \
        _mm512_storeu_ps(o + ox * pitch, snn_dwn_clamp(acc, l, hv));                                               \
    }
            for (; ox < first; ox++) SNN_DWN_ONE
            // Outputs first ..< last in chunks of 8 and a last shorter one: the first chunk
            // and the last through the dispatch (they may hold a border output or be short),
            // the ones between as before, eight interior outputs with no dispatch.
            ox = first;
            if (last - ox >= 8) {
                snn_dwn_chunk(rows + (ox * sw - pw) * pitch, rowStride, pitch, sw, 8, ox < oxLo, ox + 8 > oxHi, kiLo, kiHi, wv, b,
                              l, hv, o + ox * pitch);
                ox += 8;
            }
            for (; ox + 8 < last; ox += 8)
                snn_dwn_group(rows + (ox * sw - pw) * pitch, rowStride, pitch, sw, 8, 0, 0, kiLo, kiHi, wv, b, l, hv, o + ox * pitch);
            if (ox < last)
                snn_dwn_chunk(rows + (ox * sw - pw) * pitch, rowStride, pitch, sw, last - ox, ox < oxLo, last > oxHi, kiLo, kiHi, wv,
                              b, l, hv, o + ox * pitch);
            for (ox = last; ox < ow; ox++) SNN_DWN_ONE
#undef SNN_DWN_ONE
        }
    }
}

/// Output rows oy0 ..< oy1 of a 3x3 depthwise convolution (dilation 1, column stride 1 or 2)
/// of one image x [h, w, pitch]: row oy at out + (oy - oy0) * ldo, output x at + x * pitch.
/// wts [9, pitch] (tap-major), bias [pitch].
static inline __attribute__((target("avx512f"))) void
snn_depthwise_nhwc3x3_rows(const float *x, long h, long w, long pitch, long sh, long sw, long ph, long pw, long ow,
                           long oy0, long oy1, const float *wts, const float *bias, float *out, long ldo, float lo,
                           float hi) {
    if (sw == 1)
        snn_dwn_rows(x, h, w, pitch, sh, 1, ph, pw, ow, oy0, oy1, wts, bias, out, ldo, lo, hi);
    else
        snn_dwn_rows(x, h, w, pitch, sh, 2, ph, pw, ow, oy0, oy1, wts, bias, out, ldo, lo, hi);
}

#endif
#endif
