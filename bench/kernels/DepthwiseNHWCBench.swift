// `--depthwise-nhwc`: the inference plan's channels-last depthwise convolution on MobileNetV2's
// eight depthwise shapes (one image, bands of --band output rows as the fused steps take them):
// row by row (depthwiseNHWCRow, outputs outer) against the band kernel (depthwiseNHWCRows),
// alternating, after checking they write the same bits. Prints each one's median time, GFLOP/s
// and the ratio (> 1: the band kernel faster).
import Glibc
import SwiftNNKernels

/// `count` floats at 64-byte alignment plus `offset` floats (the engine's buffers are 64-byte aligned).
nonisolated func alignedFloats(_ count: Int, offset: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: (count + offset) * 4, alignment: 64).bindMemory(to: Float.self, capacity: count + offset) + offset
}

nonisolated func benchDepthwiseNHWC(reps: Int, band: Int, offset: Int) {
    // (plane, channels, stride): MobileNetV2's depthwise layers.
    let shapes = [(14, 16, 1), (56, 16, 1), (56, 64, 1), (112, 32, 1), (112, 96, 2), (56, 144, 1), (56, 144, 2), (28, 192, 1), (28, 192, 2), (14, 384, 1),
                  (14, 576, 1), (14, 576, 2), (7, 960, 1)]
    print("depthwise 3x3 channels-last, one image, bands of \(band) rows, buffers 64-byte aligned + \(offset) floats; median of \(reps) alternating rounds")
    print("shape      rows us    band us    rows GF/s  band GF/s  ratio")
    for (hw, c, s) in shapes {
        let oh = (hw + 2 - 3) / s + 1
        let g = DepthwiseNHWCGeometry(h: hw, w: hw, pitch: c, kh: 3, kw: 3, sh: s, sw: s, ph: 1, pw: 1, dh: 1, dw: 1, ow: oh)
        let x = alignedFloats(hw * hw * c, offset: offset)
        for i in 0..<(hw * hw * c) { x[i] = Float((i &* 7919) % 1000) / 500 - 1 }
        let wts = UnsafeMutablePointer<Float>.allocate(capacity: 9 * c), bias = UnsafeMutablePointer<Float>.allocate(capacity: c)
        for i in 0..<(9 * c) { wts[i] = Float((i &* 31) % 97) / 97 - 0.5 }
        for i in 0..<c { bias[i] = Float(i % 7) / 7 }
        let outA = alignedFloats(oh * oh * c, offset: offset), outB = alignedFloats(oh * oh * c, offset: offset)
        let row = oh * c
        func rows() {
            var y0 = 0
            while y0 < oh {
                let y1 = min(oh, y0 + band)
                for y in y0..<y1 { depthwiseNHWCRow(x, g, oy: y, wts, bias, outA + y * row, lo: 0, hi: 6) }
                y0 = y1
            }
        }
        func bands() {
            var y0 = 0
            while y0 < oh {
                let y1 = min(oh, y0 + band)
                depthwiseNHWCRows(x, g, rows: y0..<y1, wts, bias, outB + y0 * row, ldo: row, lo: 0, hi: 6)
                y0 = y1
            }
        }
        rows(); bands()
        var same = true
        for i in 0..<(oh * oh * c) where outA[i].bitPattern != outB[i].bitPattern { same = false; break }
        let inner = max(1, 2_000_000 / (oh * oh * c * 9))
        var ta = [Double](), tb = [Double]()
        for _ in 0..<reps {
            var t0 = seconds()
            for _ in 0..<inner { rows() }
            ta.append((seconds() - t0) / Double(inner))
            t0 = seconds()
            for _ in 0..<inner { bands() }
            tb.append((seconds() - t0) / Double(inner))
        }
        ta.sort(); tb.sort()
        let a = ta[reps / 2], b = tb[reps / 2], flops = Double(2 * oh * oh * c * 9)
        let label = "\(hw)x\(hw)x\(c) s\(s)"
        let cells = [a * 1e6, b * 1e6, flops / a / 1e9, flops / b / 1e9, a / b].map { fmt($0) }
        print(([label] + cells).map { $0 + String(repeating: " ", count: max(1, 11 - $0.count)) }.joined() + (same ? "" : "  BITS DIFFER"))
        (x - offset).deallocate(); wts.deallocate(); bias.deallocate(); (outA - offset).deallocate(); (outB - offset).deallocate()
    }
}
