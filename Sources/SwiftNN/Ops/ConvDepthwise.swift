// Depthwise conv2d (groups = C = K: MobileNet's 3x3 and 5x5 layers) without im2col: each plane
// is zero-padded once (at column stride 2 split into even and odd columns) and every output row
// is a sum of contiguous runs (SwiftNNKernels/DepthwiseConv.swift). Forward and input gradient
// go plane by plane, the weight gradient channel by channel over the whole batch, each item
// taken by whichever worker is free and computed by one worker in a fixed order, so results do
// not depend on the number of threads.
import SwiftNNKernels

/// Geometry of one padded plane of the depthwise path.
struct DepthwisePlane {
    let hp, wp: Int
    /// Column stride 2: each padded row is stored as its even columns, then its odd ones.
    let split: Bool
    let half: Int
    /// Floats per stored padded row.
    let pitch: Int
    var floats: Int { hp * pitch }

    init(_ g: WindowGeometry) {
        hp = g.height + 2 * g.padH
        wp = g.width + 2 * g.padW
        split = g.strideW == 2
        half = (wp + 1) / 2
        pitch = split ? 2 * half : wp
    }

    /// Where padded column `col` of a row is stored.
    func column(_ col: Int) -> Int { split ? (col & 1) * half + (col >> 1) : col }
}

/// Raw pointers handed to team workers (each writes only its own planes or channels).
private struct DepthwisePointers: @unchecked Sendable {
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>?
    let offsets: UnsafeMutablePointer<Int>
}

extension ConvPlan {
    /// Offsets of the kh * kw taps from an output row's base (row oy * strideH of the padded
    /// plane): tap (ki, kj) of output column x reads base[offset + x].
    private func depthwiseOffsets(_ p: DepthwisePlane, _ fn: String) throws -> Tensor {
        let g = geometry
        let t = try Tensor(empty: [kh * kw], dtype: .int64, zeroed: false, fn)
        let o = UnsafeMutableRawPointer(t.int64s).assumingMemoryBound(to: Int.self)
        for ki in 0..<kh { for kj in 0..<kw { o[ki * kw + kj] = ki * g.dilationH * p.pitch + p.column(kj * g.dilationW) } }
        return t
    }

    private func depthwiseWorkers(parts: Int) -> Int {
        let macs = saturatingProduct(n, c, kh * kw, outPlane)
        guard macs >= 1 << 18 else { return 1 }
        return max(1, min(EngineThreads.count, parts, 16))
    }

    /// out = conv(x, weight) + bias, then `activation`, plane by plane.
    func forwardDepthwise(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                          _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let g = geometry, p = DepthwisePlane(g)
        let offsets = try depthwiseOffsets(p, fn)
        let planes = n * c, workers = depthwiseWorkers(parts: planes)
        let scratch = try Tensor(empty: [workers, p.floats], dtype: .float32, zeroed: false, fn)
        let ptrs = DepthwisePointers(a: UnsafeMutablePointer(mutating: x), b: UnsafeMutablePointer(mutating: weight), c: out,
                                     bias: bias.map { UnsafeMutablePointer(mutating: $0) },
                                     offsets: UnsafeMutableRawPointer(offsets.int64s).assumingMemoryBound(to: Int.self))
        let (c, h, w, taps, oh, ow, sh) = (c, h, w, kh * kw, g.outH, g.outW, g.strideH)
        let buf = scratch.floats, floats = p.floats
        let queue = WorkQueue(count: planes)
        StepTeam.shared.run(workers: workers) { ctx in
            let xp = buf + ctx.worker * floats
            while let i = queue.claim() {
                let ch = i % c
                padPlaneForDepthwise(ptrs.a + i * h * w, height: h, width: w, padH: g.padH, padW: g.padW,
                                     split: p.split, pitch: p.pitch, xp)
                let wt = UnsafePointer(ptrs.b + ch * taps), b = ptrs.bias?[ch] ?? 0, o = ptrs.c + i * oh * ow
                for oy in 0..<oh {
                    depthwiseRow(xp + oy * sh * p.pitch, ptrs.offsets, wt, taps: taps, count: ow, initial: b, o + oy * ow)
                }
                activation.apply(o, count: oh * ow)
            }
        }
        withExtendedLifetime((offsets, scratch)) {}
    }

    /// Gradients of `forwardDepthwise` (without activation) for gout [N, C, OH, OW]: gx is
    /// overwritten with the input gradient, gw with the weight gradient.
    func backwardDepthwise(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String) throws {
        let g = geometry, p = DepthwisePlane(g)
        let offsets = try depthwiseOffsets(p, fn)
        let taps = kh * kw
        let (n, c, h, w, oh, ow, sh) = (n, c, h, w, g.outH, g.outW, g.strideH)
        let offs = UnsafeMutableRawPointer(offsets.int64s).assumingMemoryBound(to: Int.self)
        let floats = p.floats
        if let gx {
            // forward: out row oy = sum over taps t of w[t] * xp[oy * sh * pitch + offset(t) + x];
            // so gxp[oy * sh * pitch + offset(t) + x] += w[t] * gout row oy, then un-padded.
            let planes = n * c, workers = depthwiseWorkers(parts: planes)
            let scratch = try Tensor(empty: [workers, floats], dtype: .float32, zeroed: false, fn)
            let ptrs = DepthwisePointers(a: UnsafeMutablePointer(mutating: gout), b: UnsafeMutablePointer(mutating: weight),
                                         c: gx, bias: nil, offsets: offs)
            let buf = scratch.floats
            let queue = WorkQueue(count: planes)
            StepTeam.shared.run(workers: workers) { ctx in
                let gp = buf + ctx.worker * floats
                while let i = queue.claim() {
                    gp.update(repeating: 0, count: floats)
                    let wt = UnsafePointer(ptrs.b + (i % c) * taps), gy = ptrs.a + i * oh * ow
                    for oy in 0..<oh {
                        depthwiseRowScatter(gy + oy * ow, ptrs.offsets, wt, taps: taps, count: ow, gp + oy * sh * p.pitch)
                    }
                    unpadPlaneForDepthwise(gp, height: h, width: w, padH: g.padH, padW: g.padW, split: p.split,
                                           pitch: p.pitch, ptrs.c + i * h * w)
                }
            }
            withExtendedLifetime(scratch) {}
        }
        if let gw {
            // gw[ch, t] = sum over images and output positions of gout * the tap's input,
            // accumulated in 16 lanes per tap, then summed in Double.
            let workers = depthwiseWorkers(parts: c)
            let perWorker = floats + taps * 16
            let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: false, fn)
            let ptrs = DepthwisePointers(a: UnsafeMutablePointer(mutating: gout), b: UnsafeMutablePointer(mutating: x),
                                         c: gw, bias: nil, offsets: offs)
            let buf = scratch.floats
            let queue = WorkQueue(count: c)
            StepTeam.shared.run(workers: workers) { ctx in
                let xp = buf + ctx.worker * perWorker, acc = xp + floats
                while let ch = queue.claim() {
                    acc.update(repeating: 0, count: taps * 16)
                    for img in 0..<n {
                        let i = img * c + ch
                        padPlaneForDepthwise(ptrs.b + i * h * w, height: h, width: w, padH: g.padH, padW: g.padW,
                                             split: p.split, pitch: p.pitch, xp)
                        let gy = ptrs.a + i * oh * ow
                        for oy in 0..<oh {
                            depthwiseRowWeightGradient(gy + oy * ow, xp + oy * sh * p.pitch, ptrs.offsets, taps: taps,
                                                       count: ow, acc)
                        }
                    }
                    for t in 0..<taps {
                        var s = 0.0
                        for l in 0..<16 { s += Double(acc[t * 16 + l]) }
                        ptrs.c[ch * taps + t] = Float(s)
                    }
                }
            }
            withExtendedLifetime(scratch) {}
        }
        withExtendedLifetime(offsets) {}
    }
}
