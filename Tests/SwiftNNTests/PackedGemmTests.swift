// gemmPacked, the recurrent layers' step product, on its own: both kernel sets (AVX-512 where
// the CPU has it, AVX2) against a Double reference, and against each other bit for bit, over
// shapes that reach every row group, partial and odd panels, transposed A, accumulation and
// taller panels than k.
import Testing
import SwiftNNKernels

/// One product's operands, with A either row-major [m, k] or transposed (stored [k, m]).
private struct Case: CustomStringConvertible {
    let m, n, k: Int
    let transposedA, accumulate: Bool
    var description: String { "m \(m) n \(n) k \(k)\(transposedA ? " A^T" : "")\(accumulate ? " +=" : "")" }
}

private let cases: [Case] = {
    var all: [Case] = []
    let ms = [1, 2, 3, 5, 8, 9, 14, 16, 31, 48, 53]
    let ns = [1, 15, 16, 17, 32, 33, 48, 64, 80, 100, 128, 160, 300]  // 128 up: four pairs for one row at a time
    for (i, m) in ms.enumerated() {
        for (j, n) in ns.enumerated() {
            for k in [0, 1, 7, 67] {
                all.append(Case(m: m, n: n, k: k, transposedA: (i + j + k) % 2 == 1, accumulate: (i + j) % 3 == 0))
            }
        }
    }
    return all
}()

/// C from gemmPacked with the given kernel set; B packed into panels 3 rows taller than k (the
/// stacked recurrent operand reads a prefix of its panels).
private func product(_ t: Case, avx512: Bool) -> [Float] {
    let a = values(max(1, t.m * t.k), seed: 1), b = values(max(1, t.k * t.n), seed: 2)  // (k = 0: a placeholder)
    let ldc = t.n + 5
    var c = values(t.m * ldc, seed: 3)
    let panelRows = t.k + 3
    var packed = [Float](repeating: .nan, count: packedPanelsCount(k: panelRows, n: t.n) + 1)
    packed.withUnsafeMutableBufferPointer { p in
        b.withUnsafeBufferPointer { bp in
            packPanels(p.baseAddress!, bp.baseAddress!, ldw: t.n, transposed: false, k: t.k, c0: 0, n: t.n,
                       panelRows: panelRows)
        }
    }
    a.withUnsafeBufferPointer { ap in
        packed.withUnsafeBufferPointer { pp in
            c.withUnsafeMutableBufferPointer { cp in
                gemmPacked(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: t.transposedA ? 1 : t.k,
                           ka: t.transposedA ? t.m : 1, packed: pp.baseAddress!, panelRows: panelRows,
                           c: cp.baseAddress!, ldc: ldc, accumulate: t.accumulate, avx512: avx512)
            }
        }
    }
    return c
}

@Test(arguments: [false, true])
func packedProductsMatchADoubleReference(avx512: Bool) {  // (without AVX-512: AVX2 twice)
    for t in cases {
        let a = values(t.m * t.k, seed: 1), b = values(t.k * t.n, seed: 2)
        let ldc = t.n + 5, before = values(t.m * ldc, seed: 3)
        let c = product(t, avx512: avx512)
        var worst = 0.0
        for i in 0..<t.m {
            for j in 0..<ldc {
                let got = Double(c[i * ldc + j])
                guard j < t.n else {  // past n: untouched
                    #expect(got == Double(before[i * ldc + j]), "\(t): column \(j) of row \(i) was written")
                    continue
                }
                var sum = t.accumulate ? Double(before[i * ldc + j]) : 0, scale = abs(sum)
                for kk in 0..<t.k {
                    let x = Double(a[t.transposedA ? kk * t.m + i : i * t.k + kk]), y = Double(b[kk * t.n + j])
                    sum += x * y
                    scale += abs(x * y)
                }
                worst = max(worst, abs(got - sum) / max(scale, 1e-30))
            }
        }
        #expect(worst < Double(t.k + 2) * 1.2e-7, "\(t): relative error \(worst)")
    }
}

@Test(.enabled(if: PackedGemmKernels.avx512Supported, "needs a CPU with AVX-512"))
func avx512AndAVX2KernelsGiveTheSameBits() {
    for t in cases {
        let wide = product(t, avx512: true), narrow = product(t, avx512: false)
        let mismatches = zip(wide, narrow).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(mismatches == 0, "\(t): \(mismatches) elements differ")
    }
}

@Test func aKernelSetTheCPULacksIsNeverUsed() {
    let saved = PackedGemmKernels.useAVX512
    defer { PackedGemmKernels.useAVX512 = saved }
    PackedGemmKernels.useAVX512 = true
    #expect(PackedGemmKernels.useAVX512 == PackedGemmKernels.avx512Supported)
}

/// packPanels(transposed: true) (B's columns are rows of w, `ldw` apart), whose full panels go
/// through 8x8 blocks transposed in registers and a scalar tail: every entry where it belongs,
/// zeros past the last column, the rows between k and panelRows untouched; k's remainders
/// modulo 8 and 16, partial last panels, and a column offset.
@Test func transposedPanelsHoldEveryEntry() {
    for k in [0, 1, 7, 8, 9, 16, 23, 67] {
        for n in [1, 8, 15, 16, 17, 33, 48] {
            for c0 in [0, 5] {
                let ldw = k + 3, panelRows = k + 2, rowsOfW = c0 + n
                let w = values(max(1, rowsOfW * ldw), seed: 7)
                var packed = [Float](repeating: .nan, count: packedPanelsCount(k: panelRows, n: n))
                packed.withUnsafeMutableBufferPointer { p in
                    w.withUnsafeBufferPointer { wp in
                        packPanels(p.baseAddress!, wp.baseAddress!, ldw: ldw, transposed: true, k: k, c0: c0, n: n,
                                   panelRows: panelRows)
                    }
                }
                var wrong = 0, touched = 0
                for p in 0..<(n + 15) / 16 {
                    for r in 0..<panelRows {
                        for j in 0..<16 {
                            let got = packed[p * panelRows * 16 + r * 16 + j], column = 16 * p + j
                            if r >= k {
                                if !got.isNaN { touched += 1 }
                                continue
                            }
                            let want: Float = column < n ? w[(c0 + column) * ldw + r] : 0
                            if got.bitPattern != want.bitPattern { wrong += 1 }
                        }
                    }
                }
                #expect(wrong == 0 && touched == 0, "k \(k) n \(n) c0 \(c0): \(wrong) wrong entries, \(touched) rows past k written")
            }
        }
    }
}
