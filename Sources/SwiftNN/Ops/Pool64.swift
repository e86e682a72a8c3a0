// max_pool2d, avg_pool2d and adaptive_avg_pool2d in float64: the float32 kernels' loops
// (Sources/SwiftNNKernels/Pool.swift, same window rules, ties and NaN handling) in Double,
// with their backward scatters, for double-precision gradient checks. Plain loops: these
// forms exist for precision, not speed.
import SwiftNNKernels

/// max_pool2d of a float64 input (plan validated by PoolPlan): values and int64 indices
/// ih * W + iw within each plane (-1 for a window that misses the input, as the kernel).
func maxPool2d64(_ input: Tensor, _ plan: PoolPlan, _ fn: String) throws -> (output: Tensor, indices: Tensor) {
    let g = plan.geometry, inPlane = g.inPlane, outPlane = g.outPlane
    let out = try Tensor(empty: plan.outShape, dtype: .float64, zeroed: false, fn)
    let indices = try Tensor(empty: plan.outShape, dtype: .int64, zeroed: false, fn)
    let px = input.doubles, po = out.doubles, px64 = indices.int64s
    for p in 0..<plan.planes {
        let s = px + p * inPlane
        for oh in 0..<g.outH {
            for ow in 0..<g.outW {
                var best = -Double.infinity, at = -1
                for ki in 0..<g.kernelH {
                    let ih = oh * g.strideH - g.padH + ki * g.dilationH
                    guard ih >= 0, ih < g.height else { continue }
                    for kj in 0..<g.kernelW {
                        let iw = ow * g.strideW - g.padW + kj * g.dilationW
                        guard iw >= 0, iw < g.width else { continue }
                        let k = ih * g.width + iw, v = s[k]
                        if at < 0 || v > best || v.isNaN { best = v; at = k }
                    }
                }
                po[p * outPlane + oh * g.outW + ow] = best
                px64[p * outPlane + oh * g.outW + ow] = Int64(at)
            }
        }
    }
    out.recorded("MaxPool2DWithIndicesBackward", [input], saves: [], readsOutput: false) { gout in
        // forward: out[p, o] = input[p, indices[p, o]]  =>  dx[p, indices[p, o]] += g[p, o]
        let gx = try Tensor(empty: input.shape, dtype: .float64, zeroed: true, "max_pool2d_backward")
        let pg = gout.doubles, pd = gx.doubles, pi = indices.int64s
        for p in 0..<plan.planes {
            for o in 0..<outPlane where pi[p * outPlane + o] >= 0 {
                pd[p * inPlane + Int(pi[p * outPlane + o])] += pg[p * outPlane + o]
            }
        }
        return [gx]
    }
    return (out, indices)
}

/// Window of output position `o` along one axis of an average pool (the kernel's rule): the
/// summed range clipped to the input, and the extent clipped to the padded input.
private func averageWindow(_ o: Int, _ stride: Int, _ pad: Int, _ kernel: Int, _ size: Int) -> (Range<Int>, padded: Int) {
    let start = o * stride - pad, end = Swift.min(start + kernel, size + pad)
    let lo = Swift.max(start, 0), hi = Swift.min(end, size)
    return (lo..<Swift.max(lo, hi), end - start)
}

/// Runs `body(plane, output offset, rows, columns, divisor)` over every non-empty window of
/// an average pool (avg_pool2d: `divisor` from PyTorch's rules; adaptive: the cell's size).
private func forEachAverageWindow(_ planes: Int, outH: Int, outW: Int,
                                  _ window: (Int, Int) -> (Range<Int>, Range<Int>, Int),
                                  _ body: (Int, Int, Range<Int>, Range<Int>, Double) -> Void) {
    for p in 0..<planes {
        for oh in 0..<outH {
            for ow in 0..<outW {
                let (rows, cols, divisor) = window(oh, ow)
                body(p, oh * outW + ow, rows, cols, Double(divisor))
            }
        }
    }
}

/// avg_pool2d or adaptive_avg_pool2d of a float64 input seen as `planes` planes of
/// height x width, with windows given by `window(oh, ow)`; empty windows give 0.
func averagePool64(_ input: Tensor, planes: Int, height: Int, width: Int, outH: Int, outW: Int, outShape: [Int],
                   backwardName: String, _ fn: String, _ window: @escaping (Int, Int) -> (Range<Int>, Range<Int>, Int)) throws -> Tensor {
    let out = try Tensor(empty: outShape, dtype: .float64, zeroed: true, fn)
    let px = input.doubles, po = out.doubles, inPlane = height * width, outPlane = outH * outW
    forEachAverageWindow(planes, outH: outH, outW: outW, window) { p, o, rows, cols, divisor in
        guard !rows.isEmpty, !cols.isEmpty else { return }
        var sum = 0.0
        for ih in rows { for iw in cols { sum += px[p * inPlane + ih * width + iw] } }
        po[p * outPlane + o] = sum / divisor
    }
    return out.recorded(backwardName, [input], saves: [], readsOutput: false) { gout in
        // forward: out[p, o] = sum of input[p] over the window of o / divisor(o)
        let gx = try Tensor(empty: input.shape, dtype: .float64, zeroed: true, "\(fn)_backward")
        let pg = gout.doubles, pd = gx.doubles
        forEachAverageWindow(planes, outH: outH, outW: outW, window) { p, o, rows, cols, divisor in
            let v = pg[p * outPlane + o] / divisor
            for ih in rows { for iw in cols { pd[p * inPlane + ih * width + iw] += v } }
        }
        return [gx]
    }
}

/// avg_pool2d of a float64 input (plan validated by PoolPlan).
func avgPool2d64(_ input: Tensor, _ plan: PoolPlan, countIncludePad: Bool, divisorOverride: Int) throws -> Tensor {
    let g = plan.geometry
    return try averagePool64(input, planes: plan.planes, height: g.height, width: g.width, outH: g.outH, outW: g.outW,
                             outShape: plan.outShape, backwardName: "AvgPool2DBackward", "avg_pool2d") { oh, ow in
        let (rows, ph) = averageWindow(oh, g.strideH, g.padH, g.kernelH, g.height)
        let (cols, pw) = averageWindow(ow, g.strideW, g.padW, g.kernelW, g.width)
        let divisor = divisorOverride > 0 ? divisorOverride : countIncludePad ? ph * pw : rows.count * cols.count
        return (rows, cols, divisor)
    }
}

/// adaptive_avg_pool2d of a float64 input [N, C, H, W] (as `x`, validated by the caller):
/// cell i along an axis of length L covers floor(i L / O) ..< ceil((i + 1) L / O).
func adaptiveAvgPool2d64(_ input: Tensor, _ x: [Int], outH: Int, outW: Int, outShape: [Int]) throws -> Tensor {
    let (h, w) = (x[2], x[3])
    return try averagePool64(input, planes: x[0] * x[1], height: h, width: w, outH: outH, outW: outW, outShape: outShape,
                             backwardName: "AdaptiveAvgPool2DBackward", "adaptive_avg_pool2d") { oh, ow in
        let rows = (oh * h / outH)..<(((oh + 1) * h + outH - 1) / outH)
        let cols = (ow * w / outW)..<(((ow + 1) * w + outW - 1) / outW)
        return (rows, cols, rows.count * cols.count)
    }
}
