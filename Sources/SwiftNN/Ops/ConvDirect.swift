// conv2d for small channel counts at stride 1 (LeNet's layers, the first layer of most CNNs):
// direct SIMD kernels over zero-padded planes instead of im2col + GEMM, forward and backward.
// The input gradient is the same kernel run on the padded upstream gradient with the flipped,
// transposed filter. Work is split over images (forward, input gradient) or over gradient tiles
// (weight gradient), so results do not depend on the number of threads.
import CBLAS
import SwiftNNKernels

/// Geometry of the direct path: padded planes of hp x wp, outputs read "wide" (row pitch wp).
struct DirectConvShape {
    let hp, wp: Int          // padded input plane
    let positions: Int       // wide outputs per row of the GEMM-like product, a multiple of 16
    let imageFloats: Int     // one padded input image plus slack
    // Input gradient: the upstream gradient padded by (kh - 1 - padH, kw - 1 - padW).
    let qh, qw, hq, wq: Int
    let gradPositions: Int
    let gradImageFloats: Int

    init(_ p: ConvPlan) {
        let g = p.geometry
        hp = g.height + 2 * g.padH
        wp = g.width + 2 * g.padW
        positions = roundUp16((g.outH - 1) * wp + g.outW)
        imageFloats = p.c * hp * wp + 16
        qh = p.kh - 1 - g.padH
        qw = p.kw - 1 - g.padW
        hq = g.outH + 2 * qh
        wq = g.outW + 2 * qw
        gradPositions = roundUp16((g.height - 1) * wq + g.width)
        gradImageFloats = p.k * hq * wq + 16
    }
}

@inline(__always) private func roundUp16(_ x: Int) -> Int { (x + 15) / 16 * 16 }

/// Tap offsets of a [channels, kh, kw] window over planes of height x width.
private func tapOffsets(channels: Int, kh: Int, kw: Int, height: Int, width: Int, _ fn: String) throws -> Tensor {
    let t = try Tensor(empty: [channels * kh * kw], dtype: .int64, zeroed: false, fn)
    let o = UnsafeMutableRawPointer(t.int64s).assumingMemoryBound(to: Int.self)
    var i = 0
    for c in 0..<channels { for ki in 0..<kh { for kj in 0..<kw { o[i] = (c * height + ki) * width + kj; i += 1 } } }
    return t
}

extension Tensor {
    /// int64 storage seen as Int (same size on every platform this builds for).
    fileprivate var ints: UnsafeMutablePointer<Int> { UnsafeMutableRawPointer(int64s).assumingMemoryBound(to: Int.self) }
}

/// Threads for `macs` multiply-adds split `parts` ways: one per core OpenBLAS may use, if each
/// gets enough work to pay for the dispatch.
private func directWorkers(macs: Int, parts: Int) -> Int {
    guard macs >= 1 << 18 else { return 1 }
    return max(1, min(EngineThreads.count, parts, 16))
}

/// Raw pointers handed to team workers (each writes only its own images or tiles).
private struct Pointers: @unchecked Sendable {
    let a: UnsafeMutablePointer<Float>?, b: UnsafeMutablePointer<Float>?, c: UnsafeMutablePointer<Float>?
}

extension ConvPlan {
    /// Whether the direct kernels apply and are likely to beat im2col + GEMM: one group, stride
    /// 1, no dilation, a kernel of at least 2x2 whose padding is below its size, few channels,
    /// and planes small enough that the wide layout's sizes stay far from overflow.
    static func directApplies(c: Int, k: Int, kh: Int, kw: Int, h: Int, w: Int, groups: Int,
                              stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) -> Bool {
        groups == 1 && stride == (1, 1) && dilation == (1, 1) && kh * kw >= 4 && kh <= 16 && kw <= 16
            && padding.0 < kh && padding.1 < kw && c >= 1 && c <= 32 && k >= 1 && k <= 32
            && h <= 1024 && w <= 1024 && (h + 2 * padding.0) * (w + 2 * padding.1) <= 1 << 18
    }

    /// Whether the forward vectorises over filters (`convChannels`) rather than positions: for
    /// filters in multiples of 16 on planes whose wide rows waste a quarter or more.
    var channelVectorised: Bool {
        let s = DirectConvShape(self)
        return k % 16 == 0 && 4 * (s.positions - outPlane) >= s.positions
    }

    /// out = conv(x, weight) + bias with the direct kernel; images taken by whichever worker is free.
    func forwardDirect(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                       _ out: UnsafeMutablePointer<Float>, _ fn: String) throws {
        if channelVectorised { return try forwardByChannels(x, weight, bias, out, fn) }
        let s = DirectConvShape(self), g = geometry
        let offsets = try tapOffsets(channels: c, kh: kh, kw: kw, height: s.hp, width: s.wp, fn)
        let workers = directWorkers(macs: saturatingProduct(n, k, patchSize, outPlane), parts: n)
        let perWorker = s.imageFloats + k * s.positions
        let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: false, fn)
        let (n, c, k, h, w, taps) = (n, c, k, h, w, patchSize)
        let ptrs = Pointers(a: UnsafeMutablePointer(mutating: x), b: UnsafeMutablePointer(mutating: weight), c: out)
        let biasP = bias.map { Pointers(a: UnsafeMutablePointer(mutating: $0), b: nil, c: nil) }
        let offs = offsets.ints, buf = scratch.floats
        let images = WorkQueue(count: n)  // taken as workers come free (see WorkQueue)
        StepTeam.shared.run(workers: workers) { ctx in
            let xp = buf + ctx.worker * perWorker, wide = xp + s.imageFloats
            while let i = images.claim() {
                padPlanes(ptrs.a! + i * c * h * w, channels: c, height: h, width: w, padH: g.padH, padW: g.padW, xp)
                convWide(xp, offs, taps: taps, ptrs.b!, rows: k, positions: s.positions, wide)
                unwidenRows(wide, rows: k, positions: s.positions, wideWidth: s.wp, outH: g.outH, outW: g.outW,
                            bias: biasP.map { UnsafePointer($0.a!) }, ptrs.c! + i * k * g.outPlane)
            }
        }
        withExtendedLifetime((offsets, scratch)) {}
    }

    /// `forwardDirect` through `convChannels`: positions x 16 filters per step, then a transpose.
    private func forwardByChannels(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                   _ out: UnsafeMutablePointer<Float>, _ fn: String) throws {
        let s = DirectConvShape(self), g = geometry
        let (n, c, k, h, w, taps, plane) = (n, c, k, h, w, patchSize, outPlane)
        let offsets = try tapOffsets(channels: c, kh: kh, kw: kw, height: s.hp, width: s.wp, fn)
        let positions = try Tensor(empty: [plane], dtype: .int64, zeroed: false, fn)
        for oh in 0..<g.outH { for ow in 0..<g.outW { positions.ints[oh * g.outW + ow] = oh * s.wp + ow } }
        let wt = try Tensor(empty: [taps, k], dtype: .float32, zeroed: false, fn)
        for r in 0..<k { for t in 0..<taps { wt.floats[t * k + r] = weight[r * taps + t] } }
        let workers = directWorkers(macs: saturatingProduct(n, k, taps, plane), parts: n)
        let perWorker = s.imageFloats + plane * k
        let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: false, fn)
        let ptrs = Pointers(a: UnsafeMutablePointer(mutating: x), b: wt.floats, c: out)
        let biasP = bias.map { Pointers(a: UnsafeMutablePointer(mutating: $0), b: nil, c: nil) }
        let offs = offsets.ints, pos = positions.ints, buf = scratch.floats
        let images = WorkQueue(count: n)
        StepTeam.shared.run(workers: workers) { ctx in
            let xp = buf + ctx.worker * perWorker, tmp = xp + s.imageFloats
            while let i = images.claim() {
                padPlanes(ptrs.a! + i * c * h * w, channels: c, height: h, width: w, padH: g.padH, padW: g.padW, xp)
                convChannels(xp, pos, count: plane, offs, taps: taps, ptrs.b!, rows: k, tmp)
                transposeAddingBias(tmp, count: plane, rows: k, bias: biasP.map { UnsafePointer($0.a!) }, ptrs.c! + i * k * plane)
            }
        }
        withExtendedLifetime((offsets, positions, wt, scratch)) {}
    }

    /// The weight gradient of `forwardByChannels`: gw^T [taps, K] accumulated 16 filters x 6
    /// taps at a time over the valid positions only, then transposed into gw [K, taps].
    private func weightGradientByChannels(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                          _ gw: UnsafeMutablePointer<Float>, _ fn: String) throws {
        let s = DirectConvShape(self), g = geometry
        let (n, c, k, h, w, taps, plane) = (n, c, k, h, w, patchSize, outPlane)
        let offsets = try tapOffsets(channels: c, kh: kh, kw: kw, height: s.hp, width: s.wp, fn)
        let positions = try Tensor(empty: [plane], dtype: .int64, zeroed: false, fn)
        for oh in 0..<g.outH { for ow in 0..<g.outW { positions.ints[oh * g.outW + ow] = oh * s.wp + ow } }
        let perImage = s.imageFloats + plane * k
        let group = max(1, min(n, (1 << 20) / max(perImage, 1)))
        let buf = try Tensor(empty: [group * perImage + taps * k], dtype: .float32, zeroed: false, fn)
        let xps = buf.floats, gys = xps + group * s.imageFloats, gwT = gys + group * plane * k
        let offs = offsets.ints, pos = positions.ints
        let workers = directWorkers(macs: saturatingProduct(n, k, taps, plane), parts: (taps + 5) / 6 * (k / 16))
        let ptrs = Pointers(a: UnsafeMutablePointer(mutating: gout), b: UnsafeMutablePointer(mutating: x), c: nil)
        for n0 in stride(from: 0, to: n, by: group) {
            let nb = min(group, n - n0)
            let images = WorkQueue(count: nb), tiles = WorkQueue(count: (taps + 5) / 6 * (k / 16))
            StepTeam.shared.run(workers: workers) { ctx in
                while let i = images.claim() {
                    padPlanes(ptrs.b! + (n0 + i) * c * h * w, channels: c, height: h, width: w,
                              padH: g.padH, padW: g.padW, xps + i * s.imageFloats)
                    transposeAddingBias(ptrs.a! + (n0 + i) * k * plane, count: k, rows: plane, bias: nil, gys + i * plane * k)
                }
                ctx.barrier()
                convChannelsWeightGradient(xps, imageStride: s.imageFloats, pos, count: plane, offs, taps: taps,
                                           gys, rows: k, images: nb, gwT, accumulate: n0 > 0, tiles: tiles)
            }
        }
        transposeAddingBias(gwT, count: taps, rows: k, bias: nil, gw)
        withExtendedLifetime((offsets, positions, buf)) {}
    }

    /// Gradients of `forwardDirect` for the upstream gradient `gout` [N, K, OH, OW]: gx (when
    /// given) is overwritten with the input gradient, gw with the weight gradient.
    func backwardDirect(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                        gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String) throws {
        let s = DirectConvShape(self), g = geometry
        let (n, c, k, h, w, kh, kw, taps) = (n, c, k, h, w, kh, kw, patchSize)
        let ptrs = Pointers(a: UnsafeMutablePointer(mutating: gout), b: UnsafeMutablePointer(mutating: x), c: nil)
        if let gw, channelVectorised {
            try weightGradientByChannels(gout, x, gw, fn)
        } else if let gw {
            // gw[k, t] = sum over images and wide positions of gy[k, j] * xp[offset(t) + j],
            // images taken in groups of a fixed size (a few MB of padded inputs and gradients).
            let offsets = try tapOffsets(channels: c, kh: kh, kw: kw, height: s.hp, width: s.wp, fn)
            let perImage = s.imageFloats + k * s.positions
            let group = max(1, min(n, (1 << 20) / max(perImage, 1)))
            let buf = try Tensor(empty: [group, perImage], dtype: .float32, zeroed: false, fn)
            let xps = buf.floats, gys = buf.floats + group * s.imageFloats, offs = offsets.ints
            let tiles = (k + 2) / 3 * ((taps + 3) / 4)
            let workers = directWorkers(macs: saturatingProduct(n, k, taps, outPlane), parts: tiles)
            let gwP = Pointers(a: gw, b: nil, c: nil)
            for n0 in stride(from: 0, to: n, by: group) {
                let nb = min(group, n - n0)
                let images = WorkQueue(count: nb), queue = WorkQueue(count: tiles)
                StepTeam.shared.run(workers: workers) { ctx in
                    while let i = images.claim() {
                        padPlanes(ptrs.b! + (n0 + i) * c * h * w, channels: c, height: h, width: w,
                                  padH: g.padH, padW: g.padW, xps + i * s.imageFloats)
                        widenRows(ptrs.a! + (n0 + i) * k * g.outPlane, rows: k, outH: g.outH, outW: g.outW,
                                  wideWidth: s.wp, positions: s.positions, gys + i * k * s.positions)
                    }
                    ctx.barrier()
                    convWeightGradient(xps, imageStride: s.imageFloats, offs, taps: taps, gys, rows: k,
                                       positions: s.positions, images: nb, gwP.a!, accumulate: n0 > 0, tiles: queue)
                }
            }
            withExtendedLifetime((offsets, buf)) {}
        }
        if let gx {
            // gx = conv(gy padded by (kh - 1 - padH, kw - 1 - padW), flipped weight^T).
            // Inputs at most 16 wide: one output row per step, skipping the zero rows, with the
            // taps ordered kernel row first (ki, k, kj); otherwise (k, ki, kj) as forward.
            let byRows = w <= 16
            let flipped = try Tensor(empty: [c, k * kh * kw], dtype: .float32, zeroed: false, fn)
            let offsets = try Tensor(empty: [k * kh * kw], dtype: .int64, zeroed: false, fn)
            let f = flipped.floats, o = offsets.ints
            for ci in 0..<c { for ko in 0..<k { for ki in 0..<kh { for kj in 0..<kw {
                let t = byRows ? (ki * k + ko) * kw + kj : (ko * kh + ki) * kw + kj
                f[ci * k * kh * kw + t] = weight[((ko * c + ci) * kh + kh - 1 - ki) * kw + kw - 1 - kj]
                if ci == 0 { o[t] = (ko * s.hq + ki) * s.wq + kj }
            } } } }
            let workers = directWorkers(macs: saturatingProduct(n, k, taps, outPlane), parts: n)
            let perWorker = s.gradImageFloats + c * max(s.gradPositions, h * 16)
            let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: false, fn)
            let buf = scratch.floats, offs = offsets.ints, gxP = Pointers(a: gx, b: f, c: nil)
            let (outH, outW, gradTaps) = (g.outH, g.outW, k * kh * kw)
            let images = WorkQueue(count: n)
            StepTeam.shared.run(workers: workers) { ctx in
                let gp = buf + ctx.worker * perWorker, wide = gp + s.gradImageFloats
                while let i = images.claim() {
                    padPlanes(ptrs.a! + i * k * outH * outW, channels: k, height: outH, width: outW,
                              padH: s.qh, padW: s.qw, gp)
                    if byRows {
                        convRows(gp, offs, tapsPerRow: k * kw, kh: kh, wp: s.wq, rowBegin: s.qh, rowEnd: s.qh + outH,
                                 gxP.b!, rows: c, outH: h, wide)
                        unwidenRows(wide, rows: c, positions: h * 16, wideWidth: 16, outH: h, outW: w,
                                    bias: nil, gxP.a! + i * c * h * w)
                    } else {
                        convWide(gp, offs, taps: gradTaps, gxP.b!, rows: c, positions: s.gradPositions, wide)
                        unwidenRows(wide, rows: c, positions: s.gradPositions, wideWidth: s.wq, outH: h, outW: w,
                                    bias: nil, gxP.a! + i * c * h * w)
                    }
                }
            }
            withExtendedLifetime((offsets, scratch, flipped)) {}
        }
    }
}
