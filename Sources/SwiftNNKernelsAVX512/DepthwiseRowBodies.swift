// The depthwise convolution of one NCHW plane by output rows, read in place: no padded or
// phased copy of the plane (DepthwisePhaseBodies.swift makes one per plane, and on MobileNetV2's
// 14x14 planes that copy, its small zeroing calls and the compaction of the flat run back to
// rows took 0.6 of the forward's time, 0.3x PyTorch's channels_last kernel in a warm loop).
//
// A vector holds 16 neighbouring columns of one output row at stride 1, or 8 at stride 2 (the
// even lanes of 16 input columns: the odd lanes are computed and dropped). Each tap loads the
// 16 input columns it reads from the plane itself; lanes whose column falls outside the image
// are replaced by zeros, and rows outside it are a zero vector, so every output element is the
// same FMA chain as on the zero-padded plane: initial value, then the taps in (ki, kj) order,
// zeros included. Four output rows at a time give four chains (one chain waits on each FMA's
// latency) that share the taps' broadcast weights and column masks; rows outside the plane
// read a zero row, so the loop has no branch per tap.
//
// The same body serves the input gradient at stride 1: the correlation of the output gradient
// with the taps walked backwards from the far corner (negative steps, positive origin).
//
// @inlinable so that SwiftNNKernels (AVX2) inlines its own copy: the same bits on either set.

/// Where output (oy, ox) reads for tap (ki, kj): row oy * sh + ki * rowStep + rowOrigin,
/// column ox * sw + kj * colStep + colOrigin, of an h x w plane; zero outside it.
public struct DepthwiseRowsGeometry: Sendable, Equatable {
    public var h: Int, w: Int, oh: Int, ow: Int, kh: Int, kw: Int, sh: Int, sw: Int
    public var rowStep: Int, colStep: Int, rowOrigin: Int, colOrigin: Int

    public init(h: Int, w: Int, oh: Int, ow: Int, kh: Int, kw: Int, sh: Int, sw: Int,
                rowStep: Int, colStep: Int, rowOrigin: Int, colOrigin: Int) {
        self.h = h; self.w = w; self.oh = oh; self.ow = ow; self.kh = kh; self.kw = kw; self.sh = sh; self.sw = sw
        self.rowStep = rowStep; self.colStep = colStep; self.rowOrigin = rowOrigin; self.colOrigin = colOrigin
    }

    /// Floats the kernel may load (and mask off) before the plane's first element and after
    /// its last: a vector's columns run up to 15 * sw past the first one it needs.
    public var margin: Int { 16 &* sw &+ abs(colStep) &* (kw &- 1) &+ abs(colOrigin) &+ 16 }
}

@inlinable @inline(__always)
func rowsLoad(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

/// A plane as the row kernels read it: input rows (the zero row outside the plane) and the
/// lanes of a 16-column load that fall outside it.
@usableFromInline
struct RowsPlane {
    @usableFromInline let x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, h: Int, w: Int
    @usableFromInline let iota = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    @usableFromInline let width: SIMD16<Int32>

    @inlinable @inline(__always)
    init(_ x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, h: Int, w: Int) {
        self.x = x; self.zeros = zeros; self.h = h; self.w = w
        width = SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: w))
    }

    /// Input row iy, or the zero row when it lies outside the plane: no branch per tap.
    @inlinable @inline(__always)
    func row(_ iy: Int) -> UnsafePointer<Float> { iy >= 0 && iy < h ? x + iy &* w : zeros }

    /// The lanes of a load starting at column col0 whose column is outside [0, w).
    @inlinable @inline(__always)
    func outside(_ col0: Int) -> SIMDMask<SIMD16<Int32>> {
        let cols = iota &+ SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: col0))
        return (cols .< SIMD16<Int32>()) .| (cols .>= width)
    }

    /// 16 floats at p with the masked lanes zero.
    @inlinable @inline(__always)
    func load(_ p: UnsafePointer<Float>, _ mask: SIMDMask<SIMD16<Int32>>) -> SIMD16<Float> {
        rowsLoad(p).replacing(with: 0, where: mask)
    }
}

/// out [oh, ow] = initial + the taps of `weights` (kh * kw, in (ki, kj) order) over the plane
/// x [h, w]. Reads up to `g.margin` floats on either side of the plane (masked off: any values)
/// and, for rows outside the plane, `zeros`: at least w + 2 * margin zero floats, passed at
/// their middle (pointer + margin). Writes only the plane `out`. Stride sw 1 or 2.
@inlinable @inline(__always)
public func depthwiseRowsBody(_ x: UnsafePointer<Float>, _ g: DepthwiseRowsGeometry, _ weights: UnsafePointer<Float>,
                              initial: Float, zeros: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
    let lanesOut = g.sw == 1 ? 16 : 8
    let blocks = (g.ow &+ lanesOut &- 1) / lanesOut
    let total = g.oh &* g.ow
    let plane = RowsPlane(x, zeros: zeros, h: g.h, w: g.w)
    let start = SIMD16<Float>(repeating: initial)

    /// Lane i of one row's column block: i < valid go to out + at; the rest is dropped. Only a
    /// row narrower than a vector has fewer valid lanes: rows are written in order and a full
    /// store's spill into the next rows is rewritten by them, so only the plane's last rows
    /// take the partial store.
    @inline(__always) func store(_ v: SIMD16<Float>, _ at: Int, _ valid: Int) {
        if g.sw == 1 {
            if valid == 16 || (blocks == 1 && at &+ 16 <= total) {
                UnsafeMutableRawPointer(out + at).storeBytes(of: v, as: SIMD16<Float>.self)
            } else {
                for i in 0..<valid { out[at &+ i] = v[i] }
            }
        } else {
            let e = v.evenHalf
            if valid == 8 || (blocks == 1 && at &+ 8 <= total) {
                UnsafeMutableRawPointer(out + at).storeBytes(of: e, as: SIMD8<Float>.self)
            } else {
                for i in 0..<valid { out[at &+ i] = e[i] }
            }
        }
    }
    @inline(__always) func outside(_ col0: Int) -> SIMDMask<SIMD16<Int32>> { plane.outside(col0) }
    @inline(__always) func row(_ iy: Int) -> UnsafePointer<Float> { plane.row(iy) }
    @inline(__always) func load(_ p: UnsafePointer<Float>, _ mask: SIMDMask<SIMD16<Int32>>) -> SIMD16<Float> { plane.load(p, mask) }

    // Four output rows a pass (the last pass repeats the last row for the missing ones and
    // stores only the real ones).
    var oy = 0
    while oy < g.oh {
        let y1 = min(oy &+ 1, g.oh &- 1), y2 = min(oy &+ 2, g.oh &- 1), y3 = min(oy &+ 3, g.oh &- 1)
        for b in 0..<blocks {
            // The last of several blocks ends at the row's end, overlapping the one before (the
            // same values again): every store is a full vector.
            let ox0 = b &+ 1 == blocks && b > 0 ? g.ow &- lanesOut : b &* lanesOut, base = ox0 &* g.sw &+ g.colOrigin
            var a0 = start, a1 = start, a2 = start, a3 = start
            if g.kw == 3 {
                let c1 = base &+ g.colStep, c2 = base &+ 2 &* g.colStep
                let m0 = outside(base), m1 = outside(c1), m2 = outside(c2)
                var t = 0
                for ki in 0..<g.kh {
                    let d = ki &* g.rowStep &+ g.rowOrigin
                    let r0 = row(oy &* g.sh &+ d), r1 = row(y1 &* g.sh &+ d), r2 = row(y2 &* g.sh &+ d), r3 = row(y3 &* g.sh &+ d)
                    var wv = SIMD16<Float>(repeating: weights[t])
                    a0 = a0.addingProduct(load(r0 + base, m0), wv); a1 = a1.addingProduct(load(r1 + base, m0), wv)
                    a2 = a2.addingProduct(load(r2 + base, m0), wv); a3 = a3.addingProduct(load(r3 + base, m0), wv)
                    wv = SIMD16<Float>(repeating: weights[t &+ 1])
                    a0 = a0.addingProduct(load(r0 + c1, m1), wv); a1 = a1.addingProduct(load(r1 + c1, m1), wv)
                    a2 = a2.addingProduct(load(r2 + c1, m1), wv); a3 = a3.addingProduct(load(r3 + c1, m1), wv)
                    wv = SIMD16<Float>(repeating: weights[t &+ 2])
                    a0 = a0.addingProduct(load(r0 + c2, m2), wv); a1 = a1.addingProduct(load(r1 + c2, m2), wv)
                    a2 = a2.addingProduct(load(r2 + c2, m2), wv); a3 = a3.addingProduct(load(r3 + c2, m2), wv)
                    t &+= 3
                }
            } else {
                var t = 0
                for ki in 0..<g.kh {
                    let d = ki &* g.rowStep &+ g.rowOrigin
                    let r0 = row(oy &* g.sh &+ d), r1 = row(y1 &* g.sh &+ d), r2 = row(y2 &* g.sh &+ d), r3 = row(y3 &* g.sh &+ d)
                    for kj in 0..<g.kw {
                        let col0 = base &+ kj &* g.colStep, m = outside(col0), wv = SIMD16<Float>(repeating: weights[t])
                        a0 = a0.addingProduct(load(r0 + col0, m), wv); a1 = a1.addingProduct(load(r1 + col0, m), wv)
                        a2 = a2.addingProduct(load(r2 + col0, m), wv); a3 = a3.addingProduct(load(r3 + col0, m), wv)
                        t &+= 1
                    }
                }
            }
            let valid = min(lanesOut, g.ow &- ox0), at = oy &* g.ow &+ ox0
            store(a0, at, valid)
            if oy &+ 1 < g.oh { store(a1, at &+ g.ow, valid) }
            if oy &+ 2 < g.oh { store(a2, at &+ 2 &* g.ow, valid) }
            if oy &+ 3 < g.oh { store(a3, at &+ 3 &* g.ow, valid) }
        }
        oy &+= 4
    }
}

public func depthwiseRowsAVX512(_ x: UnsafePointer<Float>, _ g: DepthwiseRowsGeometry, _ weights: UnsafePointer<Float>,
                                initial: Float, zeros: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
    depthwiseRowsBody(x, g, weights, initial: initial, zeros: zeros, out)
}

/// The weight gradient of one plane by output rows, for 3x3 taps: acc[t * 16 + l] += the
/// products gout[oy, ox] * x[tap t's input of (oy, ox)] of the outputs in lane l of their row's
/// column blocks (16 outputs a block at stride 1; 8 at stride 2, in lanes 0..<8), rows in order:
/// nine chains, one a tap. Reads x as `depthwiseRowsBody` does (margins, `zeros` for rows
/// outside the plane) and up to `g.margin` floats past gout's last element (masked off). g is
/// the forward's geometry.
@inlinable @inline(__always)
public func depthwiseRowsWeightGradientBody(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ g: DepthwiseRowsGeometry,
                                            zeros: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Float>) {
    let lanesOut = g.sw == 1 ? 16 : 8
    let blocks = (g.ow &+ lanesOut &- 1) / lanesOut
    let plane = RowsPlane(x, zeros: zeros, h: g.h, w: g.w), iota = plane.iota
    @inline(__always) func outside(_ col0: Int) -> SIMDMask<SIMD16<Int32>> { plane.outside(col0) }
    @inline(__always) func row(_ iy: Int) -> UnsafePointer<Float> { plane.row(iy) }
    @inline(__always) func ld(_ p: UnsafePointer<Float>, _ m: SIMDMask<SIMD16<Int32>>) -> SIMD16<Float> { plane.load(p, m) }
    for b in 0..<blocks {
        let ox0 = b &* lanesOut, c0 = ox0 &* g.sw &+ g.colOrigin, c1 = c0 &+ g.colStep, c2 = c1 &+ g.colStep
        let dropped = iota .>= SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: min(lanesOut, g.ow &- ox0)))
        let m0 = outside(c0), m1 = outside(c1), m2 = outside(c2)
        let d0 = g.rowOrigin, d1 = d0 &+ g.rowStep, d2 = d1 &+ g.rowStep
        if g.sw == 1 {
            @inline(__always) func l16(_ t: Int) -> SIMD16<Float> { rowsLoad(acc + t &* 16) }
            @inline(__always) func s16(_ t: Int, _ v: SIMD16<Float>) {
                UnsafeMutableRawPointer(acc + t &* 16).storeBytes(of: v, as: SIMD16<Float>.self)
            }
            var a0 = l16(0), a1 = l16(1), a2 = l16(2), a3 = l16(3), a4 = l16(4), a5 = l16(5), a6 = l16(6), a7 = l16(7), a8 = l16(8)
            for oy in 0..<g.oh {
                let gv = ld(gout + (oy &* g.ow &+ ox0), dropped), y = oy &* g.sh
                let r0 = row(y &+ d0), r1 = row(y &+ d1), r2 = row(y &+ d2)
                a0 = a0.addingProduct(gv, ld(r0 + c0, m0)); a1 = a1.addingProduct(gv, ld(r0 + c1, m1)); a2 = a2.addingProduct(gv, ld(r0 + c2, m2))
                a3 = a3.addingProduct(gv, ld(r1 + c0, m0)); a4 = a4.addingProduct(gv, ld(r1 + c1, m1)); a5 = a5.addingProduct(gv, ld(r1 + c2, m2))
                a6 = a6.addingProduct(gv, ld(r2 + c0, m0)); a7 = a7.addingProduct(gv, ld(r2 + c1, m1)); a8 = a8.addingProduct(gv, ld(r2 + c2, m2))
            }
            s16(0, a0); s16(1, a1); s16(2, a2); s16(3, a3); s16(4, a4); s16(5, a5); s16(6, a6); s16(7, a7); s16(8, a8)
        } else {
            @inline(__always) func l8(_ t: Int) -> SIMD8<Float> { UnsafeRawPointer(acc + t &* 16).loadUnaligned(as: SIMD8<Float>.self) }
            @inline(__always) func s8(_ t: Int, _ v: SIMD8<Float>) {
                UnsafeMutableRawPointer(acc + t &* 16).storeBytes(of: v, as: SIMD8<Float>.self)
            }
            var a0 = l8(0), a1 = l8(1), a2 = l8(2), a3 = l8(3), a4 = l8(4), a5 = l8(5), a6 = l8(6), a7 = l8(7), a8 = l8(8)
            for oy in 0..<g.oh {
                let gv = ld(gout + (oy &* g.ow &+ ox0), dropped).lowHalf, y = oy &* g.sh
                let r0 = row(y &+ d0), r1 = row(y &+ d1), r2 = row(y &+ d2)
                a0 = a0.addingProduct(gv, ld(r0 + c0, m0).evenHalf); a1 = a1.addingProduct(gv, ld(r0 + c1, m1).evenHalf)
                a2 = a2.addingProduct(gv, ld(r0 + c2, m2).evenHalf); a3 = a3.addingProduct(gv, ld(r1 + c0, m0).evenHalf)
                a4 = a4.addingProduct(gv, ld(r1 + c1, m1).evenHalf); a5 = a5.addingProduct(gv, ld(r1 + c2, m2).evenHalf)
                a6 = a6.addingProduct(gv, ld(r2 + c0, m0).evenHalf); a7 = a7.addingProduct(gv, ld(r2 + c1, m1).evenHalf)
                a8 = a8.addingProduct(gv, ld(r2 + c2, m2).evenHalf)
            }
            s8(0, a0); s8(1, a1); s8(2, a2); s8(3, a3); s8(4, a4); s8(5, a5); s8(6, a6); s8(7, a7); s8(8, a8)
        }
    }
}

public func depthwiseRowsWeightGradientAVX512(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ g: DepthwiseRowsGeometry,
                                              zeros: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Float>) {
    depthwiseRowsWeightGradientBody(gout, x, g, zeros: zeros, acc)
}
