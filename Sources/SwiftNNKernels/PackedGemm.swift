// C (+)= A B for the recurrent products: B (a weight) packed once per sequence into 16-column
// panels that every time step reuses, and micro-kernels over them: 8 x 32 with AVX-512 where the
// CPU has it (SwiftNNKernelsAVX512; 110-116 GFLOP/s on one core for a step's [16..32 x 384] x
// [384 x 1024], the FMA peak is about 117), else 6 x 16 with AVX2 (100-112 at best), where
// OpenBLAS, repacking B on every call, reaches about 80.
import CCPUFeatures
import Synchronization
import SwiftNNKernelsAVX512
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which micro-kernels `gemmPacked` runs. Both sets give the same bits: every element of C is
/// one FMA chain over k in order in either.
public enum PackedGemmKernels {
    /// Whether this CPU and OS can run the AVX-512 kernels (cpuid and XCR0, checked once).
    public static let avx512Supported: Bool = snn_cpu_has_avx512() != 0

    /// No logging in this initializer: a lazy global's initializer that calls into the log (its
    /// lock, the host's callback) while a helper thread waits on the same global hung test_log
    /// about one run in three. The choice is announced by `announceChoice` instead.
    nonisolated(unsafe) private static var avx512Enabled: Bool = avx512Supported && getenv("SWIFTNN_NO_AVX512") == nil
    private static let announced = Atomic<Bool>(false)

    /// Tells the host's log, once per process, which kernels the products use (a warning where
    /// the CPU lacks AVX-512: the slower path). Called by `StepTeam.run` (every recurrent layer
    /// goes through it) on the calling thread, before any worker needs the choice.
    public static func announceChoice() {
        guard !announced.load(ordering: .relaxed), !announced.exchange(true, ordering: .relaxed) else { return }
        #if arch(x86_64)
        if !avx512Supported {
            Log.warning("AVX-512 is not available on this CPU or OS (cpuid/XCR0): the recurrent products use the slower AVX2 kernels (the results are identical)")
        } else if getenv("SWIFTNN_NO_AVX512") != nil {
            Log.info("SWIFTNN_NO_AVX512 is set: the recurrent products use the AVX2 kernels although this CPU has AVX-512")
        } else {
            Log.debug("the recurrent products use the AVX-512 kernels")
        }
        #endif
    }

    /// Whether `gemmPacked` uses the AVX-512 kernels: where supported, unless the environment
    /// sets SWIFTNN_NO_AVX512 (A/B runs); tests turn it off to compare. Never true where
    /// unsupported.
    public static var useAVX512: Bool {
        get { avx512Enabled }
        set { avx512Enabled = newValue && avx512Supported }
    }

    /// Rows per unit when callers split a product's rows between workers: whole row groups of
    /// the kernels in use (AVX-512's 2-row kernel runs at 80% of its 4- and 8-row ones, 88
    /// against 110 GFLOP/s on this project's machine; AVX2 pairs rows over two panels).
    public static var rowGranule: Int { useAVX512 ? 4 : 2 }
}

/// Floats needed to pack `n` columns of a K-row matrix: ceil(n / 16) panels of k x 16.
public func packedPanelsCount(k: Int, n: Int) -> Int { (n &+ 15) / 16 &* 16 &* k }

/// Packs columns [c0, c0 + n) of B [k, *] into panels: panel p holds, for each kk, the 16
/// values B[kk, c0 + 16p ..< c0 + 16p + 16] (zeros past the last column). With `transposed`,
/// B is W^T for a row-major W (B[kk, c] = w[c * ldw + kk]); otherwise B[kk, c] = w[kk * ldw + c].
/// Panels are `panelRows` (default k) rows apart: two matrices packed at row offsets 0 and k1
/// of panels k1 + k2 rows tall make one operand of k1 + k2 rows.
public func packPanels(_ dst: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>, ldw: Int, transposed: Bool,
                       k: Int, c0: Int, n: Int, panelRows: Int? = nil) {
    let panels = (n &+ 15) / 16, stride = (panelRows ?? k) &* 16
    for p in 0..<panels {
        let base = dst + p &* stride
        let width = min(16, n &- p &* 16)
        if transposed && width == 16 {
            packRowsTransposed(base, w + (c0 &+ p &* 16) &* ldw, ldw: ldw, k: k)
            continue
        }
        for j in 0..<16 {
            if j >= width {
                for kk in 0..<k { base[kk &* 16 &+ j] = 0 }
                continue
            }
            let c = c0 &+ p &* 16 &+ j
            if transposed {
                let src = w + c &* ldw
                for kk in 0..<k { base[kk &* 16 &+ j] = src[kk] }
            } else {
                for kk in 0..<k { base[kk &* 16 &+ j] = w[kk &* ldw &+ c] }
            }
        }
    }
}

/// One full panel of `packPanels(transposed: true)`: rows 0 ..< 16 of `src` (`ldw` apart, k
/// floats each) as the panel's columns, in 8x8 blocks transposed in registers (element by
/// element, each float was a load and a store 64 bytes from the last).
private func packRowsTransposed(_ base: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, ldw: Int, k: Int) {
    var kk = 0
    while kk &+ 8 <= k {
        for half in 0..<2 {
            let s = src + (half &* 8 &* ldw &+ kk)
            var r0 = load8(s), r1 = load8(s + ldw), r2 = load8(s + 2 &* ldw), r3 = load8(s + 3 &* ldw)
            var r4 = load8(s + 4 &* ldw), r5 = load8(s + 5 &* ldw), r6 = load8(s + 6 &* ldw), r7 = load8(s + 7 &* ldw)
            transpose8x8(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7)
            let d = base + (kk &* 16 &+ half &* 8)
            store8(d, r0); store8(d + 16, r1); store8(d + 32, r2); store8(d + 48, r3)
            store8(d + 64, r4); store8(d + 80, r5); store8(d + 96, r6); store8(d + 112, r7)
        }
        kk &+= 8
    }
    for j in 0..<16 {
        let s = src + j &* ldw
        for r in kk..<k { base[r &* 16 &+ j] = s[r] }
    }
}

/// `packPanels` for a row-major B (B[kk, c] = b[kk * ldb + c]) read row by row: each row's
/// 16-column pieces go to their panels as whole 64-byte lines, where `packPanels` walks a column
/// at a time through every row (a patch matrix of hundreds of rows left the cache between
/// columns). Same layout: panels `k * 16` floats apart, zeros past column n.
public func packRowsIntoPanels(_ dst: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int) {
    let full = n / 16, rest = n &- full &* 16, stride = k &* 16
    for kk in 0..<k {
        let row = b + kk &* ldb
        var d = dst + kk &* 16
        for p in 0..<full {
            let s = row + p &* 16
            store8(d, load8(s))
            store8(d + 8, load8(s + 8))
            d += stride
        }
        if rest > 0 {
            let s = row + full &* 16
            for j in 0..<16 { d[j] = j < rest ? s[j] : 0 }
        }
    }
}

/// C[m, n] = (accumulate ? C : 0) + A[m, k] B[k, n], B packed by `packPanels`. A[i, kk] is
/// a[i * lda + kk * ka] (ka = 1 for row-major A; lda = 1, ka = its row length for a transposed
/// one); row i of C is at c + i * ldc. Rows go in blocks of 48 (A's block stays in cache while
/// every panel passes through it). With AVX-512 (`avx512`, nil: `PackedGemmKernels.useAVX512`;
/// true takes effect only where supported), full 32-column pairs of panels go to its kernels in
/// groups of 8, 4, 2 and 1 rows, and an odd or partial last panel to the AVX2 ones. With AVX2,
/// within a block: groups of 6, then 4 and 1 rows per panel, and a last pair of rows over two
/// panels at a time. Each C element is one FMA chain over k in order whatever its kernel,
/// panel or row group, so results do not depend on the kernel set or on how a caller splits
/// the rows or columns between workers. B's panels are `panelRows` (default k) rows apart: the
/// product may use the first k rows of taller panels.
public func gemmPacked(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, ka: Int = 1, packed: UnsafePointer<Float>,
                       panelRows: Int? = nil, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                       avx512: Bool? = nil) {
    let stride = (panelRows ?? k) &* 16
    let useAVX512 = (avx512 ?? PackedGemmKernels.useAVX512) && PackedGemmKernels.avx512Supported
    let pairs = useAVX512 ? n / 32 : 0  // panel pairs, 32 columns wide
    guard pairs > 0 else {
        gemmPackedAVX2(m: m, n: n, k: k, a: a, lda: lda, ka: ka, packed: packed, stride: stride, c: c, ldc: ldc,
                       accumulate: accumulate)
        return
    }
    var r0 = 0
    while r0 < m {
        let rows = min(48, m &- r0)  // as below: the block of A stays in cache while B passes
        let ab = a + r0 &* lda, cb = c + r0 &* ldc
        for q in 0..<pairs {
            let bp = packed + 2 &* q &* stride, cp = cb + q &* 32
            var i = 0
            while i &+ 8 <= rows {
                kernel8x32AVX512(k, ab + i &* lda, lda, ka, bp, stride, cp + i &* ldc, ldc, accumulate)
                i &+= 8
            }
            if rows &- i >= 4 {
                kernel4x32AVX512(k, ab + i &* lda, lda, ka, bp, stride, cp + i &* ldc, ldc, accumulate)
                i &+= 4
            }
            if rows &- i >= 2 {
                kernel2x32AVX512(k, ab + i &* lda, lda, ka, bp, stride, cp + i &* ldc, ldc, accumulate)
                i &+= 2
            }
        }
        // A last single row across four pairs at a time (more chains in flight).
        if rows & 1 == 1 {
            let i = rows &- 1
            var q = 0
            while q &+ 4 <= pairs {
                kernel1x128AVX512(k, ab + i &* lda, ka, packed + 2 &* q &* stride, stride, cb + i &* ldc + q &* 32, accumulate)
                q &+= 4
            }
            while q < pairs {
                kernel1x32AVX512(k, ab + i &* lda, ka, packed + 2 &* q &* stride, stride, cb + i &* ldc + q &* 32, accumulate)
                q &+= 1
            }
        }
        r0 &+= rows
    }
    let done = pairs &* 32  // the last panel, if odd or partial, with the AVX2 kernels
    if done < n {
        gemmPackedAVX2(m: m, n: n &- done, k: k, a: a, lda: lda, ka: ka, packed: packed + 2 &* pairs &* stride,
                       stride: stride, c: c + done, ldc: ldc, accumulate: accumulate)
    }
}

/// gemmPacked with the AVX2 kernels; B's panels are `stride` floats apart.
private func gemmPackedAVX2(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, ka: Int, packed: UnsafePointer<Float>,
                            stride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    let panels = (n &+ 15) / 16
    var r0 = 0
    while r0 < m {
        let rows = min(48, m &- r0)
        // The remainder of the groups of 6 goes to the 4-, 2- and 1-row kernels (fewer
        // accumulators, so slower per row: 32 rows = 5 x 6 + 2 is faster than 4 x 6 + 2 x 4).
        let sixes = rows / 6, rest = rows &- sixes &* 6
        let fours = rest / 4, twos = (rest &- fours &* 4) / 2, ones = rest &- fours &* 4 &- twos &* 2
        let ab = a + r0 &* lda, cb = c + r0 &* ldc
        for p in 0..<panels {
            let bp = packed + p &* stride
            let width = min(16, n &- p &* 16)
            let cp = cb + p &* 16
            var i = 0
            for _ in 0..<sixes {
                kernel6x16(k, ab + i &* lda, lda, ka, bp, cp + i &* ldc, ldc, width, accumulate)
                i &+= 6
            }
            for _ in 0..<fours {
                kernel4x16(k, ab + i &* lda, lda, ka, bp, cp + i &* ldc, ldc, width, accumulate)
                i &+= 4
            }
            if ones > 0 {  // the odd last row, after the pairs (done below)
                let row = i &+ twos &* 2
                kernel1x16(k, ab + row &* lda, ka, bp, cp + row &* ldc, width, accumulate)
            }
        }
        // Pairs of rows take two panels at a time: one panel's 4 accumulators are too few to
        // hide the FMA latency (32 rows = 5 x 6 + 2 spent 13% of a recurrent step's product
        // time on the last 2 rows).
        let i2 = sixes &* 6 &+ fours &* 4
        for t in 0..<twos {
            let row = i2 &+ t &* 2
            var p = 0
            while p &+ 2 <= panels {
                kernel2x32(k, ab + row &* lda, lda, ka, packed + p &* stride, stride, cb + (row &* ldc &+ p &* 16), ldc,
                           min(16, n &- (p &+ 1) &* 16), accumulate)
                p &+= 2
            }
            if p < panels {
                kernel2x16(k, ab + row &* lda, lda, ka, packed + p &* stride, cb + (row &* ldc &+ p &* 16), ldc,
                           min(16, n &- p &* 16), accumulate)
            }
        }
        r0 &+= rows
    }
}

@inline(__always)
private func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

/// Writes one 16-wide row of results (only `width` columns), adding to C if `accumulate`.
@inline(__always)
private func emit(_ c: UnsafeMutablePointer<Float>, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ width: Int, _ accumulate: Bool) {
    let w1 = width &- 8
    if accumulate {
        store8(c, load8(c, width) + v0, width)
        if w1 > 0 { store8(c + 8, load8(c + 8, w1) + v1, w1) }
    } else {
        store8(c, v0, width)
        if w1 > 0 { store8(c + 8, v1, w1) }
    }
}

private func kernel6x16(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ka: Int, _ b: UnsafePointer<Float>,
                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ width: Int, _ accumulate: Bool) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda
    var kk = 0, ak = 0
    while kk < k {
        let b0 = ld(b + kk &* 16), b1 = ld(b + (kk &* 16 &+ 8))
        var x = SIMD8(repeating: a0[ak]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        x = SIMD8(repeating: a1[ak]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
        x = SIMD8(repeating: a2[ak]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
        x = SIMD8(repeating: a3[ak]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
        x = SIMD8(repeating: a4[ak]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
        x = SIMD8(repeating: a5[ak]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
        kk &+= 1
        ak &+= ka
    }
    emit(c, c00, c01, width, accumulate)
    emit(c + ldc, c10, c11, width, accumulate)
    emit(c + 2 &* ldc, c20, c21, width, accumulate)
    emit(c + 3 &* ldc, c30, c31, width, accumulate)
    emit(c + 4 &* ldc, c40, c41, width, accumulate)
    emit(c + 5 &* ldc, c50, c51, width, accumulate)
}

private func kernel4x16(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ka: Int, _ b: UnsafePointer<Float>,
                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ width: Int, _ accumulate: Bool) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
    var kk = 0, ak = 0
    while kk < k {
        let b0 = ld(b + kk &* 16), b1 = ld(b + (kk &* 16 &+ 8))
        var x = SIMD8(repeating: a0[ak]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        x = SIMD8(repeating: a1[ak]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
        x = SIMD8(repeating: a2[ak]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
        x = SIMD8(repeating: a3[ak]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
        kk &+= 1
        ak &+= ka
    }
    emit(c, c00, c01, width, accumulate)
    emit(c + ldc, c10, c11, width, accumulate)
    emit(c + 2 &* ldc, c20, c21, width, accumulate)
    emit(c + 3 &* ldc, c30, c31, width, accumulate)
}

/// Two rows by two panels (32 columns, the second panel, `stride` floats on, `width` wide; the
/// first is full).
private func kernel2x32(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ka: Int, _ b: UnsafePointer<Float>, _ stride: Int,
                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ width: Int, _ accumulate: Bool) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c02 = SIMD8<Float>(), c03 = SIMD8<Float>(), c12 = SIMD8<Float>(), c13 = SIMD8<Float>()
    let a0 = a, a1 = a0 + lda, b2 = b + stride
    var kk = 0, ak = 0
    while kk < k {
        let b0 = ld(b + kk &* 16), b1 = ld(b + (kk &* 16 &+ 8))
        let b20 = ld(b2 + kk &* 16), b21 = ld(b2 + (kk &* 16 &+ 8))
        var x = SIMD8(repeating: a0[ak])
        c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        c02 = c02.addingProduct(x, b20); c03 = c03.addingProduct(x, b21)
        x = SIMD8(repeating: a1[ak])
        c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
        c12 = c12.addingProduct(x, b20); c13 = c13.addingProduct(x, b21)
        kk &+= 1
        ak &+= ka
    }
    emit(c, c00, c01, 16, accumulate)
    emit(c + 16, c02, c03, width, accumulate)
    emit(c + ldc, c10, c11, 16, accumulate)
    emit(c + (ldc &+ 16), c12, c13, width, accumulate)
}

private func kernel2x16(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ka: Int, _ b: UnsafePointer<Float>,
                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ width: Int, _ accumulate: Bool) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    let a0 = a, a1 = a0 + lda
    var kk = 0, ak = 0
    while kk < k {
        let b0 = ld(b + kk &* 16), b1 = ld(b + (kk &* 16 &+ 8))
        var x = SIMD8(repeating: a0[ak]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        x = SIMD8(repeating: a1[ak]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
        kk &+= 1
        ak &+= ka
    }
    emit(c, c00, c01, width, accumulate)
    emit(c + ldc, c10, c11, width, accumulate)
}

private func kernel1x16(_ k: Int, _ a: UnsafePointer<Float>, _ ka: Int, _ b: UnsafePointer<Float>,
                        _ c: UnsafeMutablePointer<Float>, _ width: Int, _ accumulate: Bool) {
    var c0 = SIMD8<Float>(), c1 = SIMD8<Float>()
    var kk = 0, ak = 0
    while kk < k {
        let x = SIMD8(repeating: a[ak])
        c0 = c0.addingProduct(x, ld(b + kk &* 16))
        c1 = c1.addingProduct(x, ld(b + (kk &* 16 &+ 8)))
        kk &+= 1
        ak &+= ka
    }
    emit(c, c0, c1, width, accumulate)
}
