// Max and average pooling of the channels-last inference plan (SwiftNN/Inference): one output
// row of one image, 16 channels a vector (the pitch is a multiple of 16). Each channel sees the
// comparisons or additions of the plane-by-plane kernels (Pool.swift) in the same order, so
// the plan gives the node-by-node forward's bits:
// - max: from -inf, the window's taps inside the image in row-major order, a tap taken when it
//   is greater or NaN (the first maximum, the last NaN; a window with no tap inside is -inf);
// - average: from 0, the taps inside the image in row-major order added one by one, divided by
//   the window clipped to the padded input (countIncludePad) or to the input (avgWindow).
// Pooling reads each input a few times and computes little: memory-bound, so SIMD16 in the
// AVX2 module (two ymm registers) is enough; no AVX-512 copy.

/// Where a channels-last pooling reads and writes: the depthwise convolution's window over the
/// same layout (input [h, w, pitch] of one image, output row [ow, pitch], window kh x kw,
/// stride, padding (top, left), dilation: 1 for averages).
public typealias PoolNHWCGeometry = DepthwiseNHWCGeometry

/// Taps of one axis inside [0, size): from the first tap at or after 0 to the end, dilation apart.
@inline(__always)
private func insideTaps(_ start: Int, _ kernel: Int, _ dilation: Int, _ size: Int) -> (first: Int, end: Int) {
    var first = start
    if first < 0 { first &+= (0 &- first &+ dilation &- 1) / dilation &* dilation }
    return (first, min(start &+ (kernel &- 1) &* dilation &+ 1, size))
}

/// Output row `oy` of a max pool (see the file's comment for the order and NaN rule).
public func maxPoolNHWCRow(_ x: UnsafePointer<Float>, _ g: PoolNHWCGeometry, oy: Int, _ out: UnsafeMutablePointer<Float>) {
    let rows = insideTaps(oy &* g.sh &- g.ph, g.kh, g.dh, g.h)
    for ox in 0..<g.ow {
        let cols = insideTaps(ox &* g.sw &- g.pw, g.kw, g.dw, g.w)
        var c0 = 0
        while c0 < g.pitch {
            var best = SIMD16<Float>(repeating: -.infinity)
            var iy = rows.first
            while iy < rows.end {
                var ix = cols.first
                while ix < cols.end {
                    let v = UnsafeRawPointer(x + ((iy &* g.w &+ ix) &* g.pitch &+ c0)).loadUnaligned(as: SIMD16<Float>.self)
                    best.replace(with: v, where: (v .> best) .| (v .!= v))
                    ix &+= g.dw
                }
                iy &+= g.dh
            }
            UnsafeMutableRawPointer(out + (ox &* g.pitch &+ c0)).storeBytes(of: best, as: SIMD16<Float>.self)
            c0 &+= 16
        }
    }
}

/// Output row `oy` of an average pool (dilation 1; see the file's comment for the divisor).
public func avgPoolNHWCRow(_ x: UnsafePointer<Float>, _ g: PoolNHWCGeometry, oy: Int, countIncludePad: Bool,
                           _ out: UnsafeMutablePointer<Float>) {
    let wh = avgWindow(oy, g.sh, g.ph, g.kh, g.h)
    for ox in 0..<g.ow {
        let ww = avgWindow(ox, g.sw, g.pw, g.kw, g.w)
        let empty = wh.start >= wh.end || ww.start >= ww.end
        let divisor = countIncludePad ? wh.padded &* ww.padded : (wh.end &- wh.start) &* (ww.end &- ww.start)
        let d = SIMD16<Float>(repeating: Float(divisor))
        var c0 = 0
        while c0 < g.pitch {
            var sum = SIMD16<Float>()
            if !empty {
                for iy in wh.start..<wh.end {
                    for ix in ww.start..<ww.end {
                        sum += UnsafeRawPointer(x + ((iy &* g.w &+ ix) &* g.pitch &+ c0)).loadUnaligned(as: SIMD16<Float>.self)
                    }
                }
                sum /= d
            }
            UnsafeMutableRawPointer(out + (ox &* g.pitch &+ c0)).storeBytes(of: sum, as: SIMD16<Float>.self)
            c0 &+= 16
        }
    }
}
