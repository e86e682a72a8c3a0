// The patch matrix of unpadded windows written straight into gemmPacked's 16-column panels,
// instead of im2col into a [patch, columns] matrix and packRowsIntoPanels over it: the DQN
// update spent 28% of its time in those two passes, each through a matrix of up to 1 MB that
// left the L2 between them (conv 8x8/4 on a group of images). One pass, reading the images
// (which stay in cache) and writing each panel once, front to back.
//
// Every entry of a patch matrix is src[column offset + row offset]: the column (an image and
// an output position) fixes where its window starts, the row (a channel and a kernel tap) where
// in the window it reads. A panel is, for each of its outer indices, 16 consecutive entries
// along its inner index; both panel layouts gemmPacked takes are this one gather with the
// roles of rows and columns swapped.

/// Whether `im2colPanels` and `im2colPanelsTransposed` take this geometry: windows that stay
/// inside the image (no padding, any stride and dilation).
public func patchPanelsApply(_ g: WindowGeometry) -> Bool { g.padH == 0 && g.padW == 0 }

/// Columns [c0, c0 + n) of the patch matrix of consecutive images (`imageStride` floats
/// apart, each [channels, height, width] from `src`; column q is image q / outPlane, output
/// position q % outPlane) packed as `packRowsIntoPanels` packs that matrix: panel p holds, for
/// each patch row, the 16 entries of columns c0 + 16p ..< c0 + 16p + 16, zeros past column
/// c0 + n. Writes packedPanelsCount(k: g.patchSize, n: n) floats. Needs patchPanelsApply(g).
public func im2colPanels(_ src: UnsafePointer<Float>, imageStride: Int, _ g: WindowGeometry, c0: Int, n: Int,
                         _ dst: UnsafeMutablePointer<Float>) {
    let k = g.patchSize
    withPatchOffsets(g, imageStride: imageStride, c0: c0, columns: n) { rows, cols, limit in
        var p = 0
        while p &* 16 < n {
            gatherPanel(dst + p &* k &* 16, src, inner: cols + p &* 16, width: min(16, n &- p &* 16), step: g.strideW,
                        outer: rows, count: k, limit: limit)
            p &+= 1
        }
    }
}

/// The transpose of columns [0, n) of that patch matrix, packed as `packPanels(transposed:
/// true)` packs it for a product with the matrix on the right (the weight gradient, G @
/// patches^T): panel p holds, for each column q < n, the 16 entries of patch rows 16p ..< 16p +
/// 16, zeros past the last row. Writes packedPanelsCount(k: n, n: g.patchSize) floats.
public func im2colPanelsTransposed(_ src: UnsafePointer<Float>, imageStride: Int, _ g: WindowGeometry, n: Int,
                                   _ dst: UnsafeMutablePointer<Float>) {
    im2colPanelsTransposed(src, imageStride: imageStride, g, n: n, panels: 0..<((g.patchSize &+ 15) / 16), dst)
}

/// Panels `panels` of `im2colPanelsTransposed` only (panel p at dst + (p - panels.lowerBound) *
/// n * 16): the part of the weight gradient's operand one worker needs for its 16-row blocks.
public func im2colPanelsTransposed(_ src: UnsafePointer<Float>, imageStride: Int, _ g: WindowGeometry, n: Int,
                                   panels: Range<Int>, _ dst: UnsafeMutablePointer<Float>) {
    let k = g.patchSize
    withPatchOffsets(g, imageStride: imageStride, c0: 0, columns: n) { rows, cols, limit in
        for p in panels where p &* 16 < k {
            let inner = rows + p &* 16
            if g.strideW == 1 && k &- p &* 16 >= 16 && inner[15] != inner[0] &+ 15 {
                // Columns are output positions, consecutive floats along each output row. (16
                // consecutive patch rows, as 16 channels of 1x1 maps, take gatherPanel's copy.)
                gatherPanelTransposing(dst + (p &- panels.lowerBound) &* n &* 16, src, inner: inner, outer: cols, count: n)
                continue
            }
            gatherPanel(dst + (p &- panels.lowerBound) &* n &* 16, src, inner: rows + p &* 16, width: min(16, k &- p &* 16),
                        step: g.dilationW, outer: cols, count: n, limit: limit)
        }
    }
}

/// The row offsets (patch rows, rounded up to 16 with zeros) and column offsets (columns c0 ..<
/// c0 + columns, rounded up likewise) of the patch matrix, in stack buffers, and a bound on
/// what a gather may read: the end of the last image's `channels` planes (src's own data).
@inline(__always)
private func withPatchOffsets(_ g: WindowGeometry, imageStride: Int, c0: Int, columns: Int,
                              _ body: (UnsafePointer<Int>, UnsafePointer<Int>, Int) -> Void) {
    let k = g.patchSize, rowCount = (k &+ 15) & ~15, colCount = (columns &+ 15) & ~15
    withUnsafeTemporaryAllocation(of: Int.self, capacity: rowCount &+ colCount) { buffer in
        let rows = buffer.baseAddress!, cols = rows + rowCount
        var r = 0
        for c in 0..<g.channels {
            for ki in 0..<g.kernelH {
                for kj in 0..<g.kernelW {
                    rows[r] = c &* g.inPlane &+ ki &* g.dilationH &* g.width &+ kj &* g.dilationW
                    r &+= 1
                }
            }
        }
        while r < rowCount { rows[r] = 0; r &+= 1 }
        let plane = g.outPlane, ow = g.outW
        let rowStep = g.strideH &* g.width
        // walk (image, output row, output column) from column c0 without a division per column
        var image = c0 / plane, pos = c0 &- image &* plane
        var oy = pos / ow, ox = pos &- oy &* ow
        for q in 0..<columns {
            cols[q] = image &* imageStride &+ oy &* rowStep &+ ox &* g.strideW
            ox &+= 1
            if ox == ow {
                ox = 0; oy &+= 1
                if oy == g.outH { oy = 0; image &+= 1 }
            }
        }
        for q in columns..<colCount { cols[q] = 0 }
        let lastImage = columns > 0 ? (c0 &+ columns &- 1) / plane : 0  // (images counted from src)
        body(UnsafePointer(rows), UnsafePointer(cols), lastImage &* imageStride &+ g.channels &* g.inPlane)
    }
}

/// d[o * 16 + j] = src[outer[o] + inner[j]] for o < count, j < width, and 0 for j >= width.
/// `step` is the distance between neighbouring inner offsets within one window row (the stride
/// for output columns, the dilation for kernel taps); reads stay below src + limit.
@inline(__always)
private func gatherPanel(_ d: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, inner: UnsafePointer<Int>,
                         width: Int, step: Int, outer: UnsafePointer<Int>, count: Int, limit: Int) {
    if width == 16 {
        // 16 consecutive offsets (16 output positions in one row of one image, as every panel of
        // a 1x1 convolution's patch matrix but the ones straddling two images): one vector
        // copy per row (the gather element by element was 3.6% of a MobileNetV2 training step).
        var consecutive = true
        for j in 1..<16 where inner[j] != inner[0] &+ j { consecutive = false }
        if consecutive {
            let s0 = src + inner[0]
            for o in 0..<count {
                let v = UnsafeRawPointer(s0 + outer[o]).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(d + o &* 16).storeBytes(of: v, as: SIMD16<Float>.self)
            }
            return
        }
        if step == 1 || step == 2 || step == 4 {
            return gatherPanelRuns(d, src, inner: inner, step: step, outer: outer, count: count, limit: limit)
        }
        // the 16 inner offsets held in registers (LLVM keeps a constant-trip loop unrolled)
        for o in 0..<count {
            let s = src + outer[o], row = d + o &* 16
            for j in 0..<16 { row[j] = s[inner[j]] }
        }
        return
    }
    for o in 0..<count {
        let s = src + outer[o], row = d + o &* 16
        for j in 0..<16 { row[j] = j < width ? s[inner[j]] : 0 }
    }
}

/// gatherPanel for a full panel whose outer offsets come in runs of consecutive floats (the
/// output positions of a row at stride 1, as the columns of a transposed patch matrix): each 8
/// positions of one run are 16 vectors of 8 (one per inner offset), transposed in registers
/// as two 8x8 blocks; 8 positions straddling two runs go element by element. Element by element
/// throughout (16 runs of one float each for a 1x1 convolution's channels), this was 3.8% of a
/// MobileNetV2 training step; it replaces im2col and a transposing pack for padded windows.
@inline(never)
private func gatherPanelTransposing(_ d: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>,
                                    inner: UnsafePointer<Int>, outer: UnsafePointer<Int>, count: Int) {
    var o = 0
    while o &+ 8 <= count {
        // outer offsets only grow, by at least 1 a position: 7 more over 8 means a run
        if outer[o &+ 7] == outer[o] &+ 7 {
            let s = src + outer[o], row = d + o &* 16
            for half in 0..<2 {
                let i = inner + half &* 8
                var r0 = load8(s + i[0]), r1 = load8(s + i[1]), r2 = load8(s + i[2]), r3 = load8(s + i[3])
                var r4 = load8(s + i[4]), r5 = load8(s + i[5]), r6 = load8(s + i[6]), r7 = load8(s + i[7])
                transpose8x8(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7)
                let t = row + half &* 8
                store8(t, r0); store8(t + 16, r1); store8(t + 32, r2); store8(t + 48, r3)
                store8(t + 64, r4); store8(t + 80, r5); store8(t + 96, r6); store8(t + 112, r7)
            }
        } else {
            for q in o..<(o &+ 8) {
                let s = src + outer[q], row = d + q &* 16
                for j in 0..<16 { row[j] = s[inner[j]] }
            }
        }
        o &+= 8
    }
    for q in o..<count {
        let s = src + outer[q], row = d + q &* 16
        for j in 0..<16 { row[j] = s[inner[j]] }
    }
}

/// gatherPanel for a full panel whose inner offsets are runs `step` apart (1, 2 or 4): output
/// positions of a strided convolution's rows (an 8x8/4 convolution's 20-wide rows: 16 columns
/// are one run or two), or the taps of a kernel's rows. Each run of each row is one strided
/// vector load (step vectors and even-lane shuffles) stored at the run's first lane; the 16
/// lanes stored reach past the run, and are overwritten by the row's next run, or by the next
/// row's first (rows go in order; the last row stores only its own lanes). Element by element,
/// the strided gathers were 17% of a DQN update.
@inline(never)
private func gatherPanelRuns(_ d: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, inner: UnsafePointer<Int>,
                             step: Int, outer: UnsafePointer<Int>, count: Int, limit: Int) {
    // the runs: first lanes, ascending; at most 16
    var starts: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &starts) { raw in
        let start = raw.baseAddress!.assumingMemoryBound(to: Int.self)
        var runs = 1
        for j in 1..<16 where inner[j] != inner[j &- 1] &+ step {
            start[runs] = j
            runs &+= 1
        }
        let span = 16 &* step  // floats one strided load reads
        var maxOuter = 0
        for o in 0..<count where outer[o] > maxOuter { maxOuter = outer[o] }
        var maxInner = 0
        for r in 0..<runs where inner[start[r]] > maxInner { maxInner = inner[start[r]] }
        guard runs <= 4, maxOuter &+ maxInner &+ span <= limit else {
            // many short runs, or loads that would read past the images: element by element
            for o in 0..<count {
                let s = src + outer[o], row = d + o &* 16
                for j in 0..<16 { row[j] = s[inner[j]] }
            }
            return
        }
        for o in 0..<(count &- 1) {
            let s = src + outer[o], row = d + o &* 16
            for r in 0..<runs {
                let j = start[r]
                UnsafeMutableRawPointer(row + j).storeBytes(of: stridedLoad(s + inner[j], step), as: SIMD16<Float>.self)
            }
        }
        if count > 0 {
            let o = count &- 1, s = src + outer[o], row = d + o &* 16
            for j in 0..<16 { row[j] = s[inner[j]] }
        }
    }
}

/// p[0], p[step], ..., p[15 step] for step 1, 2 or 4 (reads p[0 ..< 16 step]).
@inline(__always)
private func stridedLoad(_ p: UnsafePointer<Float>, _ step: Int) -> SIMD16<Float> {
    let r = UnsafeRawPointer(p)
    @inline(__always) func load(_ i: Int) -> SIMD16<Float> { r.loadUnaligned(fromByteOffset: i &* 64, as: SIMD16<Float>.self) }
    switch step {
    case 1: return load(0)
    case 2: return evens(load(0), load(1))
    default: return evens(evens(load(0), load(1)), evens(load(2), load(3)))
    }
}

/// The even lanes of a, then those of b (written out lane by lane: LLVM makes it one two-source
/// permute, where SIMD32's generic `evenHalf` stayed a loop through memory).
@inline(__always)
private func evens(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    SIMD16(a[0], a[2], a[4], a[6], a[8], a[10], a[12], a[14], b[0], b[2], b[4], b[6], b[8], b[10], b[12], b[14])
}
