// im2col and its adjoint col2im for 2-D convolution over NCHW planes: the patch matrix that turns
// a convolution into one GEMM, and the scatter that turns the GEMM's transpose back into an
// image gradient. Callers validate every size; these loops run with -Ounchecked in release.

/// Geometry of a 2-D window (convolution or pooling) sliding over `channels` planes of
/// `height` x `width`, producing `outH` x `outW` positions. All values validated by the caller.
public struct WindowGeometry: Sendable {
    public var channels, height, width: Int
    public var kernelH, kernelW: Int
    public var strideH, strideW: Int
    public var padH, padW: Int
    public var dilationH, dilationW: Int
    public var outH, outW: Int

    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
                strideH: Int, strideW: Int, padH: Int, padW: Int,
                dilationH: Int, dilationW: Int, outH: Int, outW: Int) {
        self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW
        self.outH = outH; self.outW = outW
    }

    /// Rows of the patch matrix: channels * kernelH * kernelW.
    public var patchSize: Int { channels &* kernelH &* kernelW }
    /// Output positions per plane: outH * outW.
    public var outPlane: Int { outH &* outW }
    /// Input elements per plane: height * width.
    public var inPlane: Int { height &* width }
}

/// The output columns `lo..<hi` whose input column `ow * stride + offset` lies inside `0..<width`.
@inline(__always)
func validColumns(_ offset: Int, _ stride: Int, _ width: Int, _ outW: Int) -> (Int, Int) {
    let lo = offset >= 0 ? 0 : (0 &- offset &+ stride &- 1) / stride
    let last = width &- 1 &- offset
    let hi = last < 0 ? 0 : min(outW, last / stride &+ 1)
    return (min(lo, hi), hi)
}

/// Writes the patch matrix of `src` ([channels, height, width]) into `dst`:
/// row (c * kernelH + ki) * kernelW + kj, column oh * outW + ow holds
/// src[c, oh * strideH - padH + ki * dilationH, ow * strideW - padW + kj * dilationW], 0 outside.
/// Rows are `ld` floats apart (ld >= outH * outW), so several images can share one matrix.
public func im2col(_ src: UnsafePointer<Float>, _ g: WindowGeometry, _ dst: UnsafeMutablePointer<Float>, ld: Int) {
    if g.padH == 0 && g.padW == 0 && g.dilationH == 1 && g.dilationW == 1 {
        return im2colValid(src, g, dst, ld: ld)
    }
    im2colPadded(src, g, dst, ld: ld)
}

/// `im2col` for any padding and dilation: each output row is clipped to the input's columns.
public func im2colPadded(_ src: UnsafePointer<Float>, _ g: WindowGeometry, _ dst: UnsafeMutablePointer<Float>, ld: Int) {
    let ow = g.outW, sw = g.strideW
    for c in 0..<g.channels {
        let plane = src + c &* g.inPlane
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                let row = dst + ((c &* g.kernelH &+ ki) &* g.kernelW &+ kj) &* ld
                let off = kj &* g.dilationW &- g.padW
                let (lo, hi) = validColumns(off, sw, g.width, ow)
                for oh in 0..<g.outH {
                    let o = row + oh &* ow
                    let ih = oh &* g.strideH &- g.padH &+ ki &* g.dilationH
                    if ih < 0 || ih >= g.height {
                        zeroShort(o, ow)
                        continue
                    }
                    // s[x] is input column x + off of row ih; only lo..<hi are read.
                    let s = plane + (ih &* g.width &+ off)
                    zeroShort(o, lo)
                    if sw == 1 {
                        copyShort(o + lo, s + lo, hi &- lo)
                    } else {
                        var x = lo
                        while x < hi { o[x] = s[x &* sw]; x &+= 1 }
                    }
                    zeroShort(o + hi, ow &- hi)
                }
            }
        }
    }
}

/// `im2col` without padding or dilation (every window lies inside the input: no clipping, no
/// zeros), the case of DQN's and many classifiers' strided convolutions. Walking pointers with
/// the stride fixed per loop made it 4-6x faster than the general loop on the Nature DQN
/// network's shapes (rows of 20, 9 and 7 outputs at strides 4, 2 and 1), where the general
/// loop's per-row clipping cost more than the copy (bench-kernels --im2col).
public func im2colValid(_ src: UnsafePointer<Float>, _ g: WindowGeometry, _ dst: UnsafeMutablePointer<Float>, ld: Int) {
    let ow = g.outW, oh = g.outH, width = g.width, kw = g.kernelW
    let rowStep = g.strideH &* width
    var row = dst
    var plane = src
    for _ in 0..<g.channels {
        for ki in 0..<g.kernelH {
            for kj in 0..<kw {
                let s = plane + (ki &* width &+ kj)
                switch g.strideW {
                case 1: gatherRows(row, s, rows: oh, count: ow, rowStep: rowStep, stride: 1)
                case 2: gatherRows(row, s, rows: oh, count: ow, rowStep: rowStep, stride: 2)
                case 4: gatherRows(row, s, rows: oh, count: ow, rowStep: rowStep, stride: 4)
                default: gatherRows(row, s, rows: oh, count: ow, rowStep: rowStep, stride: g.strideW)
                }
                row += ld
            }
        }
        plane += g.inPlane
    }
}

/// o[r * count + x] = s[r * rowStep + x * stride] for r < rows, x < count. Inlined into each
/// stride's case so the constant stride becomes the loads' addressing.
@inline(__always)
func gatherRows(_ o: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, rows: Int, count: Int, rowStep: Int, stride: Int) {
    var o = o, s = s
    if stride == 1 {
        for _ in 0..<rows { copyShort(o, s, count); o += count; s += rowStep }
        return
    }
    for _ in 0..<rows {
        var x = 0
        while x &+ 4 <= count {
            o[x] = s[x &* stride]
            o[x &+ 1] = s[(x &+ 1) &* stride]
            o[x &+ 2] = s[(x &+ 2) &* stride]
            o[x &+ 3] = s[(x &+ 3) &* stride]
            x &+= 4
        }
        while x < count { o[x] = s[x &* stride]; x &+= 1 }
        o += count
        s += rowStep
    }
}

/// The adjoint of `im2col`: adds every entry of the patch matrix `src` (rows `ld` apart) onto
/// the input position it was read from in `dst` ([channels, height, width]); padding entries
/// are dropped. Overlapping windows accumulate, so `dst` must start zeroed (or hold a sum).
public func col2im(_ src: UnsafePointer<Float>, ld: Int, _ g: WindowGeometry, _ dst: UnsafeMutablePointer<Float>) {
    let ow = g.outW, sw = g.strideW
    for c in 0..<g.channels {
        let plane = dst + c &* g.inPlane
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                let row = src + ((c &* g.kernelH &+ ki) &* g.kernelW &+ kj) &* ld
                let off = kj &* g.dilationW &- g.padW
                let (lo, hi) = validColumns(off, sw, g.width, ow)
                if lo >= hi { continue }
                for oh in 0..<g.outH {
                    let ih = oh &* g.strideH &- g.padH &+ ki &* g.dilationH
                    if ih < 0 || ih >= g.height { continue }
                    let o = row + oh &* ow
                    let d = plane + (ih &* g.width &+ off)
                    if sw == 1 {
                        addInPlace(d + lo, o + lo, hi &- lo)
                    } else {
                        var x = lo
                        while x < hi { d[x &* sw] += o[x]; x &+= 1 }
                    }
                }
            }
        }
    }
}

// Rows of a small image's patch matrix are a few dozen floats: inline loops, not a memcpy or
// memset call per row (those calls were 12% of LeNet training time).

/// dst[i] = src[i] for i in 0..<n (n may be 0 or negative: nothing).
@inline(__always)
func copyShort(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i &+ 8 <= n { store8(dst + i, load8(src + i)); i &+= 8 }
    while i < n { dst[i] = src[i]; i &+= 1 }
}

/// dst[i] = 0 for i in 0..<n (n may be 0 or negative: nothing).
@inline(__always)
func zeroShort(_ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i &+ 8 <= n { store8(dst + i, SIMD8()); i &+= 8 }
    while i < n { dst[i] = 0; i &+= 1 }
}

/// dst[i] += src[i] for i in 0..<n.
@inline(__always)
func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i &+ 8 <= n {
        let d = UnsafeMutableRawPointer(dst + i).loadUnaligned(as: SIMD8<Float>.self)
        let s = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: d + s, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < n { dst[i] += src[i]; i &+= 1 }
}

/// Scatters a [rows, blocks * blockSize] GEMM result whose column block b belongs to image b,
/// adding bias[r] when given: dst[b * dstBlockStride + r * blockSize + j] =
/// src[r * blocks * blockSize + b * blockSize + j] + bias[r].
public func storeColumnBlocks(_ src: UnsafePointer<Float>, rows: Int, blocks: Int, blockSize: Int,
                              _ dst: UnsafeMutablePointer<Float>, dstBlockStride: Int, bias: UnsafePointer<Float>?) {
    let ld = blocks &* blockSize
    for b in 0..<blocks {
        for r in 0..<rows {
            let d = dst + (b &* dstBlockStride &+ r &* blockSize), s = src + (r &* ld &+ b &* blockSize)
            if let bias { addScalar(d, s, bias[r], blockSize) } else { d.update(from: s, count: blockSize) }
        }
    }
}

/// dst[i] = src[i] + value for i in 0..<n (`dst` may be `src`).
@inline(__always)
func addScalar(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ value: Float, _ n: Int) {
    let v = SIMD8<Float>(repeating: value)
    var i = 0
    while i &+ 8 <= n {
        let s = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: s + v, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < n { dst[i] = src[i] + value; i &+= 1 }
}

/// Adds bias[r] to every element of row r of a [rows, cols] matrix, in place.
public func addRowBias(_ m: UnsafeMutablePointer<Float>, rows: Int, cols: Int, _ bias: UnsafePointer<Float>) {
    for r in 0..<rows {
        let row = m + r &* cols
        addScalar(row, row, bias[r], cols)
    }
}

/// The inverse layout change: dst[r * blocks * blockSize + b * blockSize + j] =
/// src[b * srcBlockStride + r * blockSize + j] (per-image gradients side by side for one GEMM).
public func gatherColumnBlocks(_ src: UnsafePointer<Float>, srcBlockStride: Int, rows: Int, blocks: Int, blockSize: Int,
                               _ dst: UnsafeMutablePointer<Float>) {
    let ld = blocks &* blockSize
    for b in 0..<blocks {
        for r in 0..<rows {
            (dst + (r &* ld &+ b &* blockSize)).update(from: src + (b &* srcBlockStride &+ r &* blockSize), count: blockSize)
        }
    }
}
