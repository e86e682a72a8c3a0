// The 8x8 float transpose as AVX intrinsics (unpack, shuffle, 128-bit permute: 24 shuffles
// for 8 loads and 8 stores). Written in C because LLVM lowers the Swift lane-by-lane form
// (SwiftNNKernels/Transpose8x8.swift) inside the plane transposes into per-element broadcast
// loads and blends (about 130 instructions a block, half of a channels-last depthwise
// backward on 14x14 planes). Header-only, so the package needs no C target; x86-64 only (the
// Swift form serves elsewhere).
#ifndef SWIFTNN_TRANSPOSE_H
#define SWIFTNN_TRANSPOSE_H

#if defined(__x86_64__)
#include <immintrin.h>
#define SNN_HAS_AVX_TRANSPOSE 1

/// dst[i * dstStride + j] = src[j * srcStride + i] for i, j < 8 (floats, unaligned).
__attribute__((target("avx"))) static inline void snn_transpose8x8(const float *src, long srcStride, float *dst,
                                                                   long dstStride) {
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + srcStride);
    __m256 r2 = _mm256_loadu_ps(src + 2 * srcStride), r3 = _mm256_loadu_ps(src + 3 * srcStride);
    __m256 r4 = _mm256_loadu_ps(src + 4 * srcStride), r5 = _mm256_loadu_ps(src + 5 * srcStride);
    __m256 r6 = _mm256_loadu_ps(src + 6 * srcStride), r7 = _mm256_loadu_ps(src + 7 * srcStride);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + dstStride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * dstStride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * dstStride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * dstStride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * dstStride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * dstStride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * dstStride, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

#endif
