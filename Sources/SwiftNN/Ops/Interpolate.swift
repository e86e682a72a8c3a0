// torch.nn.functional.interpolate for [N, C, L] and [N, C, H, W] input: 'nearest' (PyTorch's
// legacy floor rule), 'nearest-exact', and 'linear'/'bilinear' with or without align_corners.
// Each output coordinate reads two input coordinates per dimension with weights (nearest: one
// with weight 1), computed with PyTorch's formulas in float, so results match bit for bit in
// the common cases; the backward scatters the gradient with the same weights.

public enum InterpolateMode: Int, Sendable {
    case nearest = 0, nearestExact = 1, linear = 2
}

/// One dimension's taps: out[o] = w0[o] x[i0[o]] + w1[o] x[i1[o]].
private struct Taps<T: TensorFloat> {
    var i0: [Int] = [], i1: [Int] = [], w0: [T] = [], w1: [T] = []
}

private func taps<T: TensorFloat>(_: T.Type, input: Int, output: Int, scale: Double?, mode: InterpolateMode, alignCorners: Bool) -> Taps<T> {
    var t = Taps<T>()
    // PyTorch's compute_scales_value / area_pixel_compute_scale, in the input's precision.
    let ratio: T
    if mode == .linear && alignCorners {
        ratio = output > 1 ? T(input - 1) / T(output - 1) : 0
    } else if let scale, scale > 0 {
        ratio = T(1 / scale)
    } else {
        ratio = T(input) / T(output)
    }
    for o in 0..<output {
        switch mode {
        case .nearest, .nearestExact:
            var i: Int
            if output == input { i = o } else if output == 2 * input && mode == .nearest { i = o >> 1 } else {
                let src = mode == .nearest ? T(o) * ratio : (T(o) + 0.5) * ratio
                i = min(Int(src.rounded(.down)), input - 1)
            }
            t.i0.append(i); t.i1.append(i); t.w0.append(1); t.w1.append(0)
        case .linear:
            var src = alignCorners ? ratio * T(o) : ratio * (T(o) + 0.5) - 0.5
            if src < 0 { src = 0 }
            let i0 = min(Int(src), input - 1)
            let i1 = i0 + (i0 < input - 1 ? 1 : 0)
            let l1 = src - T(i0)
            t.i0.append(i0); t.i1.append(i1); t.w0.append(1 - l1); t.w1.append(l1)
        }
    }
    return t
}

/// torch.nn.functional.interpolate(x, size=, scale_factor=, mode=, align_corners=) with the
/// output `size` already resolved (one entry per spatial dimension) and the `scales` PyTorch
/// passes to its kernel (the scale_factor when one was given, else nil).
public func interpolate(_ x: Tensor, size: [Int], scales: [Double?] = [], mode: InterpolateMode = .nearest,
                        alignCorners: Bool = false) throws -> Tensor {
    let fn = "interpolate"
    try x.requireFloating(fn, "input")
    guard x.rank == 3 || x.rank == 4 else {
        throw SNNError.shape("\(fn): expected a 3-D [N, C, L] or 4-D [N, C, H, W] input, got \(fmt(x.shape))")
    }
    let spatial = x.rank - 2
    guard size.count == spatial, size.allSatisfy({ $0 >= 1 && $0 <= maxElementCount }) else {
        throw SNNError.invalid("\(fn): output size \(size) must have \(spatial) positive entries for input \(fmt(x.shape))")
    }
    guard x.shape.dropFirst(2).allSatisfy({ $0 >= 1 }) else {
        throw SNNError.shape("\(fn): input \(fmt(x.shape)) has an empty spatial dimension")
    }
    if alignCorners && mode != .linear {
        throw SNNError.invalid("\(fn): align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    }
    let sc = scales.count == spatial ? scales : [Double?](repeating: nil, count: spatial)
    return x.dtype == .float64
        ? try interpolated(x, Double.self, size: size, scales: sc, mode: mode, alignCorners: alignCorners)
        : try interpolated(x, Float.self, size: size, scales: sc, mode: mode, alignCorners: alignCorners)
}

/// The body of `interpolate` for validated arguments, in the input's precision.
private func interpolated<T: TensorFloat>(_ x: Tensor, _: T.Type, size: [Int], scales sc: [Double?], mode: InterpolateMode,
                                          alignCorners: Bool) throws -> Tensor {
    let fn = "interpolate", spatial = x.rank - 2
    let inH = spatial == 2 ? x.shape[2] : 1, inW = x.shape[x.rank - 1]
    let outH = spatial == 2 ? size[0] : 1, outW = size[spatial - 1]
    let th = spatial == 2 ? taps(T.self, input: inH, output: outH, scale: sc[0], mode: mode, alignCorners: alignCorners)
                          : Taps<T>(i0: [0], i1: [0], w0: [1], w1: [0])
    let tw = taps(T.self, input: inW, output: outW, scale: sc[spatial - 1], mode: mode, alignCorners: alignCorners)
    let planes = x.shape[0] * x.shape[1]
    let outShape = Array(x.shape.prefix(2)) + size
    let out = try Tensor(empty: outShape, dtype: T.dtype, zeroed: false, fn)
    let px = x.typed(T.self), po = out.typed(T.self)
    for p in 0..<planes {
        let src = px + p * inH * inW, dst = po + p * outH * outW
        for oh in 0..<outH {
            let r0 = src + th.i0[oh] * inW, r1 = src + th.i1[oh] * inW, h0 = th.w0[oh], h1 = th.w1[oh]
            for ow in 0..<outW {
                let a = tw.i0[ow], b = tw.i1[ow], w0 = tw.w0[ow], w1 = tw.w1[ow]
                dst[oh * outW + ow] = h0 * (w0 * r0[a] + w1 * r0[b]) + h1 * (w0 * r1[a] + w1 * r1[b])
            }
        }
    }
    return out.traced(.interpolate, [x], [("size", .ints(size)), ("mode", .int(mode.rawValue)), ("align_corners", .bool(alignCorners)),
                                         ("scales", .ints(sc.map { $0 == nil ? 0 : 1 }))])
        .recorded("UpsampleBackward", [x], saves: [], readsOutput: false) { g in
            // forward: out = sum of weighted taps  =>  each tap adds weight * g to its source
            let gx = try Tensor(empty: x.shape, dtype: T.dtype, zeroed: true, "interpolate_backward")
            let pg = g.typed(T.self), pd = gx.typed(T.self)
            for p in 0..<planes {
                let src = pg + p * outH * outW, dst = pd + p * inH * inW
                for oh in 0..<outH {
                    let r0 = dst + th.i0[oh] * inW, r1 = dst + th.i1[oh] * inW, h0 = th.w0[oh], h1 = th.w1[oh]
                    for ow in 0..<outW {
                        let v = src[oh * outW + ow]
                        let a = tw.i0[ow], b = tw.i1[ow], w0 = tw.w0[ow], w1 = tw.w1[ow]
                        r0[a] += h0 * w0 * v; r0[b] += h0 * w1 * v
                        r1[a] += h1 * w0 * v; r1[b] += h1 * w1 * v
                    }
                }
            }
            return [gx]
        }
}

// MARK: - registry

extension OpDef {
    /// ONNX Resize (opset 13+) with scales out/in per dimension, so the batch stays dynamic:
    /// nearest is 'asymmetric' + 'floor' (PyTorch's legacy rule), nearest-exact 'half_pixel'
    /// + 'round_prefer_ceil'... not exact for every ratio, so it is refused; linear is
    /// 'align_corners' or 'pytorch_half_pixel'.
    static let interpolate = OpDef("interpolate", c: "snn_tensor_interpolate", python: "interpolate",
                                   export: { b, r in
                                       let xt = try r.input(0)
                                       let x = try b.value(xt)
                                       let mode = InterpolateMode(rawValue: try r.int("mode")) ?? .nearest
                                       guard mode != .nearestExact else {
                                           throw SNNError(.unsupported, "interpolate: mode 'nearest-exact' has no exact ONNX Resize equivalent; use 'nearest' or 'bilinear' to export")
                                       }
                                       let out = r.outputs[0].shape
                                       let scales = [Float(1), 1] + (2..<xt.rank).map { Float(out[$0]) / Float(xt.shape[$0]) }
                                       let ctm = mode == .nearest ? "asymmetric" : (r.bool("align_corners") ? "align_corners" : "pytorch_half_pixel")
                                       var attrs = [ONNXAttribute("mode", .string(mode == .nearest ? "nearest" : "linear")),
                                                    ONNXAttribute("coordinate_transformation_mode", .string(ctm))]
                                       if mode == .nearest { attrs.append(ONNXAttribute("nearest_mode", .string("floor"))) }
                                       b.define(r.outputs[0], b.node1("Resize", [x.name, "", b.constFloats(scales, shape: [scales.count], "scales")], attrs),
                                                batch: x.batch)
                                   })
}
