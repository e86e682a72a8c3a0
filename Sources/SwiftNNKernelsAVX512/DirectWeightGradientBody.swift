// The weight gradient of a wide strided convolution over few input channels (the DQN's 8x8/4 on
// 4 frames, a 7x7/2 stem) straight from the image: 32 output channels by 8 taps of one kernel row
// a block, 16 accumulators, each output position's upstream gradient (32 channels, channels-last)
// loaded once and each input value broadcast from the image. Through patch panels, every one of
// the 256 patch rows of the DQN's first layer was gathered at stride 4 for every output position
// (3.3M floats a batch) before the product: the gathers and the product together ran at about
// 110 GFLOP/s, where the direct forward's form of this loop (directEightByTwo) runs near 170.
//
// Each weight-gradient element is one FMA chain over the output positions in order (image by
// image, row by row), whichever worker runs it; the AVX-512 and AVX2 instances of this
// @inlinable body compute the same chains.

/// acc[(2j + h) * 16 + l] += sum over output positions (oy, ox) of one image, in order, of
/// g[(oy * ow + ox) * ldg + 16h + l] * x[(oy * sh + ki) * rowStride + ox * sw + j], for j < 8,
/// h < 2, l < 16: 32 output channels (g's columns from its pointer) by the 8 taps from x's
/// pointer (one kernel row's, from a tap offset). `x` is one input channel's plane with no
/// padding left to apply (the caller pads), read up to 7 floats past the last tap.
@inlinable @inline(__always)
public func directWeightGradientBody(_ x: UnsafePointer<Float>, rowStride: Int, ki: Int, sh: Int, sw: Int, oh: Int, ow: Int,
                                     _ g: UnsafePointer<Float>, ldg: Int, _ acc: UnsafeMutablePointer<Float>) {
    var a0 = nhwcLoad(acc), b0 = nhwcLoad(acc + 16), a1 = nhwcLoad(acc + 32), b1 = nhwcLoad(acc + 48)
    var a2 = nhwcLoad(acc + 64), b2 = nhwcLoad(acc + 80), a3 = nhwcLoad(acc + 96), b3 = nhwcLoad(acc + 112)
    var a4 = nhwcLoad(acc + 128), b4 = nhwcLoad(acc + 144), a5 = nhwcLoad(acc + 160), b5 = nhwcLoad(acc + 176)
    var a6 = nhwcLoad(acc + 192), b6 = nhwcLoad(acc + 208), a7 = nhwcLoad(acc + 224), b7 = nhwcLoad(acc + 240)
    var oy = 0
    while oy < oh {
        var xp = x + (oy &* sh &+ ki) &* rowStride, gp = g + oy &* ow &* ldg
        var ox = 0
        while ox < ow {
            let u = nhwcLoad(gp), v = nhwcLoad(gp + 16)
            var s = SIMD16(repeating: xp[0]); a0 = a0.addingProduct(s, u); b0 = b0.addingProduct(s, v)
            s = SIMD16(repeating: xp[1]); a1 = a1.addingProduct(s, u); b1 = b1.addingProduct(s, v)
            s = SIMD16(repeating: xp[2]); a2 = a2.addingProduct(s, u); b2 = b2.addingProduct(s, v)
            s = SIMD16(repeating: xp[3]); a3 = a3.addingProduct(s, u); b3 = b3.addingProduct(s, v)
            s = SIMD16(repeating: xp[4]); a4 = a4.addingProduct(s, u); b4 = b4.addingProduct(s, v)
            s = SIMD16(repeating: xp[5]); a5 = a5.addingProduct(s, u); b5 = b5.addingProduct(s, v)
            s = SIMD16(repeating: xp[6]); a6 = a6.addingProduct(s, u); b6 = b6.addingProduct(s, v)
            s = SIMD16(repeating: xp[7]); a7 = a7.addingProduct(s, u); b7 = b7.addingProduct(s, v)
            xp += sw; gp += ldg
            ox &+= 1
        }
        oy &+= 1
    }
    nhwcStore(acc, a0); nhwcStore(acc + 16, b0); nhwcStore(acc + 32, a1); nhwcStore(acc + 48, b1)
    nhwcStore(acc + 64, a2); nhwcStore(acc + 80, b2); nhwcStore(acc + 96, a3); nhwcStore(acc + 112, b3)
    nhwcStore(acc + 128, a4); nhwcStore(acc + 144, b4); nhwcStore(acc + 160, a5); nhwcStore(acc + 176, b5)
    nhwcStore(acc + 192, a6); nhwcStore(acc + 208, b6); nhwcStore(acc + 224, a7); nhwcStore(acc + 240, b7)
}

/// The AVX-512 instance (this module is compiled for AVX-512; callers check the CPU).
public func directWeightGradientAVX512(_ x: UnsafePointer<Float>, rowStride: Int, ki: Int, sh: Int, sw: Int, oh: Int, ow: Int,
                                       _ g: UnsafePointer<Float>, ldg: Int, _ acc: UnsafeMutablePointer<Float>) {
    directWeightGradientBody(x, rowStride: rowStride, ki: ki, sh: sh, sw: sw, oh: oh, ow: ow, g, ldg: ldg, acc)
}
