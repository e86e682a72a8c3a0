// 2-D pooling over NCHW (or unbatched CHW) inputs with PyTorch's semantics: max_pool2d (argmax
// indices kept for the backward and optionally returned), avg_pool2d (ceil_mode,
// count_include_pad, divisor_override) and adaptive_avg_pool2d. Each backward scatters the
// output gradient back over the windows it came from.
import SwiftNNKernels

/// The planes and scratch a pooling loop's workers share (each writes only its own planes).
private struct PoolPointers: @unchecked Sendable {
    let src: UnsafeMutablePointer<Float>, dst: UnsafeMutablePointer<Float>
    let indices: UnsafeMutablePointer<Int64>?, rows: UnsafeMutablePointer<Float>?
}

extension PoolPlan {
    /// Workers for a pass over the planes: the engine's threads from about 256K window taps
    /// (below that a worker's wake-up costs more than its share), at most one per plane.
    var planeWorkers: Int {
        let taps = saturatingProduct(planes, geometry.outPlane, geometry.kernelH * geometry.kernelW)
        return taps < 1 << 18 ? 1 : max(1, min(EngineThreads.count, planes, 16))
    }

    /// body(p0, p1, worker) for contiguous runs of planes, one run per worker (every plane's
    /// result is computed by one worker, so it does not depend on the thread count).
    func eachPlaneRange(_ body: @escaping @Sendable (Int, Int, Int) -> Void) {
        let workers = planeWorkers, planes = planes
        if workers == 1 { return body(0, planes, 0) }
        StepTeam.shared.run(workers: workers) { ctx in
            let p0 = planes * ctx.worker / ctx.workers, p1 = planes * (ctx.worker + 1) / ctx.workers
            if p1 > p0 { body(p0, p1, ctx.worker) }
        }
    }
}

/// A validated pooling window over the planes (N * C of them) of an input.
struct PoolPlan {
    let batched: [Int]   // [N, C, H, W]
    let geometry: WindowGeometry
    let unbatched: Bool

    var planes: Int { batched[0] * batched[1] }
    var outShape: [Int] {
        let s = [batched[0], batched[1], geometry.outH, geometry.outW]
        return unbatched ? Array(s.dropFirst()) : s
    }

    init(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int), dilation: (Int, Int),
         ceilMode: Bool, _ fn: String) throws {
        try input.requireFloating(fn, "input")
        try requireBoundedDims(input, "input", fn)
        let x = try batchedNCHW(input, fn)
        guard x[1] > 0, x[2] > 0, x[3] > 0 else {
            throw SNNError.shape("\(fn): input \(fmt(input.shape)) has an empty channel or spatial dimension (only the batch dimension may be 0)")
        }
        try checkPair(kernel, "kernel_size", minimum: 1, fn)
        let st = stride ?? kernel
        try checkPair(st, "stride", minimum: 1, fn)
        try checkPair(padding, "padding", minimum: 0, fn)
        try checkPair(dilation, "dilation", minimum: 1, fn)
        guard padding.0 <= kernel.0 / 2, padding.1 <= kernel.1 / 2 else {
            throw SNNError.invalid("\(fn): padding \(fmt(padding)) must be at most half of kernel_size \(fmt(kernel))")
        }
        let oh = windowOutputSize(x[2], kernel: kernel.0, stride: st.0, pad: padding.0, dilation: dilation.0, ceilMode: ceilMode)
        let ow = windowOutputSize(x[3], kernel: kernel.1, stride: st.1, pad: padding.1, dilation: dilation.1, ceilMode: ceilMode)
        guard oh >= 1, ow >= 1 else {
            throw SNNError.shape("\(fn): input \(fmt(input.shape)) is too small for kernel_size \(fmt(kernel)) with padding \(fmt(padding)) and dilation \(fmt(dilation)): the output would be \(max(oh, 0))x\(max(ow, 0))")
        }
        batched = x
        unbatched = input.rank == 3
        geometry = WindowGeometry(channels: x[1], height: x[2], width: x[3], kernelH: kernel.0, kernelW: kernel.1,
                                  strideH: st.0, strideW: st.1, padH: padding.0, padW: padding.1,
                                  dilationH: dilation.0, dilationW: dilation.1, outH: oh, outW: ow)
        _ = try elementCount(outShape, fn)
    }
}

/// torch.nn.functional.max_pool2d with return_indices=True: the maximum of each window of
/// `input` [N, C, H, W] (or [C, H, W]) and its position ih * W + iw within the input plane (int64).
/// `stride` nil means `kernelSize`; padding (implicit -inf) is at most half the kernel; with
/// `ceilMode` a last partial window is kept if it starts inside the input or its left padding.
public func maxPool2dWithIndices(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                                 padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                                 ceilMode: Bool = false) throws -> (output: Tensor, indices: Tensor) {
    let fn = "max_pool2d"
    let plan = try PoolPlan(input, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode, fn)
    if input.dtype == .float64 {
        let (out, indices) = try maxPool2d64(input, plan, fn)
        trace(.maxPool2d, [input], [out, indices], [("kernel_size", .pair(kernelSize)), ("stride", .ints([plan.geometry.strideH, plan.geometry.strideW])),
              ("padding", .pair(padding)), ("dilation", .pair(dilation)), ("ceil_mode", .bool(ceilMode))])
        return (out, indices)
    }
    let out = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, fn)
    let indices = try Tensor(empty: plan.outShape, dtype: .int64, zeroed: false, fn)
    let p = PoolPointers(src: UnsafeMutablePointer(mutating: input.floats), dst: out.floats, indices: indices.int64s, rows: nil)
    plan.eachPlaneRange { p0, p1, _ in maxPool2d(p.src + p0 * plan.geometry.inPlane, planes: p1 - p0, plan.geometry,
                                                  p.dst + p0 * plan.geometry.outPlane, p.indices! + p0 * plan.geometry.outPlane) }
    trace(.maxPool2d, [input], [out, indices], [("kernel_size", .pair(kernelSize)), ("stride", .ints([plan.geometry.strideH, plan.geometry.strideW])),
          ("padding", .pair(padding)), ("dilation", .pair(dilation)), ("ceil_mode", .bool(ceilMode))])
    out.recorded("MaxPool2DWithIndicesBackward", [input], saves: [], readsOutput: false) { g in
        // forward: out[p, o] = input[p, indices[p, o]] = max over the window of o
        let gx = try Tensor(empty: input.shape, dtype: .float32, zeroed: true, "max_pool2d_backward")
        maxPool2dBackward(g.floats, indices.int64s, planes: plan.planes, inPlane: plan.geometry.inPlane,
                          outPlane: plan.geometry.outPlane, gx.floats)
        return [gx]
    }
    return (out, indices)
}

/// torch.nn.functional.max_pool2d (see `maxPool2dWithIndices`).
public func maxPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) throws -> Tensor {
    let fn = "max_pool2d"
    let plan = try PoolPlan(input, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode, fn)
    let g = plan.geometry
    if input.dtype == .float64 {
        return try maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding,
                                        dilation: dilation, ceilMode: ceilMode).output
    }
    // The 2x2 stride-2 window of most CNNs, every window inside the input: a SIMD kernel that
    // stores no indices (the backward finds the argmax again from the input); the generic loop
    // with its int64 indices cost more than the convolutions around it.
    guard g.kernelH == 2, g.kernelW == 2, g.strideH == 2, g.strideW == 2, g.padH == 0, g.padW == 0,
          g.dilationH == 1, g.dilationW == 1, 2 * g.outH <= g.height, 2 * g.outW <= g.width else {
        // Any other window: without a gradient to route, the values alone (maxPool2dValues,
        // the same bits); with one, the loop that keeps the argmax indices for the backward.
        guard !GradMode.isEnabled || !input.requiresGrad else {
            return try maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding,
                                            dilation: dilation, ceilMode: ceilMode).output
        }
        let out = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, fn)
        let workers = plan.planeWorkers
        let perWorker = g.height * g.outW + g.width
        let rows = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: false, fn)
        let p = PoolPointers(src: UnsafeMutablePointer(mutating: input.floats), dst: out.floats, indices: nil, rows: rows.floats)
        plan.eachPlaneRange { p0, p1, worker in
            maxPool2dValues(p.src, planes: p0, to: p1, g, p.dst, rows: p.rows! + worker * perWorker)
        }
        withExtendedLifetime(rows) {}
        return out.traced(.maxPool2d, [input], [("kernel_size", .pair(kernelSize)), ("stride", .ints([g.strideH, g.strideW])),
                                                 ("padding", .pair(padding)), ("dilation", .pair(dilation)), ("ceil_mode", .bool(ceilMode))])
    }
    let out = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, fn)
    maxPool2x2(input.floats, planes: plan.planes, height: g.height, width: g.width, outH: g.outH, outW: g.outW, out.floats)
    return out.traced(.maxPool2d, [input], [("kernel_size", .pair(kernelSize)), ("stride", .ints([g.strideH, g.strideW])),
                                             ("padding", .pair(padding)), ("dilation", .pair(dilation)), ("ceil_mode", .bool(ceilMode))])
        .recorded("MaxPool2DWithIndicesBackward", [input], readsOutput: false) { gout in
        // forward: out[p, o] = max of input[p] over the 2x2 window of o (first maximum in scan order)
        let gx = try Tensor(empty: input.shape, dtype: .float32, zeroed: false, "max_pool2d_backward")
        maxPool2x2Backward(gout.floats, input.floats, planes: plan.planes, height: g.height, width: g.width,
                           outH: g.outH, outW: g.outW, gx.floats)
        return [gx]
    }
}

/// torch.nn.functional.avg_pool2d: the mean of each window (zero padding). The divisor is
/// `divisorOverride` if given (positive), else the window clipped to the padded input
/// (`countIncludePad`, PyTorch's default) or to the input itself. Windows of a ceil-mode output
/// that lie entirely in the padding give 0.
public func avgPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) throws -> Tensor {
    let fn = "avg_pool2d"
    let plan = try PoolPlan(input, kernel: kernelSize, stride: stride, padding: padding, dilation: (1, 1), ceilMode: ceilMode, fn)
    if let d = divisorOverride, d < 1 || d > maxWindowParameter {
        throw SNNError.invalid("\(fn): divisor_override is \(d), expected a positive number (or none)")
    }
    let divisor = divisorOverride ?? 0
    if input.dtype == .float64 {
        return try avgPool2d64(input, plan, countIncludePad: countIncludePad, divisorOverride: divisor)
            .traced(.avgPool2d, [input], [("kernel_size", .pair(kernelSize)), ("stride", .ints([plan.geometry.strideH, plan.geometry.strideW])),
                                          ("padding", .pair(padding)), ("ceil_mode", .bool(ceilMode)),
                                          ("count_include_pad", .bool(countIncludePad)),
                                          ("divisor_override", divisorOverride.map { .int($0) } ?? .none)])
    }
    let out = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, fn)
    avgPool2d(input.floats, planes: plan.planes, plan.geometry, countIncludePad: countIncludePad,
              divisorOverride: divisor, out.floats)
    return out.traced(.avgPool2d, [input], [("kernel_size", .pair(kernelSize)), ("stride", .ints([plan.geometry.strideH, plan.geometry.strideW])),
                                             ("padding", .pair(padding)), ("ceil_mode", .bool(ceilMode)),
                                             ("count_include_pad", .bool(countIncludePad)),
                                             ("divisor_override", divisorOverride.map { .int($0) } ?? .none)])
        .recorded("AvgPool2DBackward", [input], saves: [], readsOutput: false) { g in
        // forward: out[p, o] = sum of input[p] over the window of o / divisor(o)
        let gx = try Tensor(empty: input.shape, dtype: .float32, zeroed: true, "avg_pool2d_backward")
        avgPool2dBackward(g.floats, planes: plan.planes, plan.geometry, countIncludePad: countIncludePad,
                          divisorOverride: divisor, gx.floats)
        return [gx]
    }
}

/// torch.nn.functional.adaptive_avg_pool2d: averages `input` [N, C, H, W] (or [C, H, W]) into
/// outputSize = (OH, OW) cells; cell i along an axis of length L covers
/// floor(i * L / OH) ..< ceil((i + 1) * L / OH), so cells may overlap when L is not a multiple.
public func adaptiveAvgPool2d(_ input: Tensor, outputSize: (Int, Int)) throws -> Tensor {
    let fn = "adaptive_avg_pool2d"
    try input.requireFloating(fn, "input")
    try requireBoundedDims(input, "input", fn)
    let x = try batchedNCHW(input, fn)
    guard x[1] > 0, x[2] > 0, x[3] > 0 else {
        throw SNNError.shape("\(fn): input \(fmt(input.shape)) has an empty channel or spatial dimension (only the batch dimension may be 0)")
    }
    try checkPair(outputSize, "output_size", minimum: 0, fn)
    let (oh, ow) = outputSize
    // Window bounds compute (i + 1) * L: keep that product representable.
    guard !oh.multipliedReportingOverflow(by: x[2] + 1).overflow, !ow.multipliedReportingOverflow(by: x[3] + 1).overflow else {
        throw SNNError.range("\(fn): output_size \(fmt(outputSize)) is too large for input \(fmt(input.shape))")
    }
    let shape4 = [x[0], x[1], oh, ow]
    if input.dtype == .float64 {
        return try adaptiveAvgPool2d64(input, x, outH: oh, outW: ow, outShape: input.rank == 3 ? Array(shape4.dropFirst()) : shape4)
            .traced(.adaptiveAvgPool2d, [input], [("output_size", .pair(outputSize))])
    }
    let out = try Tensor(empty: input.rank == 3 ? Array(shape4.dropFirst()) : shape4, dtype: .float32, zeroed: false, fn)
    let planes = x[0] * x[1]
    adaptiveAvgPool2d(input.floats, planes: planes, height: x[2], width: x[3], outH: oh, outW: ow, out.floats)
    return out.traced(.adaptiveAvgPool2d, [input], [("output_size", .pair(outputSize))]).recorded("AdaptiveAvgPool2DBackward", [input], saves: [], readsOutput: false) { g in
        // forward: out[p, i, j] = mean of input[p] over cell (i, j)
        let gx = try Tensor(empty: input.shape, dtype: .float32, zeroed: true, "adaptive_avg_pool2d_backward")
        adaptiveAvgPool2dBackward(g.floats, planes: planes, height: x[2], width: x[3], outH: oh, outW: ow, gx.floats)
        return [gx]
    }
}

// MARK: - registry

extension OpDef {
    /// ONNX MaxPool; the indices output (return_indices) has no ONNX equivalent, since ONNX
    /// numbers positions over the whole tensor and PyTorch within each plane.
    static let maxPool2d = OpDef("max_pool2d", c: "snn_tensor_max_pool2d", python: "max_pool2d",
                                 export: { b, r in
                                     let x = try b.value(try r.input(0))
                                     let p = try r.ints("padding")
                                     let attrs = [ONNXAttribute("kernel_shape", .ints(try r.ints("kernel_size").map { Int64($0) })),
                                                  ONNXAttribute("strides", .ints(try r.ints("stride").map { Int64($0) })),
                                                  ONNXAttribute("pads", .ints((p + p).map { Int64($0) })),
                                                  ONNXAttribute("dilations", .ints(try r.ints("dilation").map { Int64($0) })),
                                                  ONNXAttribute("ceil_mode", .int(r.bool("ceil_mode") ? 1 : 0))]
                                     b.define(r.outputs[0], b.batched4D(x) { b, x4 in b.node1("MaxPool", [x4], attrs) }, batch: x.batch)
                                     if r.outputs.count > 1 {
                                         var v = GraphValue(name: "", shape: r.outputs[1].shape, dtype: .int64, batch: .none)
                                         v.unavailable = "the indices of max_pool2d (return_indices=True) have no ONNX equivalent (ONNX MaxPool numbers positions over the whole tensor, PyTorch within each plane)"
                                         b.values[ObjectIdentifier(r.outputs[1])] = v
                                     }
                                 },
                                 imports: ["MaxPool": { n in try compilePool(n.node, opset: n.opset, n.label, isMax: true) },
                                           "GlobalMaxPool": { n in try globalPool(n) { x, d in try SwiftNN.amax(x, dims: d, keepdim: true) } }])
    static let avgPool2d = OpDef("avg_pool2d", c: "snn_tensor_avg_pool2d", python: "avg_pool2d",
                                 export: { b, r in
                                     let x = try b.value(try r.input(0))
                                     if let d = r.attribute("divisor_override"), d != .none {
                                         throw SNNError(.unsupported, "avg_pool2d with divisor_override has no ONNX AveragePool equivalent")
                                     }
                                     let p = try r.ints("padding")
                                     let attrs = [ONNXAttribute("kernel_shape", .ints(try r.ints("kernel_size").map { Int64($0) })),
                                                  ONNXAttribute("strides", .ints(try r.ints("stride").map { Int64($0) })),
                                                  ONNXAttribute("pads", .ints((p + p).map { Int64($0) })),
                                                  ONNXAttribute("ceil_mode", .int(r.bool("ceil_mode") ? 1 : 0)),
                                                  ONNXAttribute("count_include_pad", .int(r.bool("count_include_pad") ? 1 : 0))]
                                     b.define(r.outputs[0], b.batched4D(x) { b, x4 in b.node1("AveragePool", [x4], attrs) }, batch: x.batch)
                                 },
                                 imports: ["AveragePool": { n in try compilePool(n.node, opset: n.opset, n.label, isMax: false) }])
    /// ONNX has no adaptive pooling: to 1x1 it is GlobalAveragePool, to a divisor of the input
    /// size one AveragePool; anything else cannot be exported.
    static let adaptiveAvgPool2d = OpDef("adaptive_avg_pool2d", c: "snn_tensor_adaptive_avg_pool2d", python: "adaptive_avg_pool2d",
                                         export: { b, r in
                                             let x = try b.value(try r.input(0))
                                             let o = try r.ints("output_size")
                                             let h = x.shape[x.shape.count - 2], w = x.shape[x.shape.count - 1]
                                             if o == [1, 1] {
                                                 b.define(r.outputs[0], b.batched4D(x) { b, x4 in b.node1("GlobalAveragePool", [x4]) }, batch: x.batch)
                                             } else if o.count == 2, o[0] > 0, o[1] > 0, h % o[0] == 0, w % o[1] == 0 {
                                                 let k: [Int64] = [Int64(h / o[0]), Int64(w / o[1])]
                                                 let attrs = [ONNXAttribute("kernel_shape", .ints(k)), ONNXAttribute("strides", .ints(k))]
                                                 b.define(r.outputs[0], b.batched4D(x) { b, x4 in b.node1("AveragePool", [x4], attrs) }, batch: x.batch)
                                             } else {
                                                 throw SNNError(.unsupported, "adaptive_avg_pool2d to \(fmt(o)) from \(h)x\(w): ONNX has no adaptive pooling, and the input size is not a multiple of the output size (so it is not one AveragePool)")
                                             }
                                         },
                                         imports: ["GlobalAveragePool": { n in try globalPool(n) { x, d in try SwiftNN.mean(x, dims: d, keepdim: true) } }])
}

/// GlobalAveragePool / GlobalMaxPool: a reduction over every spatial dimension of [N, C, ...].
private func globalPool(_ n: ImportNode, _ f: @escaping (Tensor, [Int]) throws -> Tensor) throws -> ImportKernel {
    _ = try n.attrs([])
    let op = n.op
    return { xs in
        let x = try input(xs, 0)
        guard x.rank >= 3 else { throw SNNError.shape("\(op) expects [N, C, spatial...], got \(fmt(x.shape))") }
        return [try f(x, Array(2..<x.rank))]
    }
}
