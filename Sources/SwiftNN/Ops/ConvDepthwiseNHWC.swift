// Depthwise conv2d on small planes, channels-last: each image transposed to [positions,
// pitch] (16 channels to a vector), the compiled plan's row kernel for the forward and
// DepthwiseNHWCGradients.swift for the two gradients, the results transposed back onto the
// NCHW planes. The plane-by-plane kernels of ConvDepthwise.swift pad, gather and compact each
// plane on its own: on MobileNetV2's 7x7 layers (49 positions, 960 channels) that overhead
// made forward and backward 4-5x PyTorch's channels-last time. Where this path is taken is
// ConvKernel.prefersChannelsLastDepthwise's rule. Items are whole images, each computed by one
// worker in a fixed order, and the weight gradient's per-image partials are added in image
// order: results do not depend on the number of threads.
import SwiftNNKernels

/// Raw pointers handed to team workers (each writes only its own images and scratch).
private struct DepthwiseNHWCPointers: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>, gout: UnsafeMutablePointer<Float>?
    let weights: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
    let out: UnsafeMutablePointer<Float>?, partials: UnsafeMutablePointer<Float>?
    let scratch: UnsafeMutablePointer<Float>
}

extension ConvKernel {
    /// Whether a depthwise convolution runs channels-last (ConvDepthwiseNHWC.swift) rather
    /// than plane by plane (ConvDepthwise.swift): output planes of at most 64 positions (8x8),
    /// two images or more (one per worker). Measured forward and forward + backward, 3x3, both
    /// paths in one process at batch 8 (docs/convolution.md): 7x7 outputs of 960 channels
    /// 0.27 / 0.32 of the time, 14x14 -> 7x7 at stride 2 of 576 channels 0.22 / 0.35, at
    /// batch 2 0.37 / 0.43, at batch 32 0.23 / 0.38. 14x14 outputs won alone (0.80-0.99) but
    /// not in MobileNetV2's training step (1.045 and 1/0.952 with them, both builds in one
    /// process: the plane kernels stream through the activations the layers around them just
    /// wrote); 28x28 and larger lost alone too (1.11-1.44).
    static func prefersChannelsLastDepthwise(n: Int, c: Int, outPlane: Int) -> Bool {
        n >= 2 && c >= 16 && outPlane <= 64
    }
}

extension ConvPlan {
    /// This depthwise convolution runs channels-last (see prefersChannelsLastDepthwise).
    var depthwiseChannelsLast: Bool {
        depthwise && ConvKernel.prefersChannelsLastDepthwise(n: n, c: c, outPlane: outPlane)
    }

    private var nhwcPitch: Int { (c + 15) & ~15 }

    private var nhwcGeometry: DepthwiseNHWCGeometry {
        let g = geometry
        return DepthwiseNHWCGeometry(h: h, w: w, pitch: nhwcPitch, kh: kh, kw: kw, sh: g.strideH, sw: g.strideW,
                                     ph: g.padH, pw: g.padW, dh: g.dilationH, dw: g.dilationW, ow: g.outW)
    }

    /// The filters as [taps, pitch] (tap-major, zeros past c), and the bias as [pitch].
    private func nhwcWeights(_ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ fn: String) throws -> Tensor {
        let taps = kh * kw, pitch = nhwcPitch
        let t = try Tensor(empty: [(taps + 1) * pitch], dtype: .float32, zeroed: true, fn)
        let p = t.floats
        for ch in 0..<c {
            for tap in 0..<taps { p[tap * pitch + ch] = weight[ch * taps + tap] }
            p[taps * pitch + ch] = bias?[ch] ?? 0
        }
        return t
    }

    private func nhwcWorkers() -> Int {
        let macs = saturatingProduct(n, c, kh * kw, outPlane)
        return macs < 1 << 18 ? 1 : max(1, min(EngineThreads.count, n, 16))
    }

    /// out = conv(x, weight) + bias, then `activation`, image by image channels-last.
    func forwardDepthwiseNHWC(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                              _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let g = nhwcGeometry, pitch = nhwcPitch, taps = kh * kw
        let (oh, ow, c, h, w) = (geometry.outH, geometry.outW, c, h, w)
        let inFloats = h * w * pitch, outFloats = oh * ow * pitch, per = inFloats + outFloats
        let wts = try nhwcWeights(weight, bias, fn)
        let workers = nhwcWorkers()
        let scratch = try Tensor(empty: [workers, per], dtype: .float32, zeroed: false, fn)
        let p = DepthwiseNHWCPointers(x: UnsafeMutablePointer(mutating: x), gout: nil, weights: wts.floats,
                                      bias: wts.floats + taps * pitch, out: out, partials: nil, scratch: scratch.floats)
        let (lo, hi, rest) = clampBounds(activation)
        let queue = WorkQueue(count: n)
        StepTeam.shared.run(workers: workers) { ctx in
            let xl = p.scratch + ctx.worker * per, yl = xl + inFloats
            while let img = queue.claim() {
                planesToChannelsLast(p.x + img * c * h * w, planeStride: h * w, positions: h * w, c: c, pitch: pitch, xl)
                depthwiseNHWCRows(xl, g, rows: 0..<oh, p.weights, p.bias, yl, ldo: ow * pitch, lo: lo, hi: hi)
                let o = p.out! + img * c * oh * ow
                transposeToPlanes(yl, positions: oh * ow, c: c, pitch: pitch, o, planeStride: oh * ow)
                rest.apply(o, count: c * oh * ow)
            }
        }
        withExtendedLifetime((wts, scratch)) {}
    }

    /// Gradients of `forwardDepthwiseNHWC` (without activation) for gout [N, C, OH, OW]: gx is
    /// overwritten with the input gradient, gw with the weight gradient.
    func backwardDepthwiseNHWC(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                               gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String) throws {
        guard gx != nil || gw != nil else { return }
        let g = nhwcGeometry, pitch = nhwcPitch, taps = kh * kw
        let (oh, ow, c, h, w, n) = (geometry.outH, geometry.outW, c, h, w, n)
        let inFloats = h * w * pitch, outFloats = oh * ow * pitch
        // Per worker: the output gradient, the input (weight gradient) and the input gradient,
        // each one image channels-last.
        let per = outFloats + 2 * inFloats
        let wts = try nhwcWeights(weight, nil, fn)
        let workers = nhwcWorkers()
        let scratch = try Tensor(empty: [workers, per], dtype: .float32, zeroed: false, fn)
        let partials = gw == nil ? nil : try Tensor(empty: [n, taps * pitch], dtype: .float32, zeroed: false, fn)
        let p = DepthwiseNHWCPointers(x: UnsafeMutablePointer(mutating: x), gout: UnsafeMutablePointer(mutating: gout),
                                      weights: wts.floats, bias: wts.floats + taps * pitch, out: gx, partials: partials?.floats,
                                      scratch: scratch.floats)
        let queue = WorkQueue(count: n)
        StepTeam.shared.run(workers: workers) { ctx in
            let gl = p.scratch + ctx.worker * per, xl = gl + outFloats, gxl = xl + inFloats
            while let img = queue.claim() {
                planesToChannelsLast(p.gout! + img * c * oh * ow, planeStride: oh * ow, positions: oh * ow, c: c, pitch: pitch, gl)
                if let acc = p.partials {
                    planesToChannelsLast(p.x + img * c * h * w, planeStride: h * w, positions: h * w, c: c, pitch: pitch, xl)
                    depthwiseNHWCWeightGradient(gl, xl, g, oh: oh, acc + img * taps * pitch)
                }
                if let gx = p.out {
                    depthwiseNHWCInputGradient(gl, p.weights, g, oh: oh, gxl)
                    transposeToPlanes(gxl, positions: h * w, c: c, pitch: pitch, gx + img * c * h * w, planeStride: h * w)
                }
            }
        }
        if let partials, let gw {
            // gw[ch, tap] = the images' partials added in image order, in Double.
            let a = partials.floats
            for tap in 0..<taps {
                for ch in 0..<c {
                    var s = 0.0
                    for img in 0..<n { s += Double(a[(img * taps + tap) * pitch + ch]) }
                    gw[ch * taps + tap] = Float(s)
                }
            }
        }
        withExtendedLifetime((wts, scratch, partials)) {}
    }
}
