// gemmPackedEpilogue, the inference plan's 1x1 and patch-row products: the epilogue (bias,
// residual, clamp) applied in the AVX-512 8x32 kernel's stores must give the same bits as the
// product stored plain and then the epilogue pass (gemmPacked + nhwcEpilogue), on both kernel
// sets, over row counts that leave 0-7 rows to the other kernels or end on the 9-row kernels
// (8 t + 1: 9, 17, 49, 57), and column counts that leave a last single panel, with and without
// a residual, and must leave C's columns past n alone.
import Testing
import SwiftNNKernels

private func values(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Float(Int(s % 2001) - 1000) / 1000
    }
}

private struct Case: CustomStringConvertible {
    let m, n, k: Int
    let residual: Bool
    /// Columns that are not padding: past them the weights are zero (as the plan packs them).
    var live: Int? = nil
    var description: String { "m \(m) n \(n) k \(k)\(residual ? " + residual" : "")\(live.map { " live \($0)" } ?? "")" }
}

/// C (ldc = n + 16, so 16 columns past n that must stay untouched) through both paths: (fused, two passes).
private func run(_ t: Case, avx512: Bool) -> ([Float], [Float]) {
    let lda = t.k + 3, ldc = t.n + 16, ldr = t.n + 32
    let a = values(t.m * lda, seed: 1), bias = values(t.n, seed: 3)
    var w = values(t.k * t.n, seed: 2)
    if let live = t.live { for kk in 0..<t.k { for j in max(live, 0)..<t.n { w[kk * t.n + j] = 0 } } }
    let res = values(t.m * ldr, seed: 4)
    var packed = [Float](repeating: 0, count: packedPanelsCount(k: t.k, n: t.n))
    packed.withUnsafeMutableBufferPointer { d in
        w.withUnsafeBufferPointer { packPanels(d.baseAddress!, $0.baseAddress!, ldw: t.n, transposed: false, k: t.k, c0: 0, n: t.n) }
    }
    var fused = values(t.m * ldc, seed: 5), plain = fused
    let saved = PackedGemmKernels.useAVX512
    PackedGemmKernels.useAVX512 = avx512 && PackedGemmKernels.avx512Supported
    defer { PackedGemmKernels.useAVX512 = saved }
    a.withUnsafeBufferPointer { ap in packed.withUnsafeBufferPointer { pp in bias.withUnsafeBufferPointer { bp in
        res.withUnsafeBufferPointer { rp in
            let r = t.residual ? rp.baseAddress! : nil
            fused.withUnsafeMutableBufferPointer { c in
                gemmPackedEpilogue(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, packed: pp.baseAddress!, c: c.baseAddress!,
                                   ldc: ldc, bias: bp.baseAddress!, residual: r, ldr: ldr, lo: -0.25, hi: 0.75, live: t.live)
            }
            plain.withUnsafeMutableBufferPointer { c in
                gemmPacked(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, packed: pp.baseAddress!, c: c.baseAddress!, ldc: ldc,
                           accumulate: false)
                nhwcEpilogue(c.baseAddress!, ldc: ldc, rows: t.m, cols: t.n, bias: bp.baseAddress!, residual: r, ldr: ldr,
                             lo: -0.25, hi: 0.75)
            }
        }
    } } }
    return (fused, plain)
}

private let cases: [Case] = {
    var all: [Case] = []
    for (i, m) in [1, 2, 3, 7, 8, 9, 14, 16, 17, 42, 47, 48, 49, 51, 53, 57, 64, 100].enumerated() {
        for (j, n) in [16, 32, 48, 64, 96, 144, 160].enumerated() {
            for k in [1, 16, 67] { all.append(Case(m: m, n: n, k: k, residual: (i + j + k) % 2 == 0)) }
        }
    }
    return all
}()

@Test(arguments: [true, false])
func theEpilogueInTheKernelGivesTheTwoPassBits(avx512: Bool) {
    var clamped = 0
    for t in cases {
        let (fused, plain) = run(t, avx512: avx512)
        let differing = zip(fused, plain).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(differing == 0, "\(t): \(differing) of \(fused.count) elements differ")
        clamped += fused.filter { $0 == -0.25 || $0 == 0.75 }.count
    }
    // The clamp is exercised (both bounds reached somewhere), not only the bias and residual.
    #expect(clamped > 1000)
}

/// A last pair whose last 8 columns are padding (24 channels at a pitch of 32, 56 at 64, 152 at
/// 160) takes the 8x24 kernel: the same bits, padding included, as the full pair's.
@Test func aLastPairOfPaddingGivesTheSameBits() {
    for m in [1, 8, 9, 16, 47, 49, 64] {
        for (n, live) in [(32, 24), (32, 17), (64, 56), (160, 152), (48, 40), (32, 32)] {
            for k in [1, 16, 67] {
                let t = Case(m: m, n: n, k: k, residual: (m + k) % 2 == 0, live: live)
                let (fused, plain) = run(t, avx512: true)
                let differing = zip(fused, plain).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                #expect(differing == 0, "\(t): \(differing) of \(fused.count) elements differ")
            }
        }
    }
}

@Test func theEpilogueLeavesColumnsPastNAlone() {
    let t = Case(m: 19, n: 48, k: 9, residual: true), ldc = t.n + 16
    let (fused, _) = run(t, avx512: true)
    let before = values(t.m * ldc, seed: 5)
    for i in 0..<t.m {
        for j in t.n..<ldc { #expect(fused[i * ldc + j].bitPattern == before[i * ldc + j].bitPattern, "row \(i) column \(j)") }
    }
}
