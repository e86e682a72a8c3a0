// `--direct`: the inference plan's direct convolution (directConvRow: few input channels, read
// straight from the caller's NCHW image) on MobileNetV2's stem (3 x 224 x 224, 3x3 stride 2,
// 32 channels) and the Nature DQN's first layer (4 x 84 x 84, 8x8 stride 4, 32 channels), one
// thread, every output row of one image: GFLOP/s against the FMA peak (about 117 here).
import Glibc
import SwiftNNKernels

nonisolated func benchDirect(reps: Int) {
    // (channels, size, kernel, stride, padding, output channels)
    let shapes = [(3, 224, 3, 2, 1, 32), (4, 84, 8, 4, 0, 32)]
    print("direct convolution as the plan runs it (NCHW image in, channels-last rows out, bias + clamp), one thread, median of \(reps)")
    for (c, size, k, s, p, n) in shapes {
        let o = (size + 2 * p - k) / s + 1, patch = k * k * c
        let x = alignedFloats(c * size * size, offset: 0), y = alignedFloats(o * o * n, offset: 0)
        for i in 0..<(c * size * size) { x[i] = Float((i &* 7919) % 1000) / 1000 - 0.5 }
        let w = alignedFloats(packedPanelsCount(k: patch, n: n), offset: 0)
        for i in 0..<packedPanelsCount(k: patch, n: n) { w[i] = Float((i &* 31) % 97) / 97 - 0.5 }
        let bias = alignedFloats(n, offset: 0)
        bias.update(repeating: 0.1, count: n)
        let g = DirectConvGeometry(c: c, h: size, w: size, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p, dh: 1, dw: 1,
                                   rowStride: size, positionStride: 1, channelStride: size * size, ow: o, ldc: n)
        func run() {
            for oy in 0..<o { directConvRow(x, g, oy: oy, w, cols: n, bias, residual: nil, y + oy * o * n, lo: 0, hi: 6) }
        }
        run()
        let flops = Double(2 * o * o * n * patch)
        let t = medianSeconds(reps: reps, inner: max(1, Int(20e6 / flops)), run)
        print("\(c)x\(size)x\(size) \(k)x\(k)/\(s) -> \(n): \(fmt(t * 1e6)) us, \(fmt(flops / t / 1e9)) GFLOP/s")
        x.deallocate(); y.deallocate(); w.deallocate(); bias.deallocate()
    }
}
