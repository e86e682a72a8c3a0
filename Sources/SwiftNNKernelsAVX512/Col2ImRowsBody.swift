// The body of col2imOverwriting (SwiftNNKernels/Col2ImRows.swift: why it sums each input row in
// registers): one @inlinable body in 16-lane vectors, instantiated here for AVX-512, where a row
// of up to 16 floats is one register and each tap one masked add, and inlined into
// SwiftNNKernels for AVX2, where the same operations run as pairs of 8-lane halves. Both
// instances add the same values in the same order, so they give the same bits.

/// A col2im window: `channels` planes of height x width, a kernelH x kernelW window with
/// stride, padding (top, left) and dilation, producing outH x outW positions.
public struct Col2ImRowsGeometry: Sendable {
    public var channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW: Int
    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                padH: Int, padW: Int, dilationH: Int, dilationW: Int, outH: Int, outW: Int) {
        self.channels = channels; self.height = height; self.width = width; self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW; self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW; self.outH = outH; self.outW = outW
    }
}

/// dst = col2im(src) onto zeros, for strideW `stride` (1 or 2) and width <= 64 (the caller
/// checks both, and that src may be read 128 floats beyond the patch rows it uses).
///
/// The rows of each channel in order; each row in 16-lane blocks, each block one chain of
/// masked adds over the taps (kernel rows, then columns) that read it. A block's store may run
/// past its row into the next rows, which are written after it, but never past the plane.
/// Which lanes a kernel column adds to a block, and where it reads them, depend on the block
/// and the column alone: computed once.
@inlinable @inline(__always)
public func col2imRowsBody(_ src: UnsafePointer<Float>, ld: Int, _ g: Col2ImRowsGeometry, _ dst: UnsafeMutablePointer<Float>,
                           stride: Int) {
    let width = g.width, ow = g.outW, oh = g.outH, kh = g.kernelH, kw = g.kernelW, inPlane = g.height &* g.width
    let blocks = (width &+ 15) >> 4
    let lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    // (masks kept as masks: comparing stored integers on each use built every mask lane by
    // lane through the stack, 5x slower than col2im)
    withUnsafeTemporaryAllocation(of: SIMDMask<SIMD16<Int32>>.self, capacity: blocks &* kw) { masks in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: blocks &* kw &+ kh) { ints in
            let reads = ints.baseAddress!, rows = reads + blocks &* kw
            // Block b's lane l is input column x = 16b + l; kernel column kj adds output column
            // (x - off) / stride where that is whole and in 0 ..< ow (off = kj * dilation - pad).
            for b in 0..<blocks {
                for kj in 0..<kw {
                    let x0 = b &<< 4, off = kj &* g.dilationW &- g.padW
                    let lo = max(0, off) &- x0, hi = min(width, off &+ (ow &- 1) &* stride &+ 1) &- x0
                    var inside = (lane .>= Int32(truncatingIfNeeded: lo)) .& (lane .< Int32(truncatingIfNeeded: hi))
                    if stride == 2 { inside = inside .& ((lane &+ Int32(truncatingIfNeeded: x0 &- off)) & 1 .== 0) }
                    masks[b &* kw &+ kj] = inside
                    reads[b &* kw &+ kj] = x0 &- off
                }
            }
            for c in 0..<g.channels {
                let plane = dst + c &* inPlane
                let taps = src + c &* kh &* kw &* ld
                for ih in 0..<g.height {
                    // the patch rows (kernel row, output row) that read input row ih, in kernel-row order
                    var count = 0
                    for ki in 0..<kh {
                        let t = ih &+ g.padH &- ki &* g.dilationH
                        if t < 0 { break }  // (t falls as ki grows)
                        let y = g.strideH == 1 ? t : t / g.strideH
                        if y &* g.strideH != t || y >= oh { continue }
                        rows[count] = ki &* kw &* ld &+ y &* ow
                        count &+= 1
                    }
                    let out = plane + ih &* width
                    for b in 0..<blocks {
                        let x0 = b &<< 4, mask = masks.baseAddress! + b &* kw, read = reads + b &* kw
                        var acc = SIMD16<Float>()
                        for e in 0..<count {
                            var tap = taps + rows[e]
                            for kj in 0..<kw {
                                let v: SIMD16<Float>
                                if stride == 1 {
                                    v = UnsafeRawPointer(tap + read[kj]).loadUnaligned(as: SIMD16<Float>.self)
                                } else {
                                    // lane l reads output column (q + l) / 2, q = x0 - off
                                    let q = read[kj]
                                    let a = UnsafeRawPointer(tap + (q >> 1)).loadUnaligned(as: SIMD16<Float>.self)
                                    v = q & 1 == 0
                                        ? SIMD16(a[0], a[0], a[1], a[1], a[2], a[2], a[3], a[3], a[4], a[4], a[5], a[5], a[6], a[6], a[7], a[7])
                                        : SIMD16(a[0], a[1], a[1], a[2], a[2], a[3], a[3], a[4], a[4], a[5], a[5], a[6], a[6], a[7], a[7], a[8])
                                }
                                acc.replace(with: acc + v, where: mask[kj])
                                tap += ld
                            }
                        }
                        if ih &* width &+ x0 &+ 16 <= inPlane {
                            UnsafeMutableRawPointer(out + x0).storeBytes(of: acc, as: SIMD16<Float>.self)
                        } else {
                            for l in 0..<min(16, width &- x0) { out[x0 &+ l] = acc[l] }
                        }
                    }
                }
            }
        }
    }
}

/// The AVX-512 instance (this module is compiled for AVX-512; callers check the CPU).
public func col2imRowsAVX512(_ src: UnsafePointer<Float>, ld: Int, _ g: Col2ImRowsGeometry, _ dst: UnsafeMutablePointer<Float>) {
    if g.strideW == 1 { col2imRowsBody(src, ld: ld, g, dst, stride: 1) } else { col2imRowsBody(src, ld: ld, g, dst, stride: 2) }
}
