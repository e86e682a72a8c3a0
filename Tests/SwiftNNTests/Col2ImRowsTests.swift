// col2imOverwriting (each input-gradient row summed in registers and stored once) against
// zeroing the image and running col2im, bit for bit: the DQN's maps (7 and 9 wide at stride 1,
// 20 wide at stride 2), rows wider than a vector (the last one partial), padding, dilation,
// vertical strides the rows do not have, geometries its vector path does not take, several
// images in one patch matrix, signed zeros, and NaN in the slack it may read and in the
// destination it must overwrite; the AVX-512 and the AVX2 instance.
import Testing
import SwiftNNKernels

private func entries(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        let v = Int(s % 2001) - 1000
        return v % 7 == 0 ? -0.0 : Float(v) / 1000
    }
}

@Test(arguments: [
    // (channels, height, width, kernel h, kernel w, stride h, stride w, pad h, pad w, dilation h, dilation w)
    (3, 9, 9, 3, 3, 1, 1, 0, 0, 1, 1),      // the DQN's 3x3 (rows of 7 onto 9)
    (2, 20, 20, 4, 4, 2, 2, 0, 0, 1, 1),    // the DQN's 4x4/2 (9 onto 20)
    (2, 84, 84, 8, 8, 4, 4, 0, 0, 1, 1),    // stride 4: zero + col2im
    (4, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1),
    (2, 11, 11, 3, 3, 1, 1, 0, 0, 2, 2),
    (3, 9, 9, 4, 4, 2, 2, 0, 0, 1, 1),
    (2, 20, 20, 4, 4, 2, 2, 1, 1, 1, 1),
    (2, 8, 8, 1, 1, 1, 1, 0, 0, 1, 1),
    (3, 5, 5, 5, 5, 1, 1, 2, 2, 1, 1),
    (2, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1),
    (2, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1),    // a one-float last block
    (1, 6, 64, 3, 5, 1, 1, 1, 2, 1, 1),     // eight blocks
    (1, 6, 63, 3, 3, 3, 2, 1, 1, 2, 1),     // vertical stride 3, horizontal 2
    (1, 7, 30, 2, 7, 2, 1, 0, 3, 1, 2),
    (1, 4, 65, 3, 3, 1, 1, 1, 1, 1, 1),     // too wide: zero + col2im
    (2, 3, 3, 3, 3, 1, 1, 2, 2, 1, 1),      // padding wider than the map
])
func col2imOverwritingMatchesZeroedCol2imBitForBit(_ t: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)) {
    let (channels, height, width, kh, kw, sh, sw, ph, pw, dh, dw) = t
    let oh = (height + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (width + 2 * pw - dw * (kw - 1) - 1) / sw + 1
    let g = WindowGeometry(channels: channels, height: height, width: width, kernelH: kh, kernelW: kw, strideH: sh,
                           strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH: oh, outW: ow)
    let images = 3, plane = oh * ow, ld = images * plane + 5, slack = col2imSlack
    // the patch matrix between slack regions of NaN, which the masked-off lanes may read
    var src = [Float](repeating: .nan, count: slack + g.patchSize * ld + slack)
    let body = entries(g.patchSize * ld, seed: 11)
    for i in 0..<body.count { src[slack + i] = body[i] }
    // each image followed by 16 floats it must not touch (a store past the plane once ran into them)
    let imageFloats = channels * g.inPlane, imageStride = imageFloats + 16
    let canary = Float(bitPattern: 0x7FC0_1234)
    var got = [Float](repeating: canary, count: images * imageStride)
    var want = got
    for i in 0..<images {
        for j in 0..<imageFloats { got[i * imageStride + j] = .nan; want[i * imageStride + j] = 0 }
    }
    src.withUnsafeBufferPointer { s in
        want.withUnsafeMutableBufferPointer { d in
            for i in 0..<images { col2im(s.baseAddress! + slack + i * plane, ld: ld, g, d.baseAddress! + i * imageStride) }
        }
    }
    // both instances of the body: AVX-512 (where the CPU has it) and AVX2
    let saved = PackedGemmKernels.useAVX512
    defer { PackedGemmKernels.useAVX512 = saved }
    for avx512 in [true, false] {
        PackedGemmKernels.useAVX512 = avx512 && PackedGemmKernels.avx512Supported
        var out = got
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<images { col2imOverwriting(s.baseAddress! + slack + i * plane, ld: ld, g, d.baseAddress! + i * imageStride) }
            }
        }
        let differing = zip(out, want).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(differing == 0, "\(t), AVX-512 \(avx512): \(differing) of \(out.count) elements differ (canaries included)")
    }
}

@Test func col2imRowsRuleTakesTheDQNShapesAndNotStrideFour() {
    func geometry(_ w: Int, _ k: Int, _ s: Int, _ p: Int) -> WindowGeometry {
        let o = (w + 2 * p - k) / s + 1
        return WindowGeometry(channels: 1, height: w, width: w, kernelH: k, kernelW: k, strideH: s, strideW: s,
                              padH: p, padW: p, dilationH: 1, dilationW: 1, outH: o, outW: o)
    }
    #expect(col2imRowsApply(geometry(9, 3, 1, 0)))
    #expect(col2imRowsApply(geometry(20, 4, 2, 0)))
    #expect(col2imRowsApply(geometry(56, 3, 1, 1)))
    #expect(!col2imRowsApply(geometry(84, 8, 4, 0)))
    #expect(!col2imRowsApply(geometry(112, 3, 1, 1)))
}
