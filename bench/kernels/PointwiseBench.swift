// `--pointwise`: the inference plan's 1x1 convolution (gemmPackedEpilogue over 64-row tiles,
// bias and ReLU6 in the epilogue) on MobileNetV2's 1x1 shapes at batch 1, one thread: GFLOP/s
// per shape against the FMA peak (about 117 here), to show which shapes the kernels lose on.
// `--only M --block B` times the shapes of M positions as 4 blocks of B rows instead (the plan's
// row blocks: `--only 196 --block 49` against `--block 48` shows what a block's last rows cost).
import Glibc
import SwiftNNKernels

nonisolated func benchPointwise(reps: Int, block: Int = 64, only: Int? = nil) {
    // (positions, input channels, output channels (the pitch, a multiple of 16))
    let shapes = [(12544, 32, 16), (12544, 16, 96), (3136, 96, 32), (3136, 32, 144), (3136, 144, 32), (784, 144, 32),
                  (784, 32, 192), (784, 192, 32), (196, 192, 64), (196, 64, 384), (196, 384, 64), (196, 384, 96),
                  (196, 96, 576), (196, 576, 96), (49, 576, 160), (49, 160, 960), (49, 960, 160), (49, 960, 320),
                  (49, 320, 1280)]
    print("1x1 convolution as the plan runs it (\(block)-row tiles, bias + clamp fused), one thread, median of \(reps)")
    for (m0, k, n) in shapes where only == nil || m0 == only! {
        let m = only == nil ? m0 : block * 4
        let a = alignedFloats(m * k, offset: 0), c = alignedFloats(m * n, offset: 0)
        for i in 0..<(m * k) { a[i] = Float((i &* 7919) % 1000) / 1000 - 0.5 }
        let w = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        for i in 0..<(n * k) { w[i] = Float((i &* 31) % 97) / 97 - 0.5 }
        let packed = alignedFloats(packedPanelsCount(k: k, n: n), offset: 0)
        packPanels(packed, w, ldw: k, transposed: true, k: k, c0: 0, n: n)
        let bias = alignedFloats(n, offset: 0)
        bias.update(repeating: 0.1, count: n)
        func run() {
            var r0 = 0
            while r0 < m {
                let rows = min(block, m - r0)
                gemmPackedEpilogue(m: rows, n: n, k: k, a: a + r0 * k, lda: k, packed: packed, c: c + r0 * n, ldc: n, bias: bias,
                                   residual: nil, ldr: 0, lo: 0, hi: 6)
                r0 += block
            }
        }
        run()
        let t = medianSeconds(reps: reps, inner: max(1, 20_000_000 / (m * k * n)), run), flops = Double(2 * m * k * n)
        print("m \(m) k \(k) n \(n): \(fmt(t * 1e6)) us, \(fmt(flops / t / 1e9)) GFLOP/s")
        a.deallocate(); c.deallocate(); w.deallocate(); packed.deallocate(); bias.deallocate()
    }
}
