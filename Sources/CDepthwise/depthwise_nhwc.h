// Depthwise 3x3 convolution of a channels-last activation ([h, w, pitch], pitch a multiple of
// 16) over a band of output rows, as AVX-512 intrinsics: the inference plan's depthwise steps
// (SwiftNN/Inference). Channel blocks outer: for each 16 channels the nine tap vectors and the
// bias stay in registers while the band's rows are swept, so an input line is read from L2 once
// per band and then from L1 by the up to three output rows and three outputs that use it.
// depthwiseNHWCRowBody (NHWCBodies.swift) takes outputs outer and every channel block inner, which
// keeps the channel loads sequential but reloads each input line from L2 for every output row
// that reads it and reloads the taps for every four outputs; its loads stalled on L2 (perf).
// Eight outputs of a row at a time inside the image (eight FMA chains in flight), then four,
// then one. Software prefetches of the next groups' lines (one or two groups ahead) measured no
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

/// G outputs of one output row for one channel block, inside the image: taps rows kiLo ..< kiHi
/// of the input at `start` (the first output's first tap), stores at d, d + pitch, ...
static inline __attribute__((always_inline, target("avx512f"))) void
snn_dwn_group(const float *start, long rowStride, long pitch, const long sw, const long G, long kiLo, long kiHi,
              const __m512 *wv, __m512 b, __m512 l, __m512 hv, float *d) {
    __m512 a[8];
#pragma clang loop unroll(full)
    for (long j = 0; j < G; j++) a[j] = b;
    for (long ki = kiLo; ki < kiHi; ki++) {
        const float *p = start + ki * rowStride;
        const __m512 w0 = wv[ki * 3], w1 = wv[ki * 3 + 1], w2 = wv[ki * 3 + 2];
        __m512 q[17];
#pragma clang loop unroll(full)
        for (long t = 0; t < (G - 1) * sw + 3; t++) q[t] = _mm512_loadu_ps(p + t * pitch);
#pragma clang loop unroll(full)
        for (long j = 0; j < G; j++) {
            a[j] = _mm512_fmadd_ps(q[j * sw], w0, a[j]);
            a[j] = _mm512_fmadd_ps(q[j * sw + 1], w1, a[j]);
            a[j] = _mm512_fmadd_ps(q[j * sw + 2], w2, a[j]);
        }
    }
#pragma clang loop unroll(full)
    for (long j = 0; j < G; j++) _mm512_storeu_ps(d + j * pitch, snn_dwn_clamp(a[j], l, hv));
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
            for (; ox < oxLo; ox++) SNN_DWN_ONE
            for (; ox + 8 <= oxHi; ox += 8)
                snn_dwn_group(rows + (ox * sw - pw) * pitch, rowStride, pitch, sw, 8, kiLo, kiHi, wv, b, l, hv, o + ox * pitch);
            for (; ox + 4 <= oxHi; ox += 4)
                snn_dwn_group(rows + (ox * sw - pw) * pitch, rowStride, pitch, sw, 4, kiLo, kiHi, wv, b, l, hv, o + ox * pitch);
            for (; ox < ow; ox++) SNN_DWN_ONE
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
