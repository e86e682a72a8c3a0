// Winograd F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016): a 3x3 convolution at stride 1 computes each 2x2 block of outputs from a 4x4 input
// tile as A^T [(G g G^T) * (B^T d B)] A, 16 products per channel pair where the direct method
// takes 36. Summed over input channels, the 16 elementwise products become 16 GEMMs
// [tiles, C] x [C, K]; the transforms around them are additions only. Here the input tile and
// the products are channels-last (16 channels, or 16 output channels, a vector), so the
// transforms run on whole vectors and each GEMM's A is the transformed tiles row by row.
//
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
//
// Callers validate sizes; -Ounchecked in release.

/// The transformed filters U = G g G^T of weight [k, c, 3, 3], output channels o0 ..< o1 (a
/// range of whole panels), packed as gemmPacked's B for each of the 16 products: product q at
/// dst + q * c * k, [c rows, k columns] in panels of 16 output channels (k a multiple of 16).
/// Sixteen output channels a vector: the 16 filters' taps of 8 input channels are first copied
/// tap-major into a small buffer (scalar copies, 64 bytes a row), then each tap is one vector
/// load and the transform runs on whole vectors, each product's row one store. (Gathering each
/// tap lane by lane into a SIMD16 cost about 10 cycles a lane: 3% of a DQN target forward.)
public func winogradPackFilters(_ weight: UnsafePointer<Float>, k: Int, c: Int, outputs o0: Int, to o1: Int,
                                _ dst: UnsafeMutablePointer<Float>) {
    let size = c &* k, filterStride = c &* 9
    let chunk = 8
    withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk * 9 * 16) { scratch in
        let buf = scratch.baseAddress!
        var panel = o0 / 16
        while panel &* 16 < o1 {
            let base = dst + panel &* c &* 16
            var i0 = 0
            while i0 < c {
                let width = min(chunk, c &- i0), taps = width &* 9
                // buf[j * 16 + lane] = tap j (channel i0 + j / 9, tap j % 9) of filter panel*16 + lane
                for lane in 0..<16 {
                    let filter: Int = (panel &* 16 &+ lane) &* filterStride
                    let src: UnsafePointer<Float> = weight + (filter &+ i0 &* 9)
                    for j in 0..<taps { buf[j &* 16 &+ lane] = src[j] }
                }
                for ii in 0..<width {
                    let i = i0 &+ ii
                    @inline(__always) func tap(_ t: Int) -> SIMD16<Float> {
                        UnsafeRawPointer(buf + (ii &* 9 &+ t) &* 16).loadUnaligned(as: SIMD16<Float>.self)
                    }
                    let half = SIMD16<Float>(repeating: 0.5)
                    // t = G g: rows of 3 taps each
                    @inline(__always) func rowsOf(_ j: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                        let (g0, g1, g2) = (tap(j), tap(3 &+ j), tap(6 &+ j))
                        return (g0, half * (g0 + g1 + g2), half * (g0 - g1 + g2), g2)
                    }
                    let c0 = rowsOf(0), c1 = rowsOf(1), c2 = rowsOf(2)
                    // U = t G^T, row r of t is (c0.r, c1.r, c2.r)
                    @inline(__always) func put(_ r: Int, _ a: SIMD16<Float>, _ b: SIMD16<Float>, _ cc: SIMD16<Float>) {
                        let d = base + (4 &* r &* size &+ i &* 16)
                        store16(d, a)
                        store16(d + size, half * (a + b + cc))
                        store16(d + 2 &* size, half * (a - b + cc))
                        store16(d + 3 &* size, cc)
                    }
                    put(0, c0.0, c1.0, c2.0); put(1, c0.1, c1.1, c2.1); put(2, c0.2, c1.2, c2.2); put(3, c0.3, c1.3, c2.3)
                }
                i0 &+= chunk
            }
            panel &+= 1
        }
    }
}

/// Tile t of consecutive images' tiles (`imageTiles` each, rows of `tilesW`): its image, tile
/// row and tile column.
@inline(__always)
func tilePosition(_ t: Int, imageTiles: Int, tilesW: Int) -> (image: Int, ty: Int, tx: Int) {
    let image = t / imageTiles, local = t &- image &* imageTiles
    let ty = local / tilesW
    return (image, ty, local &- ty &* tilesW)
}

@inline(__always)
private func store16(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// Input transform of tiles t0 ..< t0 + count of consecutive images: each image channels-last
/// and zero-bordered, [rows, pitch columns, c] (c a multiple of 8), `imageStride` floats apart,
/// `imageTiles` tiles each; tile t of an image at row 2 (t / tilesW), column 2 (t % tilesW).
/// Writes V = B^T d B for product q at dst + q * blockStride, tile row (t - t0) of c floats;
/// with `panelRows` (c a multiple of 16) each product as gemmPacked's B instead, [count rows,
/// c columns] in panels of 16 channels `panelRows` rows apart, so that the weight gradient
/// multiplies it unpacked. (Callers space the products and panels a cache line past multiples
/// of 4 KB: the 16 stores of each tile went to one L1 set.)
public func winogradInputTiles(_ src: UnsafePointer<Float>, pitch: Int, c: Int, tilesW: Int, imageTiles: Int,
                               imageStride: Int, t0: Int, count: Int, _ dst: UnsafeMutablePointer<Float>, blockStride: Int,
                               panelRows: Int? = nil) {
    let rowStride = pitch &* c
    // channel c0's offset in a tile's row: (c0 / 16) * panelStep + c0 % 16, which is c0 in rows
    let tileStep = panelRows == nil ? c : 16, panelStep = 16 &* (panelRows ?? 1)
    for t in t0..<(t0 &+ count) {
        let (image, ty, tx) = tilePosition(t, imageTiles: imageTiles, tilesW: tilesW)
        let base = src + (image &* imageStride &+ 2 &* ty &* rowStride &+ 2 &* tx &* c), out = dst + (t &- t0) &* tileStep
        var c0 = 0
        while c0 < c {
            let p = base + c0
            // e = d B, row by row
            @inline(__always) func row(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let r = p + i &* rowStride
                let (d0, d1, d2, d3) = (load8(r), load8(r + c), load8(r + 2 &* c), load8(r + 3 &* c))
                return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
            }
            let e0 = row(0), e1 = row(1), e2 = row(2), e3 = row(3)
            // V = B^T e, column by column
            let column = (c0 >> 4) &* panelStep &+ (c0 & 15)
            @inline(__always) func put(_ q: Int, _ v: SIMD8<Float>) { store8(out + (q &* blockStride &+ column), v) }
            put(0, e0.0 - e2.0); put(1, e0.1 - e2.1); put(2, e0.2 - e2.2); put(3, e0.3 - e2.3)
            put(4, e1.0 + e2.0); put(5, e1.1 + e2.1); put(6, e1.2 + e2.2); put(7, e1.3 + e2.3)
            put(8, e2.0 - e1.0); put(9, e2.1 - e1.1); put(10, e2.2 - e1.2); put(11, e2.3 - e1.3)
            put(12, e1.0 - e3.0); put(13, e1.1 - e3.1); put(14, e1.2 - e3.2); put(15, e1.3 - e3.3)
            c0 &+= 8
        }
    }
}

/// The weight gradient's transform of the output gradient, for tiles t0 ..< t0 + count
/// (numbered as `winogradInputTiles`'): each image's gradient channels-last, [2 tilesH rows,
/// pitch columns, k] (k a multiple of 8), zeros past the map, `imageStride` floats apart. The
/// forward's Y = A^T M A makes M's gradient A dY A^T (4x4 from each 2x2 tile), written for
/// product q at dst + q * blockStride, tile row (t - t0) of k floats.
public func winogradGradientTiles(_ src: UnsafePointer<Float>, pitch: Int, k: Int, tilesW: Int, imageTiles: Int,
                                  imageStride: Int, t0: Int, count: Int, _ dst: UnsafeMutablePointer<Float>, blockStride: Int) {
    let rowStride = pitch &* k
    for t in t0..<(t0 &+ count) {
        let (image, ty, tx) = tilePosition(t, imageTiles: imageTiles, tilesW: tilesW)
        let base = src + (image &* imageStride &+ 2 &* ty &* rowStride &+ 2 &* tx &* k), out = dst + (t &- t0) &* k
        var k0 = 0
        while k0 < k {
            let p = base + k0
            // z = dY A^T, row by row: (y0, y0 + y1, y0 - y1, -y1)
            @inline(__always) func row(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let r = p + i &* rowStride
                let (y0, y1) = (load8(r), load8(r + k))
                return (y0, y0 + y1, y0 - y1, -y1)
            }
            let z0 = row(0), z1 = row(1)
            // A z, column by column: rows (z0, z0 + z1, z0 - z1, -z1)
            @inline(__always) func put(_ q: Int, _ v: SIMD8<Float>) { store8(out + (q &* blockStride &+ k0), v) }
            put(0, z0.0); put(1, z0.1); put(2, z0.2); put(3, z0.3)
            put(4, z0.0 + z1.0); put(5, z0.1 + z1.1); put(6, z0.2 + z1.2); put(7, z0.3 + z1.3)
            put(8, z0.0 - z1.0); put(9, z0.1 - z1.1); put(10, z0.2 - z1.2); put(11, z0.3 - z1.3)
            put(12, -z1.0); put(13, -z1.1); put(14, -z1.2); put(15, -z1.3)
            k0 &+= 8
        }
    }
}

/// The filter gradient from the products' gradients: m holds, for product q, the sums over
/// tiles [k, c] at m + q * k * c (c a multiple of 8); U = G g G^T makes g's gradient
/// G^T dU G, written to gw [k, c, 3, 3].
public func winogradFilterGradients(_ m: UnsafePointer<Float>, k: Int, c: Int, _ gw: UnsafeMutablePointer<Float>) {
    let size = k &* c, half = SIMD8<Float>(repeating: 0.5)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 72) { lanesBuffer in
        let lanes = lanesBuffer.baseAddress!
        for o in 0..<k {
            var i0 = 0
            while i0 < c {
                let base = m + (o &* c &+ i0)
                @inline(__always) func at(_ q: Int) -> SIMD8<Float> { load8(base + q &* size) }
                // t = G^T dU (3 x 4), column by column; then G^T dU G = t G, row by row
                @inline(__always) func col(_ s: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                    let (m0, m1, m2, m3) = (at(s), at(4 &+ s), at(8 &+ s), at(12 &+ s))
                    let sum = half * (m1 + m2)
                    return (m0 + sum, half * (m1 - m2), sum + m3)
                }
                let t0 = col(0), t1 = col(1), t2 = col(2), t3 = col(3)
                @inline(__always) func put(_ a: Int, _ u0: SIMD8<Float>, _ u1: SIMD8<Float>, _ u2: SIMD8<Float>, _ u3: SIMD8<Float>) {
                    let sum = half * (u1 + u2)
                    store8(lanes + 24 &* a, u0 + sum)
                    store8(lanes + (24 &* a &+ 8), half * (u1 - u2))
                    store8(lanes + (24 &* a &+ 16), sum + u3)
                }
                put(0, t0.0, t1.0, t2.0, t3.0); put(1, t0.1, t1.1, t2.1, t3.1); put(2, t0.2, t1.2, t2.2, t3.2)
                // lanes[8 (3a + b) + j] is tap (a, b) of input channel i0 + j
                for j in 0..<8 {
                    let d = gw + (o &* c &+ i0 &+ j) &* 9
                    for tap in 0..<9 { d[tap] = lanes[8 &* tap &+ j] }
                }
                i0 &+= 8
            }
        }
    }
}

/// Output transform of tiles t0 ..< t0 + count (numbered as `winogradInputTiles`'): product q
/// of tile row (t - t0) at m + q * blockStride + (t - t0) * k (k a multiple of 8); Y = A^T M A
/// plus bias[o], written to the NCHW images at `dst` [k, outH, outW] each (a tile's outputs
/// past outH or outW dropped).
public func winogradOutputTiles(_ m: UnsafePointer<Float>, blockStride: Int, k: Int, tilesW: Int, imageTiles: Int,
                                t0: Int, count: Int, bias: UnsafePointer<Float>?, outH: Int, outW: Int,
                                _ images: UnsafeMutablePointer<Float>) {
    let plane = outH &* outW
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 128) { lanesBuffer in
        let lanes = lanesBuffer.baseAddress!
        var t = t0
        while t < t0 &+ count {
            let (image, ty, tx) = tilePosition(t, imageTiles: imageTiles, tilesW: tilesW)
            let dst = images + image &* k &* plane
            let oy = 2 &* ty, ox = 2 &* tx
            let full = oy &+ 2 <= outH && ox &+ 2 <= outW
            let row = m + (t &- t0) &* k
            // Eight tiles of one tile row, all their outputs inside the map, and in this block:
            // eight channels' 16 output columns a row each, whole vectors (8x8 transposes).
            if t &+ 8 <= t0 &+ count && tx &+ 8 <= tilesW && ox &+ 16 <= outW && oy &+ 2 <= outH {
                var k0 = 0
                while k0 < k {
                    let b = bias.map { load8($0 + k0) } ?? SIMD8<Float>()
                    outputEightTiles(row + k0, tileStride: k, blockStride: blockStride, bias: b,
                                     dst + (k0 &* plane &+ oy &* outW &+ ox), plane: plane, outW: outW, lanes)
                    k0 &+= 8
                }
                t &+= 8
                continue
            }
            var k0 = 0
            while k0 < k {
                let r = row + k0
                // s = A^T M (2 x 4), column by column; then Y = s A
                @inline(__always) func col(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
                    let (m0, m1, m2, m3) = (load8(r + j &* blockStride), load8(r + (4 &+ j) &* blockStride),
                                            load8(r + (8 &+ j) &* blockStride), load8(r + (12 &+ j) &* blockStride))
                    return (m0 + m1 + m2, m1 - m2 - m3)
                }
                let s0 = col(0), s1 = col(1), s2 = col(2), s3 = col(3)
                let b = bias.map { load8($0 + k0) } ?? SIMD8<Float>()
                store8(lanes, s0.0 + s1.0 + s2.0 + b)
                store8(lanes + 8, s1.0 - s2.0 - s3.0 + b)
                store8(lanes + 16, s0.1 + s1.1 + s2.1 + b)
                store8(lanes + 24, s1.1 - s2.1 - s3.1 + b)
                for o in 0..<8 {
                    let d = dst + ((k0 &+ o) &* plane &+ oy &* outW &+ ox)
                    if full {
                        d[0] = lanes[o]; d[1] = lanes[8 &+ o]; d[outW] = lanes[16 &+ o]; d[outW &+ 1] = lanes[24 &+ o]
                        continue
                    }
                    d[0] = lanes[o]
                    if ox &+ 1 < outW { d[1] = lanes[8 &+ o] }
                    if oy &+ 1 < outH {
                        d[outW] = lanes[16 &+ o]
                        if ox &+ 1 < outW { d[outW &+ 1] = lanes[24 &+ o] }
                    }
                }
                k0 &+= 8
            }
            t &+= 1
        }
    }
}

/// Output rows oy and oy + 1, columns ox ..< ox + 16 of channels k0 ..< k0 + 8 (at dst, planes
/// `plane` apart) from eight tiles' products (tile j's row at m + j * tileStride): per output
/// row, each tile's two columns for the eight channels, transposed to eight channels' runs of
/// eight tiles and interleaved. `lanes` holds 64 floats.
@inline(__always)
private func outputEightTiles(_ m: UnsafePointer<Float>, tileStride: Int, blockStride: Int, bias: SIMD8<Float>,
                              _ dst: UnsafeMutablePointer<Float>, plane: Int, outW: Int, _ lanes: UnsafeMutablePointer<Float>) {
    for a in 0..<2 {
        // tile j's outputs (a, 0) at lanes[8j], (a, 1) at lanes[32 + ...]: first the columns
        for j in 0..<8 {
            let r = m + j &* tileStride
            @inline(__always) func s(_ col: Int) -> SIMD8<Float> {
                let (m0, m1, m2, m3) = (load8(r + col &* blockStride), load8(r + (4 &+ col) &* blockStride),
                                        load8(r + (8 &+ col) &* blockStride), load8(r + (12 &+ col) &* blockStride))
                return a == 0 ? m0 + m1 + m2 : m1 - m2 - m3
            }
            let (s0, s1, s2, s3) = (s(0), s(1), s(2), s(3))
            store8(lanes + 8 &* j, s0 + s1 + s2 + bias)
            store8(lanes + (64 &+ 8 &* j), s1 - s2 - s3 + bias)
        }
        for half in 0..<2 {
            let l = lanes + 64 &* half
            var r0 = load8(l), r1 = load8(l + 8), r2 = load8(l + 16), r3 = load8(l + 24)
            var r4 = load8(l + 32), r5 = load8(l + 40), r6 = load8(l + 48), r7 = load8(l + 56)
            transpose8x8(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7)  // row o: channel o over the tiles
            store8(l, r0); store8(l + 8, r1); store8(l + 16, r2); store8(l + 24, r3)
            store8(l + 32, r4); store8(l + 40, r5); store8(l + 48, r6); store8(l + 56, r7)
        }
        for o in 0..<8 {
            let c0 = load8(lanes + 8 &* o), c1 = load8(lanes + (64 &+ 8 &* o))
            let d = dst + (o &* plane &+ a &* outW)
            store8(d, SIMD8(c0[0], c1[0], c0[1], c1[1], c0[2], c1[2], c0[3], c1[3]))
            store8(d + 8, SIMD8(c0[4], c1[4], c0[5], c1[5], c0[6], c1[6], c0[7], c1[7]))
        }
    }
}

