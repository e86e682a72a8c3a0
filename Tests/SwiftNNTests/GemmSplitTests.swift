// What the engine's split products rely on: OpenBLAS computes each element of C the same way
// whatever block of rows (or columns) a call covers, so splitting C at any multiple of 16, as
// the balanced shares do, gives the bits of one whole call. Checked for the shapes of a
// char-RNN training step (weight and input gradients, the head) at several boundaries,
// wherever the engine splits products (gemmSplitKeepsBits: OpenBLAS's SkylakeX kernels). With
// OPENBLAS_CORETYPE=Haswell, set on some hosts, the property fails and the engine must not
// split, which the second test checks.
import Testing
import CBLAS
@testable import SwiftNN

private func gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                  _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
}

@Test(arguments: [(true, false, 1024, 514, 800), (false, false, 800, 256, 1024), (false, true, 800, 79, 256), (true, false, 79, 256, 800)])
func productsSplitAtAnyBlockBoundaryHaveTheWholeCallsBits(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) {
    let lda = transA ? m : k, ldb = transB ? k : n
    let a = values(m * k, seed: 1), b = values(k * n, seed: 2)
    var whole = [Float](repeating: 0, count: m * n), split = whole
    let core = String(cString: openblas_get_corename())
    gemm(transA, transB, m, n, k, a, lda, b, ldb, &whole, n)
    let byRows = m >= n, extent = byRows ? m : n
    for cut in stride(from: 16, to: extent, by: 16) where cut <= 64 || extent - cut <= 64 || cut % 256 == 0 {
        split.withUnsafeMutableBufferPointer { c in
            for (lo, hi) in [(0, cut), (cut, extent)] {
                if byRows {
                    a.withUnsafeBufferPointer { ap in
                        gemm(transA, transB, hi - lo, n, k, ap.baseAddress! + (transA ? lo : lo * lda), lda, b, ldb,
                             c.baseAddress! + lo * n, n)
                    }
                } else {
                    b.withUnsafeBufferPointer { bp in
                        gemm(transA, transB, m, hi - lo, k, a, lda, bp.baseAddress! + (transB ? lo * ldb : lo), ldb,
                             c.baseAddress! + lo, n)
                    }
                }
            }
        }
        let what: Comment = "\(m) x \(n) x \(k) (transA \(transA), transB \(transB)) split at \(cut), OpenBLAS core \(core)"
        let same = split == whole  // a Bool, so a failure does not print a million floats
        // Where the engine splits, the split must keep the bits; elsewhere it is only measured.
        #expect(same || !gemmSplitKeepsBits, what)
    }
}

/// The engine splits products only where OpenBLAS's kernel is split-invariant: with the
/// Haswell kernel (OPENBLAS_CORETYPE=Haswell) a 1024 x 514 x 800 product split at row 512
/// differs from one call, and the engine must then keep products whole.
@Test func productsAreSplitOnlyWhereSplittingKeepsTheBits() {
    let m = 1024, n = 514, k = 800
    let a = values(m * k, seed: 1), b = values(k * n, seed: 2)
    var whole = [Float](repeating: 0, count: m * n), split = whole
    gemm(true, false, m, n, k, a, m, b, n, &whole, n)
    split.withUnsafeMutableBufferPointer { c in
        a.withUnsafeBufferPointer { ap in
            gemm(true, false, 512, n, k, ap.baseAddress!, m, b, n, c.baseAddress!, n)
            gemm(true, false, 512, n, k, ap.baseAddress! + 512, m, b, n, c.baseAddress! + 512 * n, n)
        }
    }
    let core = String(cString: openblas_get_corename())
    if split != whole { #expect(!gemmSplitKeepsBits, "OpenBLAS core \(core) is not split-invariant, but the engine splits products") }
}

/// The engine's packed product (used for split-sized products where OpenBLAS's kernel is not
/// split-invariant) against a Double reference, for every transpose pair, both split
/// directions (rows when m >= n, panels otherwise) and accumulation.
@Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
func packedProductMatchesADoubleReference(transA: Bool, transB: Bool) {
    // (20, 400, 300) is a linear layer's (small batch, wide weight): computed as C^T; one row
    // by a transposed B (batch 1) takes matVec's dot products; the last two are computed as
    // C^T by two workers, each storing its columns of C (8x8 blocks, and a ragged edge)
    for (m, n, k) in [(130, 70, 90), (40, 150, 33), (20, 400, 300), (1, 300, 200), (32, 1100, 256), (20, 1100, 256)] {
        let lda = transA ? m : k, ldb = transB ? k : n
        let a = values(m * k, seed: 3), b = values(k * n, seed: 4)
        for accumulate in [false, true] {
            var c = values(m * n, seed: 5)
            let c0 = c
            packedProduct(transA, transB, m, n, k, a, lda: lda, b, ldb: ldb, accumulate: accumulate, &c, ldc: n)
            // Either orientation computes each element as the same FMA chain: the same bits.
            for swap in [false, true] where !(m == 1 && transB) {
                var other = c0
                packedProduct(transA, transB, m, n, k, a, lda: lda, b, ldb: ldb, accumulate: accumulate, &other, ldc: n, swap: swap)
                #expect(other == c, "\(m) x \(n) x \(k) transA \(transA) transB \(transB) accumulate \(accumulate) swap \(swap)")
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var s = accumulate ? Double(c0[i * n + j]) : 0
                    for kk in 0..<k {
                        s += Double(transA ? a[kk * lda + i] : a[i * lda + kk]) * Double(transB ? b[j * ldb + kk] : b[kk * ldb + j])
                    }
                    worst = max(worst, abs(s - Double(c[i * n + j])))
                }
            }
            #expect(worst < 1e-4, "\(m) x \(n) x \(k) transA \(transA) transB \(transB) accumulate \(accumulate): error \(worst)")
        }
    }
}

/// A batch-1 linear layer (one row times a weight stored by rows) takes matVec's dot products
/// on any number of threads: the same bits as packedProduct's one-row path with 1 and 2
/// threads, and a Double reference's values. Through OpenBLAS, which packed the whole weight
/// first (twice the time of a one-thread DQN acting forward), the bits differ.
@Test func batchOneLinearLayerTakesTheDotProducts() throws {
    EngineThreads.shareOnePool()  // as any multi-worker convolution does; one pool from here on
    let n = 520, k = 2050  // a weight of a million elements: worth splitting; ragged k and rows
    let xs = values(k, seed: 6), ws = values(n * k, seed: 7), bs = values(n, seed: 8)
    var want = bs
    packedProduct(false, true, 1, n, k, xs, lda: k, ws, ldb: k, accumulate: true, &want, ldc: n)
    let x = try Tensor(xs, shape: [1, k]), w = try Tensor(ws, shape: [n, k]), b = try Tensor(bs, shape: [n])
    for threads in [1, 2] {
        let session = try EngineSession(numThreads: threads)
        session.enter()
        defer { try? session.exit("test") }
        let y = try GradMode.withoutGrad { try linear(x, weight: w, bias: b) }.scalars
        let differ = zip(y, want).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differ == 0, "\(threads) threads: \(differ) of \(n) outputs differ from the dot products'")
        var worst = 0.0
        for i in 0..<n {
            var s = Double(bs[i])
            for j in 0..<k { s += Double(xs[j]) * Double(ws[i * k + j]) }
            worst = max(worst, abs(s - Double(y[i])))
        }
        #expect(worst < 1e-3, "\(threads) threads: max error \(worst) against Double")
    }
}
