// Winograd F(2x2, 2x2) over space-to-depth blocks, for 2s x 2s windows at stride s (the DQN's
// 8x8/4 and 4x4/2, DCGAN's 4x4/2). Cut the input into s x s blocks of pixels, each block one
// "pixel" of C s^2 channels: the convolution becomes a 2x2 window at stride 1 over the block
// grid, output (y, x) reading blocks y, y + 1 and x, x + 1. F(2x2, 2x2) computes each 2x2 block
// of outputs from a 3x3 tile of blocks as A^T [(G g G^T) * (B^T d B)] A: 9 products per
// channel pair where the direct sum takes 16 (1.78x fewer). Every transform coefficient is 0
// or +-1, so the transforms are additions only and round no more than the direct sum's adds.
// From y0 = d0 g0 + d1 g1, y1 = d1 g0 + d2 g1: m1 = (d0 - d1) g0, m2 = d1 (g0 + g1),
// m3 = (d2 - d1) g1, y0 = m1 + m2, y1 = m2 + m3:
//
//   B^T = [1 -1 0; 0 1 0; 0 -1 1]   G = [1 0; 1 1; 0 1]   A^T = [1 1 0; 0 1 1]
//
// A block's channels come in one of two orders. Pixel-major, (row in the block, column in
// the block, channel): the image is an ordinary zero-bordered channels-last copy (8 channels
// by 8 columns transposed in registers), and block (Y, X) is its s rows of s pixels from
// pixel (s Y, s X), each row s C consecutive floats. Channel-major, (channel, row, column),
// for C not a multiple of 8 (the DQN's 4 frames): spaceToDepthImage's blocks, s consecutive
// pixels of an input row s consecutive floats. Callers validate sizes; -Ounchecked in release.

/// A block channel j's (channel, row in the block, column in the block).
@inline(__always)
func blockChannel(_ j: Int, c: Int, s: Int, pixelMajor: Bool) -> (ch: Int, sy: Int, sx: Int) {
    if pixelMajor { return (j % c, j / (s &* c), (j / c) % s) }
    return (j / (s &* s), (j / s) % s, j % s)
}

/// One image [c, h, w] as blocks, [rows, columns, c s^2]: block (Y, X) holds input pixels
/// (s Y + sy - pad, s X + sx - pad), zeros outside the image.
public func spaceToDepthImage(_ x: UnsafePointer<Float>, c: Int, h: Int, w: Int, s: Int, pad: Int, rows: Int, columns: Int,
                              _ dst: UnsafeMutablePointer<Float>) {
    let cs = c &* s &* s
    // Block by block, so that each block's cs floats are written in order (whole cache lines);
    // its rows of s pixels come from c * s input rows, which stay in L1 across the blocks.
    for by in 0..<rows {
        let rowsInside = s &* by &- pad >= 0 && s &* by &+ s &- pad <= h
        for bx in 0..<columns {
            let ix = s &* bx &- pad, d = dst + (by &* columns &+ bx) &* cs
            if rowsInside && ix >= 0 && ix &+ s <= w && (s == 4 || s == 2) {
                // the whole block inside the image: one vector copy a row of it
                var src = x + ((s &* by &- pad) &* w &+ ix), o = d
                for _ in 0..<c {
                    var r = src
                    for _ in 0..<s {
                        if s == 4 {
                            UnsafeMutableRawPointer(o).storeBytes(of: UnsafeRawPointer(r).loadUnaligned(as: SIMD4<Float>.self),
                                                                  as: SIMD4<Float>.self)
                        } else {
                            UnsafeMutableRawPointer(o).storeBytes(of: UnsafeRawPointer(r).loadUnaligned(as: SIMD2<Float>.self),
                                                                  as: SIMD2<Float>.self)
                        }
                        r += w
                        o += s
                    }
                    src += h &* w
                }
                continue
            }
            for ch in 0..<c {
                for sy in 0..<s {
                    let iy = s &* by &+ sy &- pad, o = d + (ch &* s &+ sy) &* s
                    for sx in 0..<s {
                        let xx = ix &+ sx
                        o[sx] = iy >= 0 && iy < h && xx >= 0 && xx < w ? x[(ch &* h &+ iy) &* w &+ xx] : 0
                    }
                }
            }
        }
    }
}

/// The transformed filters U = G g G^T of weight [k, c, 2s, 2s] (g's tap (a, b) for block
/// channel (ch, sy, sx) is the weight's tap (s a + sy, s b + sx) of channel ch), packed as
/// gemmPacked's B for each of the 9 products: product q at dst + q * cs * k, [cs rows, k
/// columns] in panels of 16 output channels (k a multiple of 16); output channels o0 ..< o1.
public func stridedWinogradPackFilters(_ weight: UnsafePointer<Float>, k: Int, c: Int, s: Int, pixelMajor: Bool,
                                       outputs o0: Int, to o1: Int, _ dst: UnsafeMutablePointer<Float>) {
    let cs = c &* s &* s, size = cs &* k, kernel = 2 &* s, taps = kernel &* kernel
    // Per panel and block channel the 16 filters' four taps gathered into vectors, then each
    // product's 16 values one vector store (scalar stores 9 products apart, 32 KB for the
    // DQN's 4x4/2, all in one L1 set, were a tenth of its forward).
    // (the taps go through a small buffer: setting a SIMD16's lanes one by one in a loop
    // compiled to a store and reload of the whole vector per lane, 19% of the 4x4/2 forward)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 64) { buffer in
        let taps4 = buffer.baseAddress!
        var panel = o0 / 16
        while panel &* 16 < o1 {
            for j in 0..<cs {
                let (ch, sy, sx) = blockChannel(j, c: c, s: s, pixelMajor: pixelMajor)
                let f = weight + ((panel &* 16 &* c &+ ch) &* taps &+ sy &* kernel &+ sx), filterStride = c &* taps
                for lane in 0..<16 {
                    let l = f + lane &* filterStride
                    taps4[lane] = l[0]; taps4[16 &+ lane] = l[s]
                    taps4[32 &+ lane] = l[s &* kernel]; taps4[48 &+ lane] = l[s &* kernel &+ s]
                }
                @inline(__always) func tap(_ i: Int) -> SIMD16<Float> {
                    UnsafeRawPointer(taps4 + 16 &* i).loadUnaligned(as: SIMD16<Float>.self)
                }
                let (g00, g01, g10, g11) = (tap(0), tap(1), tap(2), tap(3))
                // t = G g (rows g0, g0 + g1, g1), then U = t G^T (the same on each row)
                let d = dst + (panel &* cs &+ j) &* 16
                @inline(__always) func put(_ r: Int, _ a: SIMD16<Float>, _ b: SIMD16<Float>) {
                    UnsafeMutableRawPointer(d + (3 &* r) &* size).storeBytes(of: a, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(d + (3 &* r &+ 1) &* size).storeBytes(of: a + b, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(d + (3 &* r &+ 2) &* size).storeBytes(of: b, as: SIMD16<Float>.self)
                }
                put(0, g00, g01); put(1, g00 + g10, g01 + g11); put(2, g10, g11)
            }
            panel &+= 1
        }
    }
}

/// Input transform of tiles t0 ..< t0 + count of consecutive block images (`imageStride`
/// floats apart, `imageTiles` tiles each; tile t of an image at block row 2 (t / tilesW),
/// column 2 (t % tilesW)). Block (Y, X) of an image starts at Y rowStride + X columnStride;
/// its cs channels (cs a multiple of 8) are runs of `segment` floats (a multiple of 8),
/// `segmentStride` apart (channel-major blocks: one run of cs; pixel-major: s runs of s C,
/// the image's pixel rows apart). Writes V = B^T d B for product q at dst + q * blockStride,
/// tile row (t - t0) of cs floats; with `panelRows` (cs a multiple of 16) as gemmPacked's B,
/// panels of 16 channels `panelRows` rows apart.
public func stridedWinogradInputTiles(_ src: UnsafePointer<Float>, rowStride: Int, columnStride: Int, segment: Int,
                                      segmentStride: Int, cs: Int, tilesW: Int, imageTiles: Int, imageStride: Int, t0: Int,
                                      count: Int, _ dst: UnsafeMutablePointer<Float>, blockStride: Int, panelRows: Int? = nil) {
    let tileStep = panelRows == nil ? cs : 16, panelStep = 16 &* (panelRows ?? 1)
    for t in t0..<(t0 &+ count) {
        let (image, ty, tx) = tilePosition(t, imageTiles: imageTiles, tilesW: tilesW)
        let base = src + (image &* imageStride &+ 2 &* ty &* rowStride &+ 2 &* tx &* columnStride)
        let out = dst + (t &- t0) &* tileStep
        var c0 = 0
        while c0 < cs {
            let p = base + ((c0 / segment) &* segmentStride &+ c0 % segment)
            // e = d B, row by row: (d0 - d1, d1, d2 - d1)
            @inline(__always) func row(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let r = p + i &* rowStride
                let (d0, d1, d2) = (load8(r), load8(r + columnStride), load8(r + 2 &* columnStride))
                return (d0 - d1, d1, d2 - d1)
            }
            let e0 = row(0), e1 = row(1), e2 = row(2)
            let column = (c0 >> 4) &* panelStep &+ (c0 & 15)
            @inline(__always) func put(_ q: Int, _ v: SIMD8<Float>) { store8(out + (q &* blockStride &+ column), v) }
            // V = B^T e, column by column: (e0 - e1, e1, e2 - e1)
            put(0, e0.0 - e1.0); put(1, e0.1 - e1.1); put(2, e0.2 - e1.2)
            put(3, e1.0); put(4, e1.1); put(5, e1.2)
            put(6, e2.0 - e1.0); put(7, e2.1 - e1.1); put(8, e2.2 - e1.2)
            c0 &+= 8
        }
    }
}

/// Output transform of tiles t0 ..< t0 + count (numbered as the input transform's): product q
/// of tile row (t - t0) at m + q * blockStride + (t - t0) * k (k a multiple of 8); Y = A^T M A
/// plus bias[o], written channels-last to images [2 tilesH rows, 2 tilesW columns, k],
/// `imageStride` floats apart (whole vectors: callers transpose the rows they keep to NCHW,
/// where scattering each tile's four outputs per channel took a fifth of the forward).
public func stridedWinogradOutputTiles(_ m: UnsafePointer<Float>, blockStride: Int, k: Int, tilesW: Int, imageTiles: Int,
                                       t0: Int, count: Int, bias: UnsafePointer<Float>?, _ images: UnsafeMutablePointer<Float>,
                                       imageStride: Int) {
    let rowStride = 2 &* tilesW &* k
    for t in t0..<(t0 &+ count) {
        let (image, ty, tx) = tilePosition(t, imageTiles: imageTiles, tilesW: tilesW)
        let dst = images + (image &* imageStride &+ 2 &* ty &* rowStride &+ 2 &* tx &* k)
        let row = m + (t &- t0) &* k
        var k0 = 0
        while k0 < k {
            let r = row + k0
            // s = A^T M (2 x 3), column by column: (M0 + M1, M1 + M2); then Y = s A
            @inline(__always) func col(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
                let (m0, m1, m2) = (load8(r + j &* blockStride), load8(r + (3 &+ j) &* blockStride),
                                    load8(r + (6 &+ j) &* blockStride))
                return (m0 + m1, m1 + m2)
            }
            let s0 = col(0), s1 = col(1), s2 = col(2)
            let b = bias.map { load8($0 + k0) } ?? SIMD8<Float>()
            let d = dst + k0
            store8(d, s0.0 + s1.0 + b)
            store8(d + k, s1.0 + s2.0 + b)
            store8(d + rowStride, s0.1 + s1.1 + b)
            store8(d + (rowStride &+ k), s1.1 + s2.1 + b)
            k0 &+= 8
        }
    }
}

/// The weight gradient's transform of the output gradient (channels-last, [2 tilesH rows,
/// pitch columns, k], k a multiple of 8, zeros past the map): Y = A^T M A makes M's gradient
/// A dY A^T (3x3 from each 2x2 tile), written for product q at dst + q * blockStride, tile row
/// (t - t0) of k floats.
public func stridedWinogradGradientTiles(_ src: UnsafePointer<Float>, pitch: Int, k: Int, tilesW: Int, imageTiles: Int,
                                         imageStride: Int, t0: Int, count: Int, _ dst: UnsafeMutablePointer<Float>,
                                         blockStride: Int) {
    let rowStride = pitch &* k
    for t in t0..<(t0 &+ count) {
        let (image, ty, tx) = tilePosition(t, imageTiles: imageTiles, tilesW: tilesW)
        let base = src + (image &* imageStride &+ 2 &* ty &* rowStride &+ 2 &* tx &* k), out = dst + (t &- t0) &* k
        var k0 = 0
        while k0 < k {
            let p = base + k0
            // z = dY A^T, row by row: (y0, y0 + y1, y1); then A z, column by column, the same
            @inline(__always) func row(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let r = p + i &* rowStride
                let (y0, y1) = (load8(r), load8(r + k))
                return (y0, y0 + y1, y1)
            }
            let z0 = row(0), z1 = row(1)
            @inline(__always) func put(_ q: Int, _ v: SIMD8<Float>) { store8(out + (q &* blockStride &+ k0), v) }
            put(0, z0.0); put(1, z0.1); put(2, z0.2)
            put(3, z0.0 + z1.0); put(4, z0.1 + z1.1); put(5, z0.2 + z1.2)
            put(6, z1.0); put(7, z1.1); put(8, z1.2)
            k0 &+= 8
        }
    }
}

/// The filter gradient from the products' gradients: m holds, for product q, the sums over
/// tiles [k, cs] at m + q * k * cs; U = G g G^T makes g's gradient G^T dU G (rows and columns
/// (dU0 + dU1, dU1 + dU2)), written to gw [k, c, 2s, 2s] at the taps the block channels came
/// from.
public func stridedWinogradFilterGradients(_ m: UnsafePointer<Float>, k: Int, c: Int, s: Int, pixelMajor: Bool,
                                           _ gw: UnsafeMutablePointer<Float>) {
    let cs = c &* s &* s, size = k &* cs, kernel = 2 &* s
    for o in 0..<k {
        for j in 0..<cs {
            let base = m + (o &* cs &+ j)
            @inline(__always) func at(_ q: Int) -> Float { base[q &* size] }
            // t = G^T dU (2 x 3), then t G
            let t00 = at(0) + at(3), t01 = at(1) + at(4), t02 = at(2) + at(5)
            let t10 = at(3) + at(6), t11 = at(4) + at(7), t12 = at(5) + at(8)
            let (ch, sy, sx) = blockChannel(j, c: c, s: s, pixelMajor: pixelMajor)
            let f = gw + (o &* c &+ ch) &* kernel &* kernel
            f[sy &* kernel &+ sx] = t00 + t01
            f[sy &* kernel &+ s &+ sx] = t01 + t02
            f[(s &+ sy) &* kernel &+ sx] = t10 + t11
            f[(s &+ sy) &* kernel &+ s &+ sx] = t11 + t12
        }
    }
}
