// col2im that writes each input-gradient row once, summed in registers, instead of scattering
// every patch entry onto it: the convolution input gradient's last pass in the packed backward.
//
// col2im adds the patch matrix onto the image entry by entry. On the Nature DQN network's maps
// (rows of 7 and 9 floats at stride 1, 9 onto 20 at stride 2) that runs element by element: 18-19%
// of the 4x4/2 and 3x3 convolutions' backward (perf, batch 32), about 3 cycles an entry. A masked
// vector add per patch row kept the bits but was 3x slower (each add's load overlapped the
// previous add's store, which the CPU cannot forward; Col2ImTests). Here the loops turn around:
// for each input row, every kernel tap that reads it is added, in col2im's order, to a register
// that starts at zero, and the row is stored once; nothing is loaded from the gradient, so
// nothing waits on a store. For every element the additions are col2im's, in its order (kernel
// row, then kernel column: the output position is fixed by both), onto +0 as on a zeroed
// image, so the bits are col2im's on a zeroed destination (Col2ImRowsTests). The body, for
// AVX-512 and AVX2: SwiftNNKernelsAVX512/Col2ImRowsBody.swift.
//
// Measured (`bench-kernels --col2im`, one thread, the DQN's batch of 32): 4x4/2 onto 20x20
// 1.01 -> 0.76 ms, 3x3 onto 9x9 0.68 -> 0.34 ms (zero + col2im -> this). Each row's taps form
// one chain of dependent adds, which is what is left; splitting it would change the order. In
// a 2-thread backward with all gradients: 2.55 -> 2.41 ms and 2.06 -> 1.83 ms. Computing the
// input gradient's product in column blocks, so that col2im read it from the L2, changed nothing
// measurable (not kept).

import SwiftNNKernelsAVX512

/// Floats `col2imOverwriting` may read before the first and after the last patch entry it
/// uses (each read is a whole vector; the lanes outside the patch row are masked off).
public let col2imSlack = 128

/// Whether `col2imOverwriting` takes geometry `g` on its vector path: strides 1 and 2 along
/// the row, rows of at most 64 floats, and windows that reach at most 32 columns to the left
/// (padding) and 64 to the right (kernel width times dilation), so that every vector read stays
/// within `col2imSlack` floats of the patch row. Other geometries zero the image and run col2im.
public func col2imRowsApply(_ g: WindowGeometry) -> Bool {
    (g.strideW == 1 || g.strideW == 2) && g.width <= 64 && g.padW <= 32 && (g.kernelW &- 1) &* g.dilationW <= 64
}

/// dst ([channels, height, width]) = col2im of the patch matrix `src` (rows `ld` floats apart)
/// onto a zeroed image, whatever dst held: the same bits as zeroing dst and calling `col2im`.
/// Reads `src` from `col2imSlack` floats before its first entry to as many after its last
/// (patchSize - 1) * ld + outPlane; those extra lanes are never used.
public func col2imOverwriting(_ src: UnsafePointer<Float>, ld: Int, _ g: WindowGeometry, _ dst: UnsafeMutablePointer<Float>) {
    guard col2imRowsApply(g) else {
        dst.update(repeating: 0, count: g.channels &* g.inPlane)
        return col2im(src, ld: ld, g, dst)
    }
    let r = Col2ImRowsGeometry(channels: g.channels, height: g.height, width: g.width, kernelH: g.kernelH, kernelW: g.kernelW,
                               strideH: g.strideH, strideW: g.strideW, padH: g.padH, padW: g.padW,
                               dilationH: g.dilationH, dilationW: g.dilationW, outH: g.outH, outW: g.outW)
    if PackedGemmKernels.useAVX512 { return col2imRowsAVX512(src, ld: ld, r, dst) }
    if g.strideW == 1 { col2imRowsBody(src, ld: ld, r, dst, stride: 1) } else { col2imRowsBody(src, ld: ld, r, dst, stride: 2) }
}
