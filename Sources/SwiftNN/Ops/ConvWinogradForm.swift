// The two Winograd algorithms the convolution runs, behind one interface, so that the forward
// and the weight gradient (ConvWinograd.swift) are written once: F(2x2, 3x3) for 3x3 windows at
// stride 1 (SwiftNNKernels/Winograd.swift), and F(2x2, 2x2) over space-to-depth blocks for
// 2s x 2s windows at stride s (SwiftNNKernels/WinogradStrided.swift). Both compute 2x2 blocks
// of outputs from a tile of image "pixels" (pixels, or s x s blocks of them) as
// A^T [U * V] A, products summed over channels as GEMMs.
import SwiftNNKernels

struct WinogradForm {
    /// 1: F(2x2, 3x3); else the block size (the window's stride).
    let s: Int
    /// The input channels.
    let c: Int

    /// F(2x2, 2x2)'s blocks pixel-major, read from a channels-last image (C a multiple of 8),
    /// else channel-major (SwiftNNKernels/WinogradStrided.swift).
    var pixelMajor: Bool { c % 8 == 0 }

    /// The elementwise products per tile (GEMMs per block of tiles).
    var products: Int { s == 1 ? 16 : 9 }

    /// Channels of one image pixel: C, or C s^2 for a block.
    var channels: Int { c * s * s }

    /// Image pixels or blocks (rows or columns) that `tiles` tiles reach: 4x4 tiles 2 apart,
    /// 3x3 ones.
    func reach(_ tiles: Int) -> Int { s == 1 ? 2 * tiles + 2 : 2 * tiles + 1 }

    /// One image [c, h, w] as the transforms read it, `rows` x `columns` pixels or blocks of
    /// `channels` floats each, zeros past the image.
    func image(_ x: UnsafePointer<Float>, h: Int, w: Int, pad: Int, rows: Int, columns: Int, _ dst: UnsafeMutablePointer<Float>) {
        if s == 1 || pixelMajor {
            return winogradImage(x, c: c, h: h, w: w, pad: pad, rows: s * rows, columns: s * columns, dst)
        }
        spaceToDepthImage(x, c: c, h: h, w: w, s: s, pad: pad, rows: rows, columns: columns, dst)
    }

    /// The filters' transforms for output channels o0 ..< o1 (whole panels of 16), packed as
    /// each product's B [channels(c), k] at dst + q * channels(c) * k.
    func packFilters(_ weight: UnsafePointer<Float>, k: Int, outputs o0: Int, to o1: Int, _ dst: UnsafeMutablePointer<Float>) {
        if s == 1 { return winogradPackFilters(weight, k: k, c: c, outputs: o0, to: o1, dst) }
        stridedWinogradPackFilters(weight, k: k, c: c, s: s, pixelMajor: pixelMajor, outputs: o0, to: o1, dst)
    }

    /// The input transform of a block of tiles of images `columns` pixels or blocks wide (see
    /// winogradInputTiles).
    func inputTiles(_ src: UnsafePointer<Float>, columns: Int, tilesW: Int, imageTiles: Int, imageStride: Int,
                    t0: Int, count: Int, _ dst: UnsafeMutablePointer<Float>, blockStride: Int, panelRows: Int? = nil) {
        if s == 1 {
            return winogradInputTiles(src, pitch: columns, c: c, tilesW: tilesW, imageTiles: imageTiles, imageStride: imageStride,
                                      t0: t0, count: count, dst, blockStride: blockStride, panelRows: panelRows)
        }
        // pixel-major: a block row is s pixel rows of s columns pixels, a block s pixels wide,
        // its s rows (runs of s C floats) a pixel row apart
        let rowStride = columns * channels, run = s * c
        stridedWinogradInputTiles(src, rowStride: rowStride, columnStride: pixelMajor ? run : channels,
                                  segment: pixelMajor ? run : channels, segmentStride: pixelMajor ? columns * run : 0,
                                  cs: channels, tilesW: tilesW, imageTiles: imageTiles, imageStride: imageStride, t0: t0,
                                  count: count, dst, blockStride: blockStride, panelRows: panelRows)
    }

    /// Floats of one image's output the forward keeps beside it before NCHW: F(2x2, 2x2) writes
    /// its tiles channels-last, [2 tilesH, 2 tilesW, k] (the transpose to NCHW after each group
    /// of images); F(2x2, 3x3) writes NCHW itself.
    func outputScratch(tilesH: Int, tilesW: Int, k: Int) -> Int { s == 1 ? 0 : 4 * tilesH * tilesW * k }

    /// The output transform of a block of tiles with the bias: to the NCHW images `images`, or
    /// for F(2x2, 2x2) to the channels-last `scratch` (see outputScratch).
    func outputTiles(_ m: UnsafePointer<Float>, blockStride: Int, k: Int, tilesW: Int, imageTiles: Int, t0: Int, count: Int,
                     bias: UnsafePointer<Float>?, outH: Int, outW: Int, _ images: UnsafeMutablePointer<Float>,
                     scratch: UnsafeMutablePointer<Float>) {
        if s == 1 {
            return winogradOutputTiles(m, blockStride: blockStride, k: k, tilesW: tilesW, imageTiles: imageTiles, t0: t0,
                                       count: count, bias: bias, outH: outH, outW: outW, images)
        }
        stridedWinogradOutputTiles(m, blockStride: blockStride, k: k, tilesW: tilesW, imageTiles: imageTiles, t0: t0,
                                   count: count, bias: bias, scratch, imageStride: 4 * imageTiles * k)
    }

    /// After a group's tiles: F(2x2, 2x2)'s channels-last outputs (`count` images in
    /// `scratch`) through the activation while in cache, then transposed to the NCHW images,
    /// the rows and columns inside the map (an even width: the whole image at once). Returns
    /// whether it applied the activation (F(2x2, 3x3): the caller does, on the NCHW images).
    func finishOutputs(_ scratch: UnsafeMutablePointer<Float>, count: Int, k: Int, tilesH: Int, tilesW: Int, outH: Int,
                       outW: Int, activation: FusedActivation, _ images: UnsafeMutablePointer<Float>) -> Bool {
        if s == 1 { return false }
        let plane = outH * outW, rowFloats = 2 * tilesW * k, imageFloats = 4 * tilesH * tilesW * k
        activation.apply(scratch, count: count * imageFloats)
        for j in 0..<count {
            let src = scratch + j * imageFloats, dst = images + j * k * plane
            if outW == 2 * tilesW {
                transposeToPlanes(src, positions: plane, c: k, pitch: k, dst, planeStride: plane)
                continue
            }
            for y in 0..<outH {
                transposeToPlanes(src + y * rowFloats, positions: outW, c: k, pitch: k, dst + y * outW, planeStride: plane)
            }
        }
        return true
    }

    /// The weight gradient's transform of a block of the output gradient's tiles.
    func gradientTiles(_ src: UnsafePointer<Float>, pitch: Int, k: Int, tilesW: Int, imageTiles: Int, imageStride: Int,
                       t0: Int, count: Int, _ dst: UnsafeMutablePointer<Float>, blockStride: Int) {
        if s == 1 {
            return winogradGradientTiles(src, pitch: pitch, k: k, tilesW: tilesW, imageTiles: imageTiles,
                                         imageStride: imageStride, t0: t0, count: count, dst, blockStride: blockStride)
        }
        stridedWinogradGradientTiles(src, pitch: pitch, k: k, tilesW: tilesW, imageTiles: imageTiles,
                                     imageStride: imageStride, t0: t0, count: count, dst, blockStride: blockStride)
    }

    /// gw [k, c, kh, kw] from the products' gradients summed over tiles, [k, channels(c)] each.
    func filterGradients(_ m: UnsafePointer<Float>, k: Int, _ gw: UnsafeMutablePointer<Float>) {
        if s == 1 { return winogradFilterGradients(m, k: k, c: c, gw) }
        stridedWinogradFilterGradients(m, k: k, c: c, s: s, pixelMajor: pixelMajor, gw)
    }
}
