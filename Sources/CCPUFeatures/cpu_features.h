// Run-time CPU feature checks the Swift kernels cannot make themselves (Swift has no cpuid):
// header-only, so the package needs no C target.
#ifndef SWIFTNN_CPU_FEATURES_H
#define SWIFTNN_CPU_FEATURES_H

#if defined(__x86_64__)
#include <cpuid.h>
#endif

/// 1 if the CPU and the OS support the AVX-512 subset the SwiftNNKernelsAVX512 module is compiled
/// for (-target-cpu skylake-avx512: F, CD, BW, DQ, VL), else 0. The OS part: XCR0 must enable the
/// SSE, AVX, opmask and both upper-ZMM state components, or zmm registers are not saved on a
/// context switch.
static inline int snn_cpu_has_avx512(void) {
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0;  // OSXSAVE: xgetbv is usable
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & 0xE6u) != 0xE6u) return 0;  // XCR0 bits 1, 2 (SSE, AVX) and 5-7 (opmask, ZMM)
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned int need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);  // F DQ CD BW VL
    return (b & need) == need;
#else
    return 0;
#endif
}

#endif
