// Direct 2-D convolution (stride 1, no dilation) for small channel counts, where im2col + GEMM
// spends its time copying short rows and BLAS gets thin products. A zero-padded input plane
// of width Wp is read "wide": output (oh, ow) sits at j = oh * Wp + ow, and tap (c, ki, kj)
// reads j + offset(c, ki, kj), so every tap is a contiguous 8-float load; columns ow >= OW are
// computed and dropped. Callers validate sizes and give every buffer 16 floats of slack.

/// dst [channels, h + 2 padH, w + 2 padW] followed by 16 zero floats: src [channels, h, w]
/// with a zero border.
public func padPlanes(_ src: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
                      padH: Int, padW: Int, _ dst: UnsafeMutablePointer<Float>) {
    let hp = h &+ 2 &* padH, wp = w &+ 2 &* padW
    for c in 0..<channels {
        let s = src + c &* h &* w, d = dst + c &* hp &* wp
        zeroShort(d, padH &* wp)
        for y in 0..<h {
            let row = d + (y &+ padH) &* wp
            zeroShort(row, padW)
            copyShort(row + padW, s + y &* w, w)
            zeroShort(row + (padW &+ w), padW)
        }
        zeroShort(d + (padH &+ h) &* wp, padH &* wp)
    }
    zeroShort(dst + channels &* hp &* wp, 16)
}

/// wide [rows, positions] = w [rows, taps] applied to xp: wide[r, j] = sum over t of
/// w[r, t] * xp[offsets[t] + j]. `positions` is a multiple of 16; xp must be readable up to
/// max(offsets) + positions. Six rows at a time (12 accumulators: 16 positions x 6 rows); a
/// last partial group repeats its final row, which computes and stores the same values.
public func convWide(_ xp: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, taps: Int,
                     _ w: UnsafePointer<Float>, rows: Int, positions: Int, _ wide: UnsafeMutablePointer<Float>) {
    let last = rows &- 1
    var r = 0
    while r < rows {
        let w0 = w + r &* taps, w1 = w + min(r &+ 1, last) &* taps, w2 = w + min(r &+ 2, last) &* taps
        let w3 = w + min(r &+ 3, last) &* taps, w4 = w + min(r &+ 4, last) &* taps, w5 = w + min(r &+ 5, last) &* taps
        let o0 = wide + r &* positions, o1 = wide + min(r &+ 1, last) &* positions
        let o2 = wide + min(r &+ 2, last) &* positions, o3 = wide + min(r &+ 3, last) &* positions
        let o4 = wide + min(r &+ 4, last) &* positions, o5 = wide + min(r &+ 5, last) &* positions
        var j = 0
        while j < positions {
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
            var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
            let base = xp + j
            var t = 0
            while t < taps {
                let p = base + offsets[t]
                let x0 = load8(p), x1 = load8(p + 8)
                var s = SIMD8(repeating: w0[t]); a00 = a00.addingProduct(x0, s); a01 = a01.addingProduct(x1, s)
                s = SIMD8(repeating: w1[t]); a10 = a10.addingProduct(x0, s); a11 = a11.addingProduct(x1, s)
                s = SIMD8(repeating: w2[t]); a20 = a20.addingProduct(x0, s); a21 = a21.addingProduct(x1, s)
                s = SIMD8(repeating: w3[t]); a30 = a30.addingProduct(x0, s); a31 = a31.addingProduct(x1, s)
                s = SIMD8(repeating: w4[t]); a40 = a40.addingProduct(x0, s); a41 = a41.addingProduct(x1, s)
                s = SIMD8(repeating: w5[t]); a50 = a50.addingProduct(x0, s); a51 = a51.addingProduct(x1, s)
                t &+= 1
            }
            store8(o0 + j, a00); store8(o0 + (j &+ 8), a01)
            store8(o1 + j, a10); store8(o1 + (j &+ 8), a11)
            store8(o2 + j, a20); store8(o2 + (j &+ 8), a21)
            store8(o3 + j, a30); store8(o3 + (j &+ 8), a31)
            store8(o4 + j, a40); store8(o4 + (j &+ 8), a41)
            store8(o5 + j, a50); store8(o5 + (j &+ 8), a51)
            j &+= 16
        }
        r &+= 6
    }
}

/// `convWide` for outputs at most 16 wide, one output row (16 positions) per step, skipping
/// the kernel rows that fall in the zero rows above or below a padded input: the input gradient
/// reads the upstream gradient with kh - 1 - padH zero rows on each side, a third or more of its
/// taps. Taps are ordered kernel row first, (ki, c, kj), so the taps of the rows that matter are
/// one range: offsets[t] = c * planeSize + ki * wp + kj and w [rows, kh * channels * kw] in the
/// same order. Only input rows rowBegin..<rowEnd may be non-zero; wide[r, y * 16 + x] receives
/// output (y, x) for y in 0..<outH.
public func convRows(_ xp: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, tapsPerRow: Int, kh: Int, wp: Int,
                     rowBegin: Int, rowEnd: Int, _ w: UnsafePointer<Float>, rows: Int, outH: Int,
                     _ wide: UnsafeMutablePointer<Float>) {
    let last = rows &- 1, taps = kh &* tapsPerRow, pitch = outH &* 16
    var r = 0
    while r < rows {
        let w0 = w + r &* taps, w1 = w + min(r &+ 1, last) &* taps, w2 = w + min(r &+ 2, last) &* taps
        let w3 = w + min(r &+ 3, last) &* taps, w4 = w + min(r &+ 4, last) &* taps, w5 = w + min(r &+ 5, last) &* taps
        let o0 = wide + r &* pitch, o1 = wide + min(r &+ 1, last) &* pitch
        let o2 = wide + min(r &+ 2, last) &* pitch, o3 = wide + min(r &+ 3, last) &* pitch
        let o4 = wide + min(r &+ 4, last) &* pitch, o5 = wide + min(r &+ 5, last) &* pitch
        for y in 0..<outH {
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
            var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
            let base = xp + y &* wp
            var t = max(0, rowBegin &- y) &* tapsPerRow
            let end = min(kh, rowEnd &- y) &* tapsPerRow
            while t < end {
                let p = base + offsets[t]
                let x0 = load8(p), x1 = load8(p + 8)
                var s = SIMD8(repeating: w0[t]); a00 = a00.addingProduct(x0, s); a01 = a01.addingProduct(x1, s)
                s = SIMD8(repeating: w1[t]); a10 = a10.addingProduct(x0, s); a11 = a11.addingProduct(x1, s)
                s = SIMD8(repeating: w2[t]); a20 = a20.addingProduct(x0, s); a21 = a21.addingProduct(x1, s)
                s = SIMD8(repeating: w3[t]); a30 = a30.addingProduct(x0, s); a31 = a31.addingProduct(x1, s)
                s = SIMD8(repeating: w4[t]); a40 = a40.addingProduct(x0, s); a41 = a41.addingProduct(x1, s)
                s = SIMD8(repeating: w5[t]); a50 = a50.addingProduct(x0, s); a51 = a51.addingProduct(x1, s)
                t &+= 1
            }
            let j = y &* 16
            store8(o0 + j, a00); store8(o0 + (j &+ 8), a01)
            store8(o1 + j, a10); store8(o1 + (j &+ 8), a11)
            store8(o2 + j, a20); store8(o2 + (j &+ 8), a21)
            store8(o3 + j, a30); store8(o3 + (j &+ 8), a31)
            store8(o4 + j, a40); store8(o4 + (j &+ 8), a41)
            store8(o5 + j, a50); store8(o5 + (j &+ 8), a51)
        }
        r &+= 6
    }
}

/// The same product vectorised over 16 output channels instead of positions, for filters in
/// multiples of 16 on small planes, where the wide layout computes many dropped columns:
/// out[i, r] = sum over t of xp[positions[i] + offsets[t]] * wt[t, r] for i in 0..<count and
/// r in 0..<rows (a multiple of 16), wt [taps, rows], out [count, rows]. Six positions x 16
/// channels per step; a last partial group repeats its final position.
public func convChannels(_ xp: UnsafePointer<Float>, _ positions: UnsafePointer<Int>, count: Int,
                         _ offsets: UnsafePointer<Int>, taps: Int, _ wt: UnsafePointer<Float>, rows: Int,
                         _ out: UnsafeMutablePointer<Float>) {
    let last = count &- 1
    var i = 0
    while i < count {
        let i1 = min(i &+ 1, last), i2 = min(i &+ 2, last), i3 = min(i &+ 3, last), i4 = min(i &+ 4, last), i5 = min(i &+ 5, last)
        let b0 = xp + positions[i], b1 = xp + positions[i1], b2 = xp + positions[i2]
        let b3 = xp + positions[i3], b4 = xp + positions[i4], b5 = xp + positions[i5]
        var r = 0
        while r < rows {
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
            var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
            var wp = wt + r
            for t in 0..<taps {
                let f = offsets[t]
                let v0 = load8(wp), v1 = load8(wp + 8)
                var s = SIMD8(repeating: b0[f]); a00 = a00.addingProduct(s, v0); a01 = a01.addingProduct(s, v1)
                s = SIMD8(repeating: b1[f]); a10 = a10.addingProduct(s, v0); a11 = a11.addingProduct(s, v1)
                s = SIMD8(repeating: b2[f]); a20 = a20.addingProduct(s, v0); a21 = a21.addingProduct(s, v1)
                s = SIMD8(repeating: b3[f]); a30 = a30.addingProduct(s, v0); a31 = a31.addingProduct(s, v1)
                s = SIMD8(repeating: b4[f]); a40 = a40.addingProduct(s, v0); a41 = a41.addingProduct(s, v1)
                s = SIMD8(repeating: b5[f]); a50 = a50.addingProduct(s, v0); a51 = a51.addingProduct(s, v1)
                wp += rows
            }
            let o = out + r
            store8(o + i &* rows, a00); store8(o + (i &* rows &+ 8), a01)
            store8(o + i1 &* rows, a10); store8(o + (i1 &* rows &+ 8), a11)
            store8(o + i2 &* rows, a20); store8(o + (i2 &* rows &+ 8), a21)
            store8(o + i3 &* rows, a30); store8(o + (i3 &* rows &+ 8), a31)
            store8(o + i4 &* rows, a40); store8(o + (i4 &* rows &+ 8), a41)
            store8(o + i5 &* rows, a50); store8(o + (i5 &* rows &+ 8), a51)
            r &+= 16
        }
        i &+= 6
    }
}

/// Weight gradient of `convChannels` summed over `images`, transposed: gwT[t, r] =
/// sum over images i and positions j of xp[i][positions[j] + offsets[t]] * gyT[i][j, r], with
/// gyT [images, count, rows] (rows a multiple of 16) and gwT [taps, rows]. Stores, or adds when
/// `accumulate`. Tiles of 6 taps x 16 filters, claimed from `tiles` (WorkQueue over
/// ceil(taps / 6) * rows / 16 tiles) by whichever worker is free; each element is one fixed
/// sum whichever worker computes it.
public func convChannelsWeightGradient(_ xp: UnsafePointer<Float>, imageStride: Int, _ positions: UnsafePointer<Int>, count: Int,
                                       _ offsets: UnsafePointer<Int>, taps: Int, _ gyT: UnsafePointer<Float>, rows: Int,
                                       images: Int, _ gwT: UnsafeMutablePointer<Float>, accumulate: Bool,
                                       tiles: WorkQueue) {
    let rowBlocks = rows / 16, lastT = taps &- 1
    while let tile = tiles.claim() {
        let t0 = tile / rowBlocks &* 6, r0 = tile % rowBlocks &* 16
        let f0 = offsets[t0], f1 = offsets[min(t0 &+ 1, lastT)], f2 = offsets[min(t0 &+ 2, lastT)]
        let f3 = offsets[min(t0 &+ 3, lastT)], f4 = offsets[min(t0 &+ 4, lastT)], f5 = offsets[min(t0 &+ 5, lastT)]
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
        var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
        var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
        for i in 0..<images {
            let x = xp + i &* imageStride
            var g = gyT + (i &* count &* rows &+ r0)
            for j in 0..<count {
                let b = x + positions[j]
                let v0 = load8(g), v1 = load8(g + 8)
                var s = SIMD8(repeating: b[f0]); a00 = a00.addingProduct(s, v0); a01 = a01.addingProduct(s, v1)
                s = SIMD8(repeating: b[f1]); a10 = a10.addingProduct(s, v0); a11 = a11.addingProduct(s, v1)
                s = SIMD8(repeating: b[f2]); a20 = a20.addingProduct(s, v0); a21 = a21.addingProduct(s, v1)
                s = SIMD8(repeating: b[f3]); a30 = a30.addingProduct(s, v0); a31 = a31.addingProduct(s, v1)
                s = SIMD8(repeating: b[f4]); a40 = a40.addingProduct(s, v0); a41 = a41.addingProduct(s, v1)
                s = SIMD8(repeating: b[f5]); a50 = a50.addingProduct(s, v0); a51 = a51.addingProduct(s, v1)
                g += rows
            }
        }
        // A repeated tap of a partial tile is not stored (it would add twice).
        let nt = min(6, taps &- t0)
        func put(_ q: Int, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
            guard q < nt else { return }
            let o = gwT + ((t0 &+ q) &* rows &+ r0)
            if accumulate {
                store8(o, load8(o) + v0); store8(o + 8, load8(o + 8) + v1)
            } else {
                store8(o, v0); store8(o + 8, v1)
            }
        }
        put(0, a00, a01); put(1, a10, a11); put(2, a20, a21); put(3, a30, a31); put(4, a40, a41); put(5, a50, a51)
    }
}

/// dst[r, i] = src[i, r] + bias[r] for src [count, rows], dst [rows, count].
public func transposeAddingBias(_ src: UnsafePointer<Float>, count: Int, rows: Int, bias: UnsafePointer<Float>?,
                                _ dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let b = bias?[r] ?? 0, d = dst + r &* count
        var s = src + r
        for i in 0..<count { d[i] = s.pointee + b; s += rows }
    }
}

/// Keeps the valid columns of a wide result: dst[r, y, x] = wide[r, y * wideWidth + x] + bias[r]
/// for dst [rows, outH, outW] and wide [rows, positions].
public func unwidenRows(_ wide: UnsafePointer<Float>, rows: Int, positions: Int, wideWidth: Int,
                        outH: Int, outW: Int, bias: UnsafePointer<Float>?, _ dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let s = wide + r &* positions, d = dst + r &* outH &* outW
        let b = bias?[r] ?? 0
        for y in 0..<outH {
            let src = s + y &* wideWidth, out = d + y &* outW
            if bias != nil { addScalar(out, src, b, outW) } else { copyShort(out, src, outW) }
        }
    }
}

/// The wide layout of an output gradient: dst[r, y * wideWidth + x] = src[r, y, x], 0 in the
/// dropped columns and up to `positions` (a multiple of 16) in each of the `rows` rows.
public func widenRows(_ src: UnsafePointer<Float>, rows: Int, outH: Int, outW: Int, wideWidth: Int,
                      positions: Int, _ dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let s = src + r &* outH &* outW, d = dst + r &* positions
        for y in 0..<outH {
            let row = d + y &* wideWidth
            copyShort(row, s + y &* outW, outW)
            if y &+ 1 < outH { zeroShort(row + outW, wideWidth &- outW) }
        }
        let used = (outH &- 1) &* wideWidth &+ outW
        zeroShort(d + used, positions &- used)
    }
}

/// Weight gradient of `convWide` summed over `images`: gw[r, t] = sum over images i and
/// positions j of gy[i][r, j] * xp[i][offsets[t] + j], with gy [images, rows, positions] in the
/// wide layout (0 in dropped columns) and each xp image `imageStride` floats apart. Stores, or
/// adds to gw when `accumulate`. Tiles of 3 rows x 4 taps (12 accumulators), claimed from
/// `tiles` (WorkQueue over ceil(rows / 3) * ceil(taps / 4) tiles) by whichever worker is free;
/// each gw element is one fixed sum whichever worker computes it.
public func convWeightGradient(_ xp: UnsafePointer<Float>, imageStride: Int, _ offsets: UnsafePointer<Int>, taps: Int,
                               _ gy: UnsafePointer<Float>, rows: Int, positions: Int, images: Int,
                               _ gw: UnsafeMutablePointer<Float>, accumulate: Bool, tiles: WorkQueue) {
    let tapBlocks = (taps &+ 3) / 4
    let lastR = rows &- 1, lastT = taps &- 1
    let imageRows = rows &* positions
    while let tile = tiles.claim() {
        let r0 = tile / tapBlocks &* 3, t0 = tile % tapBlocks &* 4
        let g0 = gy + r0 &* positions, g1 = gy + min(r0 &+ 1, lastR) &* positions, g2 = gy + min(r0 &+ 2, lastR) &* positions
        let f0 = offsets[t0], f1 = offsets[min(t0 &+ 1, lastT)], f2 = offsets[min(t0 &+ 2, lastT)], f3 = offsets[min(t0 &+ 3, lastT)]
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
        var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
        var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a22 = SIMD8<Float>(), a23 = SIMD8<Float>()
        for i in 0..<images {
            let gi = i &* imageRows, x = xp + i &* imageStride
            var j = 0
            while j < positions {
                let y0 = load8(g0 + (gi &+ j)), y1 = load8(g1 + (gi &+ j)), y2 = load8(g2 + (gi &+ j))
                let xj = x + j
                var v = load8(xj + f0)
                a00 = a00.addingProduct(y0, v); a10 = a10.addingProduct(y1, v); a20 = a20.addingProduct(y2, v)
                v = load8(xj + f1)
                a01 = a01.addingProduct(y0, v); a11 = a11.addingProduct(y1, v); a21 = a21.addingProduct(y2, v)
                v = load8(xj + f2)
                a02 = a02.addingProduct(y0, v); a12 = a12.addingProduct(y1, v); a22 = a22.addingProduct(y2, v)
                v = load8(xj + f3)
                a03 = a03.addingProduct(y0, v); a13 = a13.addingProduct(y1, v); a23 = a23.addingProduct(y2, v)
                j &+= 8
            }
        }
        // A repeated row or tap of a partial tile is not stored (it would add twice).
        let nr = min(3, rows &- r0), nt = min(4, taps &- t0)
        func put(_ dr: Int, _ dt: Int, _ v: SIMD8<Float>) {
            guard dr < nr, dt < nt else { return }
            let o = gw + ((r0 &+ dr) &* taps &+ t0 &+ dt), s = v.sum()
            o.pointee = accumulate ? o.pointee + s : s
        }
        put(0, 0, a00); put(0, 1, a01); put(0, 2, a02); put(0, 3, a03)
        put(1, 0, a10); put(1, 1, a11); put(1, 2, a12); put(1, 3, a13)
        put(2, 0, a20); put(2, 1, a21); put(2, 2, a22); put(2, 3, a23)
    }
}

/// Whether every x[i], i in 0..<count, is finite (x - x is 0 exactly when x is finite; four
/// independent sums keep the loop at the adder's throughput, not its latency).
public func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var i = 0
    while i &+ 32 <= count {
        var v = load8(x + i); a0 += v - v
        v = load8(x + (i &+ 8)); a1 += v - v
        v = load8(x + (i &+ 16)); a2 += v - v
        v = load8(x + (i &+ 24)); a3 += v - v
        i &+= 32
    }
    while i &+ 8 <= count { let v = load8(x + i); a0 += v - v; i &+= 8 }
    var tail: Float = 0
    while i < count { tail += x[i] - x[i]; i &+= 1 }
    return ((a0 + a1) + (a2 + a3)).sum() == 0 && tail == 0
}
