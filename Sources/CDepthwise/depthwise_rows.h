// Depthwise 3x3 convolution at stride 1 of NCHW planes by output rows, as AVX-512 intrinsics:
// 16 columns of 8 output rows at a time, each input row's three shifted 16-column loads made
// once and used by the up to three output rows that read it (DepthwiseRowBodies.swift loads
// every tap of every output row: 36 masked loads for 4 rows against 30 for 8 here), masked
// loads straight from the plane (lanes outside the image are zero and never fault: no margins,
// no zero row) and masked stores (a row narrower than 16 spills nothing). The same body gives
// the input gradient at stride 1 (the taps walked from the far corner: steps -1).
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

/// out [oh, ow] = initial + the 3x3 taps wt (row-major) over the plane x [h, w] at stride 1:
/// output (oy, ox) reads row oy + ki * rowStep + rowOrigin, column ox + kj * colStep + colOrigin
/// (zero outside the plane); rowStep and colStep are 1 (forward) or -1 (the input gradient).
static inline __attribute__((always_inline, target("avx512f"))) void
snn_dw_rows_body(const float *x, long h, long w, long oh, long ow, const long rowStep, long colStep, long rowOrigin,
                 long colOrigin, const float *wt, float initial, float *out) {
    const __m512 w0 = _mm512_set1_ps(wt[0]), w1 = _mm512_set1_ps(wt[1]), w2 = _mm512_set1_ps(wt[2]);
    const __m512 w3 = _mm512_set1_ps(wt[3]), w4 = _mm512_set1_ps(wt[4]), w5 = _mm512_set1_ps(wt[5]);
    const __m512 w6 = _mm512_set1_ps(wt[6]), w7 = _mm512_set1_ps(wt[7]), w8 = _mm512_set1_ps(wt[8]);
    const long blocks = (ow + 15) / 16;
    for (long b = 0; b < blocks; b++) {
        const long ox0 = b * 16, valid = ow - ox0;
        const __mmask16 store = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        const long c0 = ox0 + colOrigin, c1 = c0 + colStep, c2 = c1 + colStep;
        const __mmask16 m0 = snn_dw_cols(c0, w), m1 = snn_dw_cols(c1, w), m2 = snn_dw_cols(c2, w);
        for (long oy = 0; oy < oh; oy += 8) {
            __m512 a0 = _mm512_set1_ps(initial), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            // Input row j (0..9) of the pass: output k reads it at tap ki = j - k (rowStep 1) or
            // ki = k + 2 - j (rowStep -1). Rows go in the order that makes each output's ki
            // ascend, so every chain adds its taps in (ki, kj) order.
#pragma clang loop unroll(full)
            for (long s = 0; s < 10; s++) {
                const long j = rowStep > 0 ? s : 9 - s;
                const long r = oy + rowOrigin + (rowStep > 0 ? j : j - 2);
                const int inside = r >= 0 && r < h;
                const float *p = x + (inside ? r : 0) * w;
                const __m512 v0 = _mm512_maskz_loadu_ps(inside ? m0 : 0, p + c0);
                const __m512 v1 = _mm512_maskz_loadu_ps(inside ? m1 : 0, p + c1);
                const __m512 v2 = _mm512_maskz_loadu_ps(inside ? m2 : 0, p + c2);
                // output k, tap row ki = j - k (rowStep 1) or k + 2 - j (rowStep -1)
#define SNN_DW_TAP(k, a) { const long ki = rowStep > 0 ? j - (k) : (k) + 2 - j; \
                if (ki == 0) { a = _mm512_fmadd_ps(v0, w0, a); a = _mm512_fmadd_ps(v1, w1, a); a = _mm512_fmadd_ps(v2, w2, a); } \
                else if (ki == 1) { a = _mm512_fmadd_ps(v0, w3, a); a = _mm512_fmadd_ps(v1, w4, a); a = _mm512_fmadd_ps(v2, w5, a); } \
                else if (ki == 2) { a = _mm512_fmadd_ps(v0, w6, a); a = _mm512_fmadd_ps(v1, w7, a); a = _mm512_fmadd_ps(v2, w8, a); } }
                SNN_DW_TAP(0, a0) SNN_DW_TAP(1, a1) SNN_DW_TAP(2, a2) SNN_DW_TAP(3, a3)
                SNN_DW_TAP(4, a4) SNN_DW_TAP(5, a5) SNN_DW_TAP(6, a6) SNN_DW_TAP(7, a7)
#undef SNN_DW_TAP
            }
            float *o = out + oy * ow + ox0;
#define SNN_DW_PUT(k, a) if (oy + (k) < oh) _mm512_mask_storeu_ps(o + (k) * ow, store, a);
            SNN_DW_PUT(0, a0) SNN_DW_PUT(1, a1) SNN_DW_PUT(2, a2) SNN_DW_PUT(3, a3)
            SNN_DW_PUT(4, a4) SNN_DW_PUT(5, a5) SNN_DW_PUT(6, a6) SNN_DW_PUT(7, a7)
#undef SNN_DW_PUT
        }
    }
}

static inline __attribute__((target("avx512f"))) void
snn_depthwise_rows3x3_s1(const float *x, long h, long w, long oh, long ow, long rowStep, long colStep, long rowOrigin,
                         long colOrigin, const float *wt, float initial, float *out) {
    // rowStep a constant in each copy, so every tap's row is known once the loop is unrolled
    if (rowStep > 0) snn_dw_rows_body(x, h, w, oh, ow, 1, colStep, rowOrigin, colOrigin, wt, initial, out);
    else snn_dw_rows_body(x, h, w, oh, ow, -1, colStep, rowOrigin, colOrigin, wt, initial, out);
}

/// The weight gradient's lanes for one plane, 3x3 at stride 1: acc[t * 16 + l] += the products
/// gout[oy, 16 b + l] * x[oy + ki + rowOrigin, 16 b + l + kj + colOrigin] (zero outside the
/// plane; lanes past ow dropped) of tap t = 3 ki + kj, over column blocks b and then rows oy in
/// order: nine chains, one a tap, as SwiftNNKernelsAVX512's depthwiseRowsWeightGradientBody
/// adds them (the same bits), but each input row's three shifted loads made once a pass of 8
/// output rows for the three rows that read it.
static inline __attribute__((target("avx512f"))) void
snn_depthwise_rows3x3_s1_weight_gradient(const float *gout, const float *x, long h, long w, long oh, long ow,
                                         long rowOrigin, long colOrigin, float *acc) {
    __m512 t0 = _mm512_loadu_ps(acc), t1 = _mm512_loadu_ps(acc + 16), t2 = _mm512_loadu_ps(acc + 32);
    __m512 t3 = _mm512_loadu_ps(acc + 48), t4 = _mm512_loadu_ps(acc + 64), t5 = _mm512_loadu_ps(acc + 80);
    __m512 t6 = _mm512_loadu_ps(acc + 96), t7 = _mm512_loadu_ps(acc + 112), t8 = _mm512_loadu_ps(acc + 128);
    const long blocks = (ow + 15) / 16;
    for (long b = 0; b < blocks; b++) {
        const long ox0 = b * 16, valid = ow - ox0;
        const __mmask16 kept = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        const long c0 = ox0 + colOrigin, c1 = c0 + 1, c2 = c1 + 1;
        const __mmask16 m0 = snn_dw_cols(c0, w), m1 = snn_dw_cols(c1, w), m2 = snn_dw_cols(c2, w);
        for (long oy = 0; oy < oh; oy += 8) {
            const long rows = oh - oy < 8 ? oh - oy : 8;
#define SNN_DW_G(k) const __m512 g##k = _mm512_maskz_loadu_ps((k) < rows ? kept : 0, gout + (oy + (k) < oh ? oy + (k) : 0) * ow + ox0);
            SNN_DW_G(0) SNN_DW_G(1) SNN_DW_G(2) SNN_DW_G(3) SNN_DW_G(4) SNN_DW_G(5) SNN_DW_G(6) SNN_DW_G(7)
#undef SNN_DW_G
            // Input row j (0..9) of the pass is tap row ki = j - k of output row k.
#pragma clang loop unroll(full)
            for (long j = 0; j < 10; j++) {
                const long r = oy + rowOrigin + j;
                const int inside = r >= 0 && r < h;
                const float *p = x + (inside ? r : 0) * w;
                const __m512 v0 = _mm512_maskz_loadu_ps(inside ? m0 : 0, p + c0);
                const __m512 v1 = _mm512_maskz_loadu_ps(inside ? m1 : 0, p + c1);
                const __m512 v2 = _mm512_maskz_loadu_ps(inside ? m2 : 0, p + c2);
#define SNN_DW_ROW(k) if (j - (k) >= 0 && j - (k) <= 2 && (k) < rows) { \
                    if (j - (k) == 0) { t0 = _mm512_fmadd_ps(g##k, v0, t0); t1 = _mm512_fmadd_ps(g##k, v1, t1); t2 = _mm512_fmadd_ps(g##k, v2, t2); } \
                    else if (j - (k) == 1) { t3 = _mm512_fmadd_ps(g##k, v0, t3); t4 = _mm512_fmadd_ps(g##k, v1, t4); t5 = _mm512_fmadd_ps(g##k, v2, t5); } \
                    else { t6 = _mm512_fmadd_ps(g##k, v0, t6); t7 = _mm512_fmadd_ps(g##k, v1, t7); t8 = _mm512_fmadd_ps(g##k, v2, t8); } }
                SNN_DW_ROW(0) SNN_DW_ROW(1) SNN_DW_ROW(2) SNN_DW_ROW(3) SNN_DW_ROW(4) SNN_DW_ROW(5) SNN_DW_ROW(6) SNN_DW_ROW(7)
#undef SNN_DW_ROW
            }
        }
    }
    _mm512_storeu_ps(acc, t0); _mm512_storeu_ps(acc + 16, t1); _mm512_storeu_ps(acc + 32, t2);
    _mm512_storeu_ps(acc + 48, t3); _mm512_storeu_ps(acc + 64, t4); _mm512_storeu_ps(acc + 80, t5);
    _mm512_storeu_ps(acc + 96, t6); _mm512_storeu_ps(acc + 112, t7); _mm512_storeu_ps(acc + 128, t8);
}

#endif

#endif
