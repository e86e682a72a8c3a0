// The inference plan's channels-last 3x3 depthwise band kernel (CDepthwise/depthwise_nhwc.h,
// through depthwiseNHWCRows): the row kernel's bits (depthwiseNHWCRow, itself checked against
// PyTorch's golden files and Double) on bands of every kind of row and column: border rows with
// taps above or below the image, groups of eight and four outputs and single ones, stride 1 and
// 2, no padding and padding 2, one-column and one-row images, several channel blocks, NaN and
// values past the clamp; nothing written between the band's rows or past them; and a Double
// reference.
import Testing
import SwiftNNKernels

/// (height, width, channel pitch, row stride, column stride, row padding, column padding, first row, rows)
typealias DepthwiseNHWCRowsCase = (Int, Int, Int, Int, Int, Int, Int, Int, Int)

@Test(arguments: [
    (14, 14, 576 / 12, 1, 1, 1, 1, 0, 14),  // MobileNetV2's 14x14 (48 channels here), the whole plane
    (14, 14, 32, 2, 2, 1, 1, 0, 7),         // its stride 2
    (56, 56, 16, 1, 1, 1, 1, 3, 5),         // a band inside a 56x56 plane: 6 groups of 8 outputs and 6 border ones
    (29, 27, 32, 1, 1, 1, 1, 26, 3),        // the band with the bottom border; 27 columns: 8, 8, 8 + border ones
    (17, 23, 16, 2, 2, 1, 1, 0, 9),         // stride 2, odd sizes: groups of 8 and 4, then border
    (9, 13, 16, 1, 1, 0, 0, 0, 7),          // no padding: every column interior, 11 outputs (8 + 1 + 1 + 1)
    (9, 12, 16, 2, 1, 2, 2, 0, 5),          // padding 2: two border outputs each side, row stride 2
    (6, 1, 16, 1, 1, 1, 1, 0, 6),           // one column: only border outputs
    (1, 10, 32, 1, 1, 1, 1, 0, 1),          // one row: the taps above and below outside
    (8, 40, 16, 1, 2, 1, 1, 2, 4),          // column stride 2 over 40 columns: 20 outputs (7, 7, 6 with the border one)
    (7, 7, 64, 1, 1, 1, 1, 0, 7),           // MobileNetV2's 7x7: one chunk of 7, both border outputs in it
    (5, 2, 16, 1, 1, 1, 1, 0, 5),           // two columns: a chunk of a left and a right border output
    (9, 15, 16, 1, 2, 1, 1, 0, 5),          // stride 2, odd width: one chunk of 8 with both border outputs
    (6, 12, 16, 1, 2, 0, 1, 0, 4),          // stride 2, even width, no row padding: a left border output only
] as [DepthwiseNHWCRowsCase])
func depthwiseNHWCBandGivesTheRowKernelsBits(_ t: DepthwiseNHWCRowsCase) {
    let (h, w, pitch, sh, sw, ph, pw, oy0, count) = t
    let oh = (h + 2 * ph - 3) / sh + 1, ow = (w + 2 * pw - 3) / sw + 1
    let g = DepthwiseNHWCGeometry(h: h, w: w, pitch: pitch, kh: 3, kw: 3, sh: sh, sw: sw, ph: ph, pw: pw, dh: 1, dw: 1, ow: ow)
    #expect(oy0 + count <= oh, "\(t): the band lies in the \(oh) output rows")
    var rng = SplitMix(seed: UInt64(h * 1000 + w * 10 + pitch))
    var x = (0..<(h * w * pitch)).map { _ in Float(rng.next() % 2000) / 250 - 4 }   // [-4, 4): past the clamp both ways
    x[x.count / 3] = .nan
    let wts = (0..<(9 * pitch)).map { _ in Float(rng.next() % 1000) / 1000 - 0.5 }
    let bias = (0..<pitch).map { _ in Float(rng.next() % 100) / 100 - 0.5 }
    // Rows ldo = row + 16 floats apart: the 16 between rows and 16 past the last stay sentinels.
    let row = ow * pitch, ldo = row + 16, sentinel: Float = 12345
    var band = [Float](repeating: sentinel, count: count * ldo)
    var rows = [Float](repeating: 0, count: count * row)
    x.withUnsafeBufferPointer { xp in wts.withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
        band.withUnsafeMutableBufferPointer { o in
            depthwiseNHWCRows(xp.baseAddress!, g, rows: oy0..<(oy0 + count), wp.baseAddress!, bp.baseAddress!, o.baseAddress!,
                              ldo: ldo, lo: -1, hi: 1.5)
        }
        rows.withUnsafeMutableBufferPointer { o in
            for r in 0..<count {
                depthwiseNHWCRow(xp.baseAddress!, g, oy: oy0 + r, wp.baseAddress!, bp.baseAddress!, o.baseAddress! + r * row,
                                 lo: -1, hi: 1.5)
            }
        }
    } } }
    var differ = 0, worst = 0.0
    for r in 0..<count {
        for i in 0..<row where band[r * ldo + i].bitPattern != rows[r * row + i].bitPattern { differ += 1 }
        #expect((row..<ldo).allSatisfy { band[r * ldo + $0] == sentinel }, "\(t): a store past row \(r)")
        // Double reference (the NaN's neighbours are NaN in both and skipped).
        for ox in 0..<ow { for ch in 0..<pitch {
            var s = Double(bias[ch])
            for ki in 0..<3 { for kj in 0..<3 {
                let iy = (oy0 + r) * sh - ph + ki, ix = ox * sw - pw + kj
                guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                s += Double(x[(iy * w + ix) * pitch + ch]) * Double(wts[(ki * 3 + kj) * pitch + ch])
            } }
            guard !s.isNaN else { continue }
            worst = max(worst, abs(Double(band[r * ldo + ox * pitch + ch]) - min(max(s, -1), 1.5)))
        } }
    }
    #expect(differ == 0, "\(t): \(differ) of \(count * row) outputs differ from the row kernel's bits")
    #expect(worst < 1e-5, "\(t): \(worst) from the Double sums")
    #expect(band.contains { $0.isNaN } == rows.contains { $0.isNaN }, "\(t): the NaN kept by both or by neither")
}

/// A small deterministic generator (tests only).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
