// Depthwise conv2d forward, 3x3 at stride 2 onto output rows of at most 7 (MobileNet's 14x14 ->
// 7x7 layers), with AVX-512: two output rows a vector, read straight from each NCHW plane by
// masked loads (SwiftNNKernels/DepthwisePairs.swift, CDepthwise/depthwise_pairs.h). Before, the
// channels-last path took these layers and paid two transposes: PyTorch's cold call was 1.2-1.7x
// faster (bench_conv.py); warm, this kernel takes 0.67-0.70 of that path's time on one or two
// threads. Planes in runs per worker, each computed by one worker in a fixed order: results do
// not depend on the number of threads, and are the bits of the other paths.
import SwiftNNKernels

/// Raw pointers handed to team workers (each writes only its own planes).
private struct PairsPointers: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>?
    let out: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Int>, masks: UnsafeMutablePointer<UInt16>
}

extension ConvPlan {
    /// Whether the pairs kernel takes the forward: AVX-512 in use and a geometry it fits
    /// (`depthwisePairsFits`).
    var depthwisePairsForward: Bool { DepthwisePairs.available && depthwisePairsFits }

    /// Whether the geometry fits the pairs kernel: depthwise, 3-wide taps at column stride 2
    /// without column dilation, at most 7 output columns (any batch, any rows: it reads planes
    /// in place, so neither the channels-last path's two images nor its 64 positions apply).
    var depthwisePairsFits: Bool {
        let g = geometry
        return depthwise && DepthwisePairs.fits(ow: g.outW, kw: kw, sw: g.strideW, colStep: g.dilationW, colOrigin: -g.padW)
    }

    /// out = conv(x, weight) + bias, then `activation`, plane by plane two output rows a vector
    /// (the geometry must fit and the CPU have AVX-512: `depthwisePairsForward`).
    func forwardDepthwisePairs(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                               _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let g = geometry
        guard DepthwisePairs.supported && depthwisePairsFits else {
            throw SNNError(.internalError, "\(fn): the stride-2 pairs kernel does not take \(h)x\(w) planes at stride "
                           + "\(g.strideH)x\(g.strideW) with \(kh)x\(kw) taps (depthwisePairsForward should have said so; or no AVX-512)")
        }
        let table = DepthwisePairs.Table(h: h, w: w, oh: g.outH, ow: g.outW, kh: kh, sh: g.strideH, rowStep: g.dilationH,
                                         rowOrigin: -g.padH, colOrigin: -g.padW)
        let planes = n * c, plane = h * w, outPlane = outPlane, taps = kh * kw, c = c
        table.rows.withUnsafeBufferPointer { rb in
            table.masks.withUnsafeBufferPointer { mb in
                let ptrs = PairsPointers(x: UnsafeMutablePointer(mutating: x), weights: UnsafeMutablePointer(mutating: weight),
                                         bias: bias.map { UnsafeMutablePointer(mutating: $0) }, out: out,
                                         rows: UnsafeMutablePointer(mutating: rb.baseAddress!),
                                         masks: UnsafeMutablePointer(mutating: mb.baseAddress!))
                let workers = depthwiseWorkers(parts: planes), (run, queue) = planeRuns(planes, workers: workers)
                StepTeam.shared.run(workers: workers) { _ in
                    while let r = queue.claim() { for i in (r * run)..<min(planes, r * run + run) {
                        let o = ptrs.out + i * outPlane
                        DepthwisePairs.run(ptrs.x + i * plane, table, rows: ptrs.rows, masks: ptrs.masks,
                                           ptrs.weights + (i % c) * taps, initial: ptrs.bias?[i % c] ?? 0, o)
                        activation.apply(o, count: outPlane)
                    } }
                }
            }
        }
    }
}
