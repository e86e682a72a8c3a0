// Depthwise 3x3 convolution at stride 1 of NCHW planes by output rows, as AVX-512 intrinsics:
// 16 columns of 4 or 5 output rows at a time, each input row's three shifted 16-column loads
// made once and used by the up to three output rows that read it (DepthwiseRowBodies.swift
// loads every tap of every output row: 36 masked loads for 4 rows against 18 here), masked
// loads straight from the plane (lanes outside the image are zero and never fault: no margins,
// no zero row) and masked stores (a row narrower than 16 spills nothing). The same body gives
// the input gradient at stride 1 (the taps walked from the far corner: steps -1).
//
// Four or five rows a pass, whichever computes fewer rows past the plane (14 rows: three passes
// of 5). Eight a pass shared more loads but left the compiler 20-odd live vectors, and it
// spilled (100 stack moves for 144 FMAs): 1.3-1.6x the time of four or five on 14x14 to 56x56
// planes in a microbenchmark; seven spilled too.
//
// Every output is the same FMA chain as on the zero-padded plane (DepthwisePhaseBodies.swift):
// the initial value, then the taps in (ki, kj) order, zeros included; so the same bits as the
// Swift row kernels and the phase kernels. Written in C for the masked loads and stores (the
// Swift form's `replacing(with:where:)` loads compile to loads and blends). Header-only;
// x86-64 only, run where snn_cpu_has_avx512() says so.
#ifndef SWIFTNN_DEPTHWISE_ROWS_H
#define SWIFTNN_DEPTHWISE_ROWS_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#define SNN_HAS_DEPTHWISE_ROWS 1

/// The lanes of 16 columns from col0 that lie in [0, w).
static inline __attribute__((always_inline, target("avx512f"))) __mmask16 snn_dw_cols(long col0, long w) {
    uint32_t m = 0xFFFF;
    if (col0 < 0) m = col0 <= -16 ? 0 : (m << -col0) & 0xFFFF;
    long end = w - col0;   // lanes [0, end) are left of column w
    if (end < 16) m &= end <= 0 ? 0 : (1u << end) - 1;
    return (__mmask16)m;
}

/// Whether passes of five rows compute fewer rows than passes of four.
static inline long snn_dw_pass_rows(long oh) { return (oh + 4) / 5 * 5 < (oh + 3) / 4 * 4 ? 5 : 4; }

/// One column block of input row r: its three shifted 16-column loads, zero outside the plane.
typedef struct { __m512 v0, v1, v2; } snn_dw_row3;

static inline __attribute__((always_inline, target("avx512f"))) snn_dw_row3
snn_dw_load_row(const float *x, long r, long h, long w, long c0, long c1, long c2, __mmask16 m0, __mmask16 m1,
                __mmask16 m2) {
    const int inside = r >= 0 && r < h;
    const float *p = x + (inside ? r : 0) * w;
    snn_dw_row3 v = {_mm512_maskz_loadu_ps(inside ? m0 : 0, p + c0), _mm512_maskz_loadu_ps(inside ? m1 : 0, p + c1),
                     _mm512_maskz_loadu_ps(inside ? m2 : 0, p + c2)};
    return v;
}

/// Output rows oy ..< oy + R of one column block (R and rowStep constants after inlining).
static inline __attribute__((always_inline, target("avx512f"))) void
snn_dw_rows_pass(const float *x, long h, long w, long oh, long ow, long oy, const long R, const long rowStep,
                 long rowOrigin, long ox0, long c0, long c1, long c2, __mmask16 m0, __mmask16 m1, __mmask16 m2,
                 __mmask16 store, const __m512 *wv, float initial, float *out) {
    __m512 a[5];
#pragma clang loop unroll(full)
    for (long k = 0; k < R; k++) a[k] = _mm512_set1_ps(initial);
    // Input row j (0 ..< R + 2) of the pass is tap row ki = j - k of output row k (rowStep 1)
    // or ki = k + 2 - j (rowStep -1). Rows go in the order that makes each output's ki ascend,
    // so every chain adds its taps in (ki, kj) order.
#pragma clang loop unroll(full)
    for (long s = 0; s < R + 2; s++) {
        const long j = rowStep > 0 ? s : R + 1 - s;
        const snn_dw_row3 v = snn_dw_load_row(x, oy + rowOrigin + (rowStep > 0 ? j : j - 2), h, w, c0, c1, c2, m0, m1, m2);
#pragma clang loop unroll(full)
        for (long k = 0; k < R; k++) {
            const long ki = rowStep > 0 ? j - k : k + 2 - j;
            if (ki >= 0 && ki <= 2) {
                a[k] = _mm512_fmadd_ps(v.v0, wv[3 * ki], a[k]);
                a[k] = _mm512_fmadd_ps(v.v1, wv[3 * ki + 1], a[k]);
                a[k] = _mm512_fmadd_ps(v.v2, wv[3 * ki + 2], a[k]);
            }
        }
    }
    float *o = out + oy * ow + ox0;
#pragma clang loop unroll(full)
    for (long k = 0; k < R; k++) if (oy + k < oh) _mm512_mask_storeu_ps(o + k * ow, store, a[k]);
}

static inline __attribute__((always_inline, target("avx512f"))) void
snn_dw_rows_body(const float *x, long h, long w, long oh, long ow, const long rowStep, long colStep, long rowOrigin,
                 long colOrigin, const float *wt, float initial, float *out) {
    __m512 wv[9];
#pragma clang loop unroll(full)
    for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(wt[t]);
    const long blocks = (ow + 15) / 16, rows = snn_dw_pass_rows(oh);
    for (long b = 0; b < blocks; b++) {
        const long ox0 = b * 16, valid = ow - ox0;
        const __mmask16 store = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        const long c0 = ox0 + colOrigin, c1 = c0 + colStep, c2 = c1 + colStep;
        const __mmask16 m0 = snn_dw_cols(c0, w), m1 = snn_dw_cols(c1, w), m2 = snn_dw_cols(c2, w);
        if (rows == 5) {
            for (long oy = 0; oy < oh; oy += 5)
                snn_dw_rows_pass(x, h, w, oh, ow, oy, 5, rowStep, rowOrigin, ox0, c0, c1, c2, m0, m1, m2, store, wv,
                                 initial, out);
        } else {
            for (long oy = 0; oy < oh; oy += 4)
                snn_dw_rows_pass(x, h, w, oh, ow, oy, 4, rowStep, rowOrigin, ox0, c0, c1, c2, m0, m1, m2, store, wv,
                                 initial, out);
        }
    }
}

/// out [oh, ow] = initial + the 3x3 taps wt (row-major) over the plane x [h, w] at stride 1:
/// output (oy, ox) reads row oy + ki * rowStep + rowOrigin, column ox + kj * colStep + colOrigin
/// (zero outside the plane); rowStep and colStep are 1 (forward) or -1 (the input gradient).
static inline __attribute__((target("avx512f"))) void
snn_depthwise_rows3x3_s1(const float *x, long h, long w, long oh, long ow, long rowStep, long colStep, long rowOrigin,
                         long colOrigin, const float *wt, float initial, float *out) {
    // rowStep a constant in each copy, so every tap's row is known once the loops are unrolled
    if (rowStep > 0) snn_dw_rows_body(x, h, w, oh, ow, 1, colStep, rowOrigin, colOrigin, wt, initial, out);
    else snn_dw_rows_body(x, h, w, oh, ow, -1, colStep, rowOrigin, colOrigin, wt, initial, out);
}

/// Output rows oy ..< oy + R of one column block of the weight gradient (R constant after inlining).
static inline __attribute__((always_inline, target("avx512f"))) void
snn_dw_weight_pass(const float *gout, const float *x, long h, long w, long oh, long ow, long oy, const long R,
                   long rowOrigin, long ox0, long c0, long c1, long c2, __mmask16 m0, __mmask16 m1, __mmask16 m2,
                   __mmask16 kept, __m512 *t) {
    __m512 g[5];
#pragma clang loop unroll(full)
    for (long k = 0; k < R; k++)
        g[k] = _mm512_maskz_loadu_ps(oy + k < oh ? kept : 0, gout + (oy + k < oh ? oy + k : 0) * ow + ox0);
    // Input row j (0 ..< R + 2) of the pass is tap row ki = j - k of output row k.
#pragma clang loop unroll(full)
    for (long j = 0; j < R + 2; j++) {
        const snn_dw_row3 v = snn_dw_load_row(x, oy + rowOrigin + j, h, w, c0, c1, c2, m0, m1, m2);
#pragma clang loop unroll(full)
        for (long k = 0; k < R; k++) {
            const long ki = j - k;
            if (ki >= 0 && ki <= 2 && oy + k < oh) {
                t[3 * ki] = _mm512_fmadd_ps(g[k], v.v0, t[3 * ki]);
                t[3 * ki + 1] = _mm512_fmadd_ps(g[k], v.v1, t[3 * ki + 1]);
                t[3 * ki + 2] = _mm512_fmadd_ps(g[k], v.v2, t[3 * ki + 2]);
            }
        }
    }
}

/// The weight gradient's lanes for one plane, 3x3 at stride 1: acc[t * 16 + l] += the products
/// gout[oy, 16 b + l] * x[oy + ki + rowOrigin, 16 b + l + kj + colOrigin] (zero outside the
/// plane; lanes past ow dropped) of tap t = 3 ki + kj, over column blocks b and then rows oy in
/// order: nine chains, one a tap, as SwiftNNKernelsAVX512's depthwiseRowsWeightGradientBody
/// adds them (the same bits), but each input row's three shifted loads made once a pass for
/// the rows that read it.
static inline __attribute__((target("avx512f"))) void
snn_depthwise_rows3x3_s1_weight_gradient(const float *gout, const float *x, long h, long w, long oh, long ow,
                                         long rowOrigin, long colOrigin, float *acc) {
    __m512 t[9];
#pragma clang loop unroll(full)
    for (int k = 0; k < 9; k++) t[k] = _mm512_loadu_ps(acc + 16 * k);
    const long blocks = (ow + 15) / 16, rows = snn_dw_pass_rows(oh);
    for (long b = 0; b < blocks; b++) {
        const long ox0 = b * 16, valid = ow - ox0;
        const __mmask16 kept = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        const long c0 = ox0 + colOrigin, c1 = c0 + 1, c2 = c1 + 1;
        const __mmask16 m0 = snn_dw_cols(c0, w), m1 = snn_dw_cols(c1, w), m2 = snn_dw_cols(c2, w);
        if (rows == 5) {
            for (long oy = 0; oy < oh; oy += 5)
                snn_dw_weight_pass(gout, x, h, w, oh, ow, oy, 5, rowOrigin, ox0, c0, c1, c2, m0, m1, m2, kept, t);
        } else {
            for (long oy = 0; oy < oh; oy += 4)
                snn_dw_weight_pass(gout, x, h, w, oh, ow, oy, 4, rowOrigin, ox0, c0, c1, c2, m0, m1, m2, kept, t);
        }
    }
#pragma clang loop unroll(full)
    for (int k = 0; k < 9; k++) _mm512_storeu_ps(acc + 16 * k, t[k]);
}

#endif

#endif
