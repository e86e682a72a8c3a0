// Pooling loops over independent planes (N * C of them): max pool with argmax indices, average
// pool with PyTorch's divisor rules, adaptive average pool, and their backward scatters.
// Callers validate the geometry (windows inside the padded input); -Ounchecked in release.

/// Max over each window of each plane; `indices` receives the argmax as ih * width + iw, as
/// PyTorch's return_indices. NaN wins (the last NaN in scan order), like PyTorch. A dilated
/// window can miss the input entirely: it gives -inf and index -1 (PyTorch reports an index
/// outside the plane there).
public func maxPool2d(_ src: UnsafePointer<Float>, planes: Int, _ g: WindowGeometry,
                      _ dst: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int64>) {
    let inPlane = g.inPlane, outPlane = g.outPlane
    for p in 0..<planes {
        let s = src + p &* inPlane
        let d = dst + p &* outPlane, ix = indices + p &* outPlane
        for oh in 0..<g.outH {
            var h0 = oh &* g.strideH &- g.padH
            let h1 = min(h0 &+ (g.kernelH &- 1) &* g.dilationH &+ 1, g.height)
            if h0 < 0 { h0 &+= (0 &- h0 &+ g.dilationH &- 1) / g.dilationH &* g.dilationH }   // first tap inside
            // Output columns whose whole window lies inside the row, eight at a time: the taps
            // in the same scan order, each lane with its own maximum and index (the same
            // comparisons as below, without a branch per tap: a 3x3/2 pool on 8x64x112x112,
            // ResNet's stem in training, took 22 ms element by element).
            let (lo, hi) = interiorColumns(g)
            let span = (g.kernelW &- 1) &* g.dilationW &+ 1, pairs = g.strideW == 2 ? 1 : 0  // (stride 2 loads one more)
            var ow = 0
            while ow < g.outW {
                if ow >= lo && ow &+ 8 <= hi && h0 < h1 && inPlane <= Int(Int32.max)
                    && (ow &+ 7) &* g.strideW &- g.padW &+ span &+ pairs <= g.width {
                    maxPool8(s, g, oh: oh, ow: ow, rows: h0..<h1, d + (oh &* g.outW &+ ow), ix + (oh &* g.outW &+ ow))
                    ow &+= 8
                    continue
                }
                var w0 = ow &* g.strideW &- g.padW
                let w1 = min(w0 &+ (g.kernelW &- 1) &* g.dilationW &+ 1, g.width)
                if w0 < 0 { w0 &+= (0 &- w0 &+ g.dilationW &- 1) / g.dilationW &* g.dilationW }
                var best = -Float.infinity
                var at = h0 < h1 && w0 < w1 ? h0 &* g.width &+ w0 : -1
                var ih = h0
                while ih < h1 {
                    var iw = w0
                    while iw < w1 {
                        let k = ih &* g.width &+ iw
                        let v = s[k]
                        if v > best || v.isNaN { best = v; at = k }
                        iw &+= g.dilationW
                    }
                    ih &+= g.dilationH
                }
                let o = oh &* g.outW &+ ow
                d[o] = best
                ix[o] = Int64(at)
                ow &+= 1
            }
        }
    }
}

/// The output columns [lo, hi) whose windows lie inside the row (no padding, no clipping).
@inline(__always)
func interiorColumns(_ g: WindowGeometry) -> (Int, Int) {
    let span = (g.kernelW &- 1) &* g.dilationW &+ 1
    let lo = (g.padW &+ g.strideW &- 1) / g.strideW
    let last = g.width &- span &+ g.padW  // the last window start inside, in padded columns
    let hi = last < 0 ? 0 : min(g.outW, last / g.strideW &+ 1)
    return (lo, max(lo, hi))
}

/// Eight output columns ow ..< ow + 8 of output row oh, every window inside the row and rows
/// `rows` its valid input rows (non-empty): `maxPool2d`'s scan, lane by lane.
@inline(__always)
private func maxPool8(_ s: UnsafePointer<Float>, _ g: WindowGeometry, oh: Int, ow: Int, rows: Range<Int>,
                      _ d: UnsafeMutablePointer<Float>, _ ix: UnsafeMutablePointer<Int64>) {
    let w0 = ow &* g.strideW &- g.padW, sw = g.strideW
    let lane = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(sw)
    var best = SIMD8<Float>(repeating: -.infinity)
    var at = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: rows.lowerBound &* g.width &+ w0)) &+ lane
    var ih = rows.lowerBound
    while ih < rows.upperBound {
        for kj in 0..<g.kernelW {
            let k = ih &* g.width &+ w0 &+ kj &* g.dilationW
            let p = s + k
            let v: SIMD8<Float>
            switch sw {
            case 1: v = load8(p)
            case 2:
                let a = load8(p), b = load8(p + 8)
                v = SIMD8(a[0], a[2], a[4], a[6], b[0], b[2], b[4], b[6])
            default: v = SIMD8(p[0], p[sw], p[2 &* sw], p[3 &* sw], p[4 &* sw], p[5 &* sw], p[6 &* sw], p[7 &* sw])
            }
            let take = (v .> best) .| (v .!= v)
            best.replace(with: v, where: take)
            at.replace(with: SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: k)) &+ lane, where: take)
        }
        ih &+= g.dilationH
    }
    store8(d, best)
    for j in 0..<8 { ix[j] = Int64(at[j]) }
}

/// `maxPool2d`'s values without its indices, for planes [p0, p1): each input row's maxima over
/// the window's columns first (one per output column), then each output row the maximum over
/// those of the window's rows, eight output columns a vector. Row by row in scan order, the
/// first maximum of a row and then the first row holding the overall maximum is the element
/// `maxPool2d` picks (its first strict maximum in row-major order), and the last NaN of the
/// last row with one is its last NaN: the same bits, signed zeros and NaN payloads included.
/// For a 3x3/2 window on 112x112 planes (ResNet's stem) the loop above with its indices took
/// 42 ms at batch 8 (PyTorch 25 ms). `rows` holds height * outW + width floats.
public func maxPool2dValues(_ src: UnsafePointer<Float>, planes p0: Int, to p1: Int, _ g: WindowGeometry,
                            _ dst: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
    let inPlane = g.inPlane, outPlane = g.outPlane, ow = g.outW
    let starts8 = rows + g.height &* ow  // a row's window maxima at every start
    for p in p0..<p1 {
        let s = src + p &* inPlane, d = dst + p &* outPlane
        // each input row: the maximum over each output column's window columns. Windows inside
        // the row are the maxima of every window start (eight starts a vector, the taps in
        // order), picked at the stride; windows the padding clips are scanned one by one.
        let span = (g.kernelW &- 1) &* g.dilationW &+ 1, starts = g.width &- span &+ 1
        for ih in 0..<g.height {
            let row = s + ih &* g.width, r = rows + ih &* ow
            var w = 0
            while w &+ 8 <= starts {
                var best = load8(row + w)
                for kj in 1..<g.kernelW {
                    let v = load8(row + (w &+ kj &* g.dilationW))
                    best.replace(with: v, where: (v .> best) .| (v .!= v))
                }
                store8(starts8 + w, best)
                w &+= 8
            }
            while w < starts {
                var best = row[w]
                for kj in 1..<g.kernelW {
                    let v = row[w &+ kj &* g.dilationW]
                    best = v > best || v.isNaN ? v : best
                }
                starts8[w] = best
                w &+= 1
            }
            for x in 0..<ow {
                var w0 = x &* g.strideW &- g.padW
                if w0 >= 0 && w0 < starts { r[x] = starts8[w0]; continue }
                let w1 = min(w0 &+ span, g.width)
                if w0 < 0 { w0 &+= (0 &- w0 &+ g.dilationW &- 1) / g.dilationW &* g.dilationW }
                var best = -Float.infinity
                var iw = w0
                while iw < w1 {
                    let v = row[iw]
                    best = v > best || v.isNaN ? v : best
                    iw &+= g.dilationW
                }
                r[x] = best
            }
        }
        // each output row: the maximum over its window's rows, in row order
        for oh in 0..<g.outH {
            var h0 = oh &* g.strideH &- g.padH
            let h1 = min(h0 &+ (g.kernelH &- 1) &* g.dilationH &+ 1, g.height)
            if h0 < 0 { h0 &+= (0 &- h0 &+ g.dilationH &- 1) / g.dilationH &* g.dilationH }
            let o = d + oh &* ow
            var x = 0
            while x &+ 8 <= ow {
                var best = SIMD8<Float>(repeating: -.infinity)
                var ih = h0
                while ih < h1 {
                    let v = load8(rows + (ih &* ow &+ x))
                    best.replace(with: v, where: (v .> best) .| (v .!= v))
                    ih &+= g.dilationH
                }
                store8(o + x, best)
                x &+= 8
            }
            while x < ow {
                var best = -Float.infinity
                var ih = h0
                while ih < h1 {
                    let v = rows[ih &* ow &+ x]
                    if v > best || v.isNaN { best = v }
                    ih &+= g.dilationH
                }
                o[x] = best
                x &+= 1
            }
        }
    }
}

/// Backward of `maxPool2d`: gradIn[plane][indices[o]] += gradOut[plane][o]; gradIn zeroed first
/// by the caller. Index -1 (an empty window) passes no gradient.
public func maxPool2dBackward(_ gradOut: UnsafePointer<Float>, _ indices: UnsafePointer<Int64>, planes: Int,
                              inPlane: Int, outPlane: Int, _ gradIn: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        let g = gradOut + p &* outPlane, ix = indices + p &* outPlane
        let d = gradIn + p &* inPlane
        for o in 0..<outPlane {
            let i = Int(truncatingIfNeeded: ix[o])
            if UInt(bitPattern: i) < UInt(bitPattern: inPlane) { d[i] += g[o] }
        }
    }
}

/// Window of output position `o` along one axis of an average pool, as PyTorch computes it:
/// the window is clipped to the padded extent for the count_include_pad divisor, then to the
/// input for the summation range.
@inline(__always)
func avgWindow(_ o: Int, _ stride: Int, _ pad: Int, _ kernel: Int, _ size: Int) -> (start: Int, end: Int, padded: Int) {
    let start = o &* stride &- pad
    let end = min(start &+ kernel, size &+ pad)
    let padded = end &- start
    return (max(start, 0), min(end, size), padded)
}

/// Average over each window. The divisor is `divisorOverride` when positive, else the window's
/// size clipped to the padded input (countIncludePad) or to the input. Empty windows give 0.
public func avgPool2d(_ src: UnsafePointer<Float>, planes: Int, _ g: WindowGeometry,
                      countIncludePad: Bool, divisorOverride: Int, _ dst: UnsafeMutablePointer<Float>) {
    let inPlane = g.inPlane, outPlane = g.outPlane
    for p in 0..<planes {
        let s = src + p &* inPlane, d = dst + p &* outPlane
        for oh in 0..<g.outH {
            let wh = avgWindow(oh, g.strideH, g.padH, g.kernelH, g.height)
            for ow in 0..<g.outW {
                let ww = avgWindow(ow, g.strideW, g.padW, g.kernelW, g.width)
                let o = oh &* g.outW &+ ow
                if wh.start >= wh.end || ww.start >= ww.end { d[o] = 0; continue }
                var sum: Float = 0
                for ih in wh.start..<wh.end {
                    let row = s + ih &* g.width
                    for iw in ww.start..<ww.end { sum += row[iw] }
                }
                let divisor = divisorOverride > 0 ? divisorOverride
                    : countIncludePad ? wh.padded &* ww.padded : (wh.end &- wh.start) &* (ww.end &- ww.start)
                d[o] = sum / Float(divisor)
            }
        }
    }
}

/// Backward of `avgPool2d`: every input in a window receives gradOut / divisor; gradIn zeroed
/// first by the caller.
public func avgPool2dBackward(_ gradOut: UnsafePointer<Float>, planes: Int, _ g: WindowGeometry,
                              countIncludePad: Bool, divisorOverride: Int, _ gradIn: UnsafeMutablePointer<Float>) {
    let inPlane = g.inPlane, outPlane = g.outPlane
    for p in 0..<planes {
        let s = gradOut + p &* outPlane, d = gradIn + p &* inPlane
        for oh in 0..<g.outH {
            let wh = avgWindow(oh, g.strideH, g.padH, g.kernelH, g.height)
            for ow in 0..<g.outW {
                let ww = avgWindow(ow, g.strideW, g.padW, g.kernelW, g.width)
                if wh.start >= wh.end || ww.start >= ww.end { continue }
                let divisor = divisorOverride > 0 ? divisorOverride
                    : countIncludePad ? wh.padded &* ww.padded : (wh.end &- wh.start) &* (ww.end &- ww.start)
                let v = s[oh &* g.outW &+ ow] / Float(divisor)
                for ih in wh.start..<wh.end {
                    let row = d + ih &* g.width
                    for iw in ww.start..<ww.end { row[iw] += v }
                }
            }
        }
    }
}

/// Adaptive pooling window along one axis: PyTorch's start = floor(o * in / out),
/// end = ceil((o + 1) * in / out). The caller checks that out * in does not overflow.
@inline(__always)
func adaptiveWindow(_ o: Int, _ size: Int, _ out: Int) -> (Int, Int) {
    (o &* size / out, ((o &+ 1) &* size &+ out &- 1) / out)
}

/// Adaptive average pool of each plane (height x width) to outH x outW.
public func adaptiveAvgPool2d(_ src: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                              outH: Int, outW: Int, _ dst: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        let s = src + p &* height &* width, d = dst + p &* outH &* outW
        for oh in 0..<outH {
            let (h0, h1) = adaptiveWindow(oh, height, outH)
            for ow in 0..<outW {
                let (w0, w1) = adaptiveWindow(ow, width, outW)
                var sum: Float = 0
                for ih in h0..<h1 {
                    let row = s + ih &* width
                    for iw in w0..<w1 { sum += row[iw] }
                }
                d[oh &* outW &+ ow] = sum / Float((h1 &- h0) &* (w1 &- w0))
            }
        }
    }
}

/// Backward of `adaptiveAvgPool2d`; gradIn zeroed first by the caller.
public func adaptiveAvgPool2dBackward(_ gradOut: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                                      outH: Int, outW: Int, _ gradIn: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        let s = gradOut + p &* outH &* outW, d = gradIn + p &* height &* width
        for oh in 0..<outH {
            let (h0, h1) = adaptiveWindow(oh, height, outH)
            for ow in 0..<outW {
                let (w0, w1) = adaptiveWindow(ow, width, outW)
                let v = s[oh &* outW &+ ow] / Float((h1 &- h0) &* (w1 &- w0))
                for ih in h0..<h1 {
                    let row = d + ih &* width
                    for iw in w0..<w1 { row[iw] += v }
                }
            }
        }
    }
}

// The common 2x2 window with stride 2 and no padding or dilation (every window inside the
// input): eight windows per step with SIMD. The forward keeps no indices; its backward finds
// each window's argmax again from the input with the same comparisons, so both agree with
// `maxPool2d` (first maximum in scan order, the last NaN wins) and the gradient is written
// in one pass over the input gradient (no zero-fill, no scatter).

/// Eight (or four) 2x2 windows in scan order (a, b on the upper row, c, d below): their
/// maximum as `maxPool2d`'s `v > best || v.isNaN` finds it. Concrete per width: generic SIMD
/// code that is not inlined goes through witness tables and is slower than scalar code.
@inline(__always)
func max2x2(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>) -> SIMD8<Float> {
    var best = a
    best.replace(with: b, where: (b .> best) .| (b .!= b))
    best.replace(with: c, where: (c .> best) .| (c .!= c))
    best.replace(with: d, where: (d .> best) .| (d .!= d))
    return best
}

@inline(__always)
func max2x2(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>) -> SIMD4<Float> {
    var best = a
    best.replace(with: b, where: (b .> best) .| (b .!= b))
    best.replace(with: c, where: (c .> best) .| (c .!= c))
    best.replace(with: d, where: (d .> best) .| (d .!= d))
    return best
}

/// The scalar form of the window comparison: the winner's offset 0...3 (a, b, c, d), value.
@inline(__always)
func argmax2x2(_ a: Float, _ b: Float, _ c: Float, _ d: Float) -> (best: Float, at: Int) {
    var best = a, at = 0
    if b > best || b.isNaN { best = b; at = 1 }
    if c > best || c.isNaN { best = c; at = 2 }
    if d > best || d.isNaN { best = d; at = 3 }
    return (best, at)
}

/// The upper or lower pairs (even and odd columns) of 8 or 4 windows from 16 or 8 floats at `p`.
@inline(__always)
func pairs8(_ p: UnsafePointer<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
    let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    return (v.evenHalf, v.oddHalf)
}

@inline(__always)
func pairs4(_ p: UnsafePointer<Float>) -> (SIMD4<Float>, SIMD4<Float>) {
    let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    return (v.evenHalf, v.oddHalf)
}

/// Gradient of 8 (or 4) windows: g goes to the winner (the last of b, c, d to take over, else
/// a). Returns the upper and lower rows' (even, odd) columns.
@inline(__always)
func route2x2(_ g: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>)
    -> (upper: (SIMD8<Float>, SIMD8<Float>), lower: (SIMD8<Float>, SIMD8<Float>)) {
    var best = a
    let tb = (b .> best) .| (b .!= b)
    best.replace(with: b, where: tb)
    let tc = (c .> best) .| (c .!= c)
    best.replace(with: c, where: tc)
    let td = (d .> best) .| (d .!= d)
    let zero = SIMD8<Float>()
    let gd = zero.replacing(with: g, where: td)
    let gc = zero.replacing(with: g, where: tc .& .!td)
    let gb = zero.replacing(with: g, where: tb .& .!tc .& .!td)
    let ga = g.replacing(with: zero, where: tb .| tc .| td)
    return ((ga, gb), (gc, gd))
}

@inline(__always)
func route2x2(_ g: SIMD4<Float>, _ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
    -> (upper: (SIMD4<Float>, SIMD4<Float>), lower: (SIMD4<Float>, SIMD4<Float>)) {
    var best = a
    let tb = (b .> best) .| (b .!= b)
    best.replace(with: b, where: tb)
    let tc = (c .> best) .| (c .!= c)
    best.replace(with: c, where: tc)
    let td = (d .> best) .| (d .!= d)
    let zero = SIMD4<Float>()
    let gd = zero.replacing(with: g, where: td)
    let gc = zero.replacing(with: g, where: tc .& .!td)
    let gb = zero.replacing(with: g, where: tb .& .!tc .& .!td)
    let ga = g.replacing(with: zero, where: tb .| tc .| td)
    return ((ga, gb), (gc, gd))
}

/// One output row of `outW` windows: whole 8-wide steps, the last one moved back to end at
/// outW (it recomputes a few windows with the same result); 4-wide steps the same way for rows
/// of 4 to 7; one window at a time below that.
@inline(__always)
private func sweepRow(_ outW: Int, _ step8: (Int) -> Void, _ step4: (Int) -> Void, _ one: (Int) -> Void) {
    if outW >= 8 {
        var ow = 0
        while ow &+ 8 <= outW { step8(ow); ow &+= 8 }
        if ow < outW { step8(outW &- 8) }
    } else if outW >= 4 {
        step4(0)
        if outW > 4 { step4(outW &- 4) }
    } else {
        for ow in 0..<outW { one(ow) }
    }
}

/// max_pool2d with kernel 2, stride 2, no padding or dilation: dst [planes, outH, outW] from
/// src [planes, height, width] with 2 outH <= height and 2 outW <= width.
public func maxPool2x2(_ src: UnsafePointer<Float>, planes: Int, height: Int, width: Int, outH: Int, outW: Int,
                       _ dst: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        for oh in 0..<outH {
            let r0 = src + (p &* height &+ 2 &* oh) &* width, r1 = r0 + width
            let d = dst + (p &* outH &+ oh) &* outW
            func step8(_ ow: Int) {
                let (a, b) = pairs8(r0 + 2 &* ow), (c, e) = pairs8(r1 + 2 &* ow)
                store8(d + ow, max2x2(a, b, c, e))
            }
            func step4(_ ow: Int) {
                let (a, b) = pairs4(r0 + 2 &* ow), (c, e) = pairs4(r1 + 2 &* ow)
                UnsafeMutableRawPointer(d + ow).storeBytes(of: max2x2(a, b, c, e), as: SIMD4<Float>.self)
            }
            sweepRow(outW, step8, step4) { ow in
                let i = 2 &* ow
                d[ow] = argmax2x2(r0[i], r0[i &+ 1], r1[i], r1[i &+ 1]).best
            }
        }
    }
}

/// Backward of `maxPool2x2`: writes every element of gradIn [planes, height, width] (the
/// window's argmax in src receives gradOut, the rest and any uncovered last row or column 0).
public func maxPool2x2Backward(_ gradOut: UnsafePointer<Float>, _ src: UnsafePointer<Float>, planes: Int,
                               height: Int, width: Int, outH: Int, outW: Int, _ gradIn: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        for oh in 0..<outH {
            let off = (p &* height &+ 2 &* oh) &* width
            let r0 = src + off, r1 = r0 + width
            let g0 = gradIn + off, g1 = g0 + width
            let go = gradOut + (p &* outH &+ oh) &* outW
            func step8(_ ow: Int) {
                let i = 2 &* ow
                let (a, b) = pairs8(r0 + i), (c, e) = pairs8(r1 + i)
                let (u, l) = route2x2(load8(go + ow), a, b, c, e)
                var upper = SIMD16<Float>(), lower = SIMD16<Float>()
                upper.evenHalf = u.0; upper.oddHalf = u.1
                lower.evenHalf = l.0; lower.oddHalf = l.1
                UnsafeMutableRawPointer(g0 + i).storeBytes(of: upper, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(g1 + i).storeBytes(of: lower, as: SIMD16<Float>.self)
            }
            func step4(_ ow: Int) {
                let i = 2 &* ow
                let (a, b) = pairs4(r0 + i), (c, e) = pairs4(r1 + i)
                let g = UnsafeRawPointer(go + ow).loadUnaligned(as: SIMD4<Float>.self)
                let (u, l) = route2x2(g, a, b, c, e)
                var upper = SIMD8<Float>(), lower = SIMD8<Float>()
                upper.evenHalf = u.0; upper.oddHalf = u.1
                lower.evenHalf = l.0; lower.oddHalf = l.1
                store8(g0 + i, upper)
                store8(g1 + i, lower)
            }
            sweepRow(outW, step8, step4) { ow in
                let i = 2 &* ow
                let at = argmax2x2(r0[i], r0[i &+ 1], r1[i], r1[i &+ 1]).at
                let g = go[ow]
                g0[i] = at == 0 ? g : 0
                g0[i &+ 1] = at == 1 ? g : 0
                g1[i] = at == 2 ? g : 0
                g1[i &+ 1] = at == 3 ? g : 0
            }
            var x = 2 &* outW
            while x < width { g0[x] = 0; g1[x] = 0; x &+= 1 }
        }
        let plane = gradIn + p &* height &* width
        var x = 2 &* outH &* width
        while x < height &* width { plane[x] = 0; x &+= 1 }
    }
}
