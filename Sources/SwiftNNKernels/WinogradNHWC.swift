// Winograd F(2x2, 3x3) on the inference plan's channels-last activations ([positions, pitch],
// the pitch a multiple of 16): the transforms of Winograd.swift, 16 channels a vector. The input
// transform reads each tile's 4x4 window straight from the plan's buffer, zeros where the
// window leaves the image (no bordered copy of the activation), and the output transform
// writes each tile's 2x2 outputs into the output buffer's rows with the plan's epilogue (bias,
// residual, clamp), so a 3x3 stride-1 layer is one step: transform a block of tiles, 16 GEMMs
// [tiles, C] x [C, K] with the filters transformed once at compile time, transform back.
//
// Not the same bits as the patch-row path (the arithmetic differs): within the golden tolerance
// (Winograd's F(2x2, 3x3) error is a few ulps of the sum's magnitude).

/// A Winograd layer's shapes: input [h, w, pitch] per image, padding (top, left), output
/// [oh, ow, ldo] per image, tiles of 2x2 outputs (tilesH x tilesW per image).
public struct WinogradNHWCGeometry: Sendable {
    public var h: Int, w: Int, pitch: Int, ph: Int, pw: Int, oh: Int, ow: Int, ldo: Int
    public var tilesH: Int { (oh &+ 1) / 2 }
    public var tilesW: Int { (ow &+ 1) / 2 }
    public var imageTiles: Int { tilesH &* tilesW }
    public init(h: Int, w: Int, pitch: Int, ph: Int, pw: Int, oh: Int, ow: Int, ldo: Int) {
        self.h = h; self.w = w; self.pitch = pitch; self.ph = ph; self.pw = pw; self.oh = oh; self.ow = ow; self.ldo = ldo
    }
}

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

@inline(__always)
private func put16(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// V = B^T d B of tiles t0 ..< t0 + count (numbered image by image, rows of tilesW) for all
/// `pitch` channels: product q of tile t at dst + q * blockStride + (t - t0) * pitch.
public func winogradInputTilesNHWC(_ x: UnsafePointer<Float>, _ g: WinogradNHWCGeometry, t0: Int, count: Int,
                                   _ dst: UnsafeMutablePointer<Float>, blockStride: Int) {
    let tilesW = g.tilesW, imageTiles = g.imageTiles, pitch = g.pitch, rowStride = g.w &* pitch
    let zero = SIMD16<Float>()
    for t in t0..<(t0 &+ count) {
        let image = t / imageTiles, local = t &- image &* imageTiles, ty = local / tilesW, tx = local &- ty &* tilesW
        let iy0 = 2 &* ty &- g.ph, ix0 = 2 &* tx &- g.pw
        let base = x + (image &* g.h &* rowStride &+ iy0 &* rowStride &+ ix0 &* pitch)
        let out = dst + (t &- t0) &* pitch
        let inside = iy0 >= 0 && iy0 &+ 4 <= g.h && ix0 >= 0 && ix0 &+ 4 <= g.w
        // Which of the window's rows and columns lie in the image (all, inside).
        var rowIn = (true, true, true, true), colIn = (true, true, true, true)
        if !inside {
            rowIn = (iy0 >= 0 && iy0 < g.h, iy0 &+ 1 >= 0 && iy0 &+ 1 < g.h, iy0 &+ 2 >= 0 && iy0 &+ 2 < g.h,
                     iy0 &+ 3 >= 0 && iy0 &+ 3 < g.h)
            colIn = (ix0 >= 0 && ix0 < g.w, ix0 &+ 1 >= 0 && ix0 &+ 1 < g.w, ix0 &+ 2 >= 0 && ix0 &+ 2 < g.w,
                     ix0 &+ 3 >= 0 && ix0 &+ 3 < g.w)
        }
        var c0 = 0
        while c0 < pitch {
            let p = base + c0
            // e = d B, row by row (a row outside the image, or a column, reads as zeros)
            @inline(__always) func row(_ i: Int, _ inRow: Bool) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                guard inRow else { return (zero, zero, zero, zero) }
                let r = p + i &* rowStride
                let d0 = colIn.0 ? load16(r) : zero, d1 = colIn.1 ? load16(r + pitch) : zero
                let d2 = colIn.2 ? load16(r + 2 &* pitch) : zero, d3 = colIn.3 ? load16(r + 3 &* pitch) : zero
                return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
            }
            let e0 = row(0, rowIn.0), e1 = row(1, rowIn.1), e2 = row(2, rowIn.2), e3 = row(3, rowIn.3)
            // V = B^T e, column by column
            let o = out + c0
            put16(o, e0.0 - e2.0); put16(o + blockStride, e0.1 - e2.1)
            put16(o + 2 &* blockStride, e0.2 - e2.2); put16(o + 3 &* blockStride, e0.3 - e2.3)
            put16(o + 4 &* blockStride, e1.0 + e2.0); put16(o + 5 &* blockStride, e1.1 + e2.1)
            put16(o + 6 &* blockStride, e1.2 + e2.2); put16(o + 7 &* blockStride, e1.3 + e2.3)
            put16(o + 8 &* blockStride, e2.0 - e1.0); put16(o + 9 &* blockStride, e2.1 - e1.1)
            put16(o + 10 &* blockStride, e2.2 - e1.2); put16(o + 11 &* blockStride, e2.3 - e1.3)
            put16(o + 12 &* blockStride, e1.0 - e3.0); put16(o + 13 &* blockStride, e1.1 - e3.1)
            put16(o + 14 &* blockStride, e1.2 - e3.2); put16(o + 15 &* blockStride, e1.3 - e3.3)
            c0 &+= 16
        }
    }
}

/// Y = A^T M A of tiles t0 ..< t0 + count for output channels k0 ..< k0 + cols (multiples of
/// 16): product q of tile t's columns at m + q * blockStride + (t - t0) * ldm. Each output is
/// clamp(Y + bias[c] + residual) (the residual row of a position at residual + position * ldr),
/// written at y + position * ldo + c; a tile's outputs past oh or ow are dropped.
public func winogradOutputTilesNHWC(_ m: UnsafePointer<Float>, blockStride: Int, ldm: Int, _ g: WinogradNHWCGeometry, t0: Int,
                                    count: Int, k0: Int, cols: Int, bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?,
                                    ldr: Int, lo: Float, hi: Float, _ y: UnsafeMutablePointer<Float>) {
    let tilesW = g.tilesW, imageTiles = g.imageTiles, ldo = g.ldo
    let l = SIMD16<Float>(repeating: lo), h = SIMD16<Float>(repeating: hi)
    for t in t0..<(t0 &+ count) {
        let image = t / imageTiles, local = t &- image &* imageTiles, ty = local / tilesW, tx = local &- ty &* tilesW
        let oy = 2 &* ty, ox = 2 &* tx
        let position = (image &* g.oh &+ oy) &* g.ow &+ ox
        let right = ox &+ 1 < g.ow, below = oy &+ 1 < g.oh
        let row = m + (t &- t0) &* ldm
        var c = 0
        while c < cols {
            let r = row + c
            // s = A^T M (2 x 4), column by column; then Y = s A
            @inline(__always) func col(_ j: Int) -> (SIMD16<Float>, SIMD16<Float>) {
                let m0 = load16(r + j &* blockStride), m1 = load16(r + (4 &+ j) &* blockStride)
                let m2 = load16(r + (8 &+ j) &* blockStride), m3 = load16(r + (12 &+ j) &* blockStride)
                return (m0 + m1 + m2, m1 - m2 - m3)
            }
            let s0 = col(0), s1 = col(1), s2 = col(2), s3 = col(3)
            let b = load16(bias + (k0 &+ c))
            @inline(__always) func emit(_ v: SIMD16<Float>, _ at: Int) {
                var x = v + b
                if let residual { x += load16(residual + (at &* ldr &+ k0 &+ c)) }
                put16(y + (at &* ldo &+ k0 &+ c), x.replacing(with: l, where: x .< l).replacing(with: h, where: x .> h))
            }
            emit(s0.0 + s1.0 + s2.0, position)
            if right { emit(s1.0 - s2.0 - s3.0, position &+ 1) }
            if below {
                emit(s0.1 + s1.1 + s2.1, position &+ g.ow)
                if right { emit(s1.1 - s2.1 - s3.1, position &+ g.ow &+ 1) }
            }
            c &+= 16
        }
    }
}
