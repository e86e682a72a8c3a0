// Depthwise 3x3 convolution at stride 2 of NCHW planes with output rows of at most 7 (MobileNet's
// 14x14 -> 7x7 layers) as AVX-512 intrinsics. One 16-column masked load per input row, straight
// from the plane (lanes outside the image are zero and never fault: no padded copy, no zero row,
// no transposes), and a two-source permute picks the even or odd columns of two input rows, so a
// vector holds two output rows (lanes 0-6 and 8-14). By rows (DepthwiseRowBodies.swift) half the
// lanes of every load and FMA were odd columns thrown away and 9 of 16 lanes were past a 7-wide
// row; channels-last (ConvDepthwiseNHWC.swift) paid two transposes. Warm, 8x576x14x14 on one
// thread: 0.17-0.18 ms against 0.26 channels-last.
//
// Every output is the same FMA chain as on the zero-padded plane (DepthwisePhaseBodies.swift):
// the initial value, then the taps in (ki, kj) order, zeros included; so the same bits as the
// other paths. Written in C because Swift has no two-source permute or masked load it lowers
// to one instruction. Header-only (no C target in the package); x86-64 only, run where
// snn_cpu_has_avx512() says so.
//
// The same loads in a flat layout at stride 1 (16 consecutive outputs of a 7x7 plane a vector,
// masks for the taps' edges) were tried and not kept: 0.28 ms against channels-last's 0.24 at
// 8x960x7x7 on one thread, even on two (36 line-splitting loads a plane).
#ifndef SWIFTNN_DEPTHWISE_PAIRS_H
#define SWIFTNN_DEPTHWISE_PAIRS_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#define SNN_HAS_DEPTHWISE_PAIRS 1

#define SNN_DW_TARGET __attribute__((target("avx512f")))

/// out [oh, ow] = initial + the kh x 3 taps w (row-major) over a plane x at column stride 2, two
/// output rows a vector, four vectors a pass: pass p, tap row ki, vector k reads its two input
/// rows' 16 columns at x + rows[j] with lane mask masks[j] (j = ((p * kh + ki) * 8 + 2 k) and
/// j + 1; all lanes off for a row outside the plane), and tap kj of output column ox is lane
/// 2 ox + kj of its row's load. Needs ow <= 7. The table is the geometry's, the same for every
/// plane (DepthwiseSmall.swift builds it).
static inline SNN_DW_TARGET void snn_depthwise_pairs_s2(const float *x, const long *rows, const uint16_t *masks,
                                                        long kh, long oh, long ow, const float *wt, float initial,
                                                        float *out) {
    // Lanes 0-7 from the first row, 8-15 from the second (indices 16 and up pick the second source).
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i idx1 = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i idx2 = _mm512_add_epi32(even, _mm512_set1_epi32(2));
    const __mmask16 row0 = (__mmask16)((1u << ow) - 1), row1 = (__mmask16)(row0 << 8);
    for (long oy = 0; oy < oh; oy += 8) {
        __m512 a0 = _mm512_set1_ps(initial), a1 = a0, a2 = a0, a3 = a0;
        for (long ki = 0; ki < kh; ki++) {
            const long *rp = rows + (oy / 8 * kh + ki) * 8;
            const uint16_t *mp = masks + (oy / 8 * kh + ki) * 8;
#define SNN_DW_ROW(k) _mm512_maskz_loadu_ps(mp[k], x + rp[k])
            const __m512 r0 = SNN_DW_ROW(0), r1 = SNN_DW_ROW(1), r2 = SNN_DW_ROW(2), r3 = SNN_DW_ROW(3);
            const __m512 r4 = SNN_DW_ROW(4), r5 = SNN_DW_ROW(5), r6 = SNN_DW_ROW(6), r7 = SNN_DW_ROW(7);
#undef SNN_DW_ROW
            const float *wk = wt + ki * 3;
            __m512 wv = _mm512_set1_ps(wk[0]);
            a0 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r0, even, r1), wv, a0);
            a1 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r2, even, r3), wv, a1);
            a2 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r4, even, r5), wv, a2);
            a3 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r6, even, r7), wv, a3);
            wv = _mm512_set1_ps(wk[1]);
            a0 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r0, idx1, r1), wv, a0);
            a1 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r2, idx1, r3), wv, a1);
            a2 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r4, idx1, r5), wv, a2);
            a3 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r6, idx1, r7), wv, a3);
            wv = _mm512_set1_ps(wk[2]);
            a0 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r0, idx2, r1), wv, a0);
            a1 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r2, idx2, r3), wv, a1);
            a2 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r4, idx2, r5), wv, a2);
            a3 = _mm512_fmadd_ps(_mm512_permutex2var_ps(r6, idx2, r7), wv, a3);
        }
        // Row oy + k: lanes 0 ..< ow of the pair's vector (k even) or lanes 8 ..< 8 + ow,
        // stored 8 floats early so they land at the row's start.
#define SNN_DW_PUT(k, a) \
        if (oy + (k) < oh) _mm512_mask_storeu_ps(out + (oy + (k)) * ow, row0, a); \
        if (oy + (k) + 1 < oh) _mm512_mask_storeu_ps(out + (oy + (k) + 1) * ow - 8, row1, a);
        SNN_DW_PUT(0, a0)
        SNN_DW_PUT(2, a1)
        SNN_DW_PUT(4, a2)
        SNN_DW_PUT(6, a3)
#undef SNN_DW_PUT
    }
}

#undef SNN_DW_TARGET
#endif

#endif
