// 3-D pooling over NCDHW (or unbatched CDHW) inputs with PyTorch's semantics: max_pool3d
// (indices within each volume, kept for the backward and optionally returned) and avg_pool3d
// (ceil_mode, count_include_pad, divisor_override). avg_pool3d also takes a dilation, which
// PyTorch lacks and ONNX AveragePool has (the importer runs dilated 2-D averages through it).
// Plain loops over per-axis tap lists, generic over Float and Double: volumes are rare in the
// models this engine runs, so these kernels are for correctness, not speed.

/// A validated 3-D window over the volumes (N * C of them) of an input.
struct Pool3dPlan {
    let batched: [Int]             // [N, C, D, H, W]
    let kernel, stride, padding, dilation: [Int]
    let out: [Int]                 // [OD, OH, OW]
    let unbatched: Bool

    var planes: Int { batched[0] * batched[1] }
    var inVolume: Int { batched[2] * batched[3] * batched[4] }
    var outVolume: Int { out[0] * out[1] * out[2] }
    var outShape: [Int] { (unbatched ? [] : [batched[0]]) + [batched[1]] + out }

    init(_ input: Tensor, kernel: [Int], stride: [Int]?, padding: [Int], dilation: [Int], ceilMode: Bool, _ fn: String) throws {
        try input.requireFloating(fn, "input")
        try requireBoundedDims(input, "input", fn)
        let x: [Int]
        switch input.rank {
        case 5: x = input.shape
        case 4: x = [1] + input.shape
        default: throw SNNError.shape("\(fn): expected input of rank 4 [C, D, H, W] or 5 [N, C, D, H, W], got shape \(fmt(input.shape))")
        }
        guard x[1] > 0, x[2] > 0, x[3] > 0, x[4] > 0 else {
            throw SNNError.shape("\(fn): input \(fmt(input.shape)) has an empty channel or spatial dimension (only the batch dimension may be 0)")
        }
        let st = stride ?? kernel
        for (name, v, minimum) in [("kernel_size", kernel, 1), ("stride", st, 1), ("padding", padding, 0), ("dilation", dilation, 1)] {
            guard v.count == 3, v.allSatisfy({ $0 >= minimum && $0 <= maxWindowParameter }) else {
                throw SNNError.invalid("\(fn): \(name) \(fmt(v)) must be 3 \(minimum > 0 ? "positive" : "non-negative") values (each in \(minimum)...\(maxWindowParameter))")
            }
        }
        guard zip(padding, kernel).allSatisfy({ $0 <= $1 / 2 }) else {
            throw SNNError.invalid("\(fn): padding \(fmt(padding)) must be at most half of kernel_size \(fmt(kernel))")
        }
        let o = (0..<3).map { windowOutputSize(x[$0 + 2], kernel: kernel[$0], stride: st[$0], pad: padding[$0],
                                                dilation: dilation[$0], ceilMode: ceilMode) }
        guard o.allSatisfy({ $0 >= 1 }) else {
            throw SNNError.shape("\(fn): input \(fmt(input.shape)) is too small for kernel_size \(fmt(kernel)) with padding \(fmt(padding)) and dilation \(fmt(dilation)): the output would be \(o.map { max($0, 0) })")
        }
        batched = x
        self.kernel = kernel; self.stride = st; self.padding = padding; self.dilation = dilation
        out = o
        unbatched = input.rank == 4
        _ = try elementCount(outShape, fn)
    }

    /// Per axis and output position: the input positions the window's taps hit, and how many
    /// taps fall inside the padded input (PyTorch's count_include_pad divisor; a ceil-mode
    /// window's overhang beyond the padding is not counted).
    func taps() -> [(hits: [[Int]], padded: [Int])] {
        (0..<3).map { a in
            let size = batched[a + 2]
            var hits: [[Int]] = [], padded: [Int] = []
            for o in 0..<out[a] {
                let start = o * stride[a] - padding[a]
                let positions = (0..<kernel[a]).map { start + $0 * dilation[a] }
                hits.append(positions.filter { $0 >= 0 && $0 < size })
                padded.append(positions.filter { $0 < size + padding[a] }.count)
            }
            return (hits, padded)
        }
    }
}

/// Runs `body(output offset within the volume, input offsets of the window's taps, padded
/// tap count)` for every output position of one volume; taps come in (d, h, w) scan order.
private func forEachWindow(_ plan: Pool3dPlan, _ body: (Int, [Int], Int) -> Void) {
    let t = plan.taps(), hw = plan.batched[3] * plan.batched[4], w = plan.batched[4]
    var o = 0
    for od in 0..<plan.out[0] {
        for oh in 0..<plan.out[1] {
            for ow in 0..<plan.out[2] {
                var offsets: [Int] = []
                for d in t[0].hits[od] { for h in t[1].hits[oh] { for x in t[2].hits[ow] { offsets.append(d * hw + h * w + x) } } }
                body(o, offsets, t[0].padded[od] * t[1].padded[oh] * t[2].padded[ow])
                o += 1
            }
        }
    }
}

private func maxPool3dKernel<T: BinaryFloatingPoint>(_ x: UnsafeMutablePointer<T>, _ plan: Pool3dPlan,
                                                     _ y: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>) {
    forEachWindow(plan) { o, offsets, _ in
        for p in 0..<plan.planes {
            let src = x + p * plan.inVolume
            var best = -T.infinity, at = -1
            for k in offsets {
                let v = src[k]
                if at < 0 || v > best || v.isNaN { best = v; at = k }
            }
            y[p * plan.outVolume + o] = best
            indices[p * plan.outVolume + o] = Int64(at)
        }
    }
}

private func maxPool3dBackward<T: BinaryFloatingPoint>(_ g: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>,
                                                       _ plan: Pool3dPlan, _ gx: UnsafeMutablePointer<T>) {
    for p in 0..<plan.planes {
        for o in 0..<plan.outVolume where indices[p * plan.outVolume + o] >= 0 {
            gx[p * plan.inVolume + Int(indices[p * plan.outVolume + o])] += g[p * plan.outVolume + o]
        }
    }
}

/// The divisor of a window: `override` if positive, else its padded or its real tap count.
private func divisor(_ real: Int, _ padded: Int, countIncludePad: Bool, override: Int) -> Int {
    override > 0 ? override : countIncludePad ? padded : real
}

private func avgPool3dKernel<T: BinaryFloatingPoint>(_ x: UnsafeMutablePointer<T>, _ plan: Pool3dPlan, countIncludePad: Bool,
                                                     divisorOverride: Int, _ y: UnsafeMutablePointer<T>) {
    forEachWindow(plan) { o, offsets, padded in
        let n = divisor(offsets.count, padded, countIncludePad: countIncludePad, override: divisorOverride)
        for p in 0..<plan.planes {
            let src = x + p * plan.inVolume
            var sum: T = 0
            for k in offsets { sum += src[k] }
            y[p * plan.outVolume + o] = offsets.isEmpty || n == 0 ? 0 : sum / T(n)
        }
    }
}

private func avgPool3dBackward<T: BinaryFloatingPoint>(_ g: UnsafeMutablePointer<T>, _ plan: Pool3dPlan, countIncludePad: Bool,
                                                       divisorOverride: Int, _ gx: UnsafeMutablePointer<T>) {
    forEachWindow(plan) { o, offsets, padded in
        let n = divisor(offsets.count, padded, countIncludePad: countIncludePad, override: divisorOverride)
        guard !offsets.isEmpty, n > 0 else { return }
        for p in 0..<plan.planes {
            let v = g[p * plan.outVolume + o] / T(n), dst = gx + p * plan.inVolume
            for k in offsets { dst[k] += v }
        }
    }
}

/// torch.nn.functional.max_pool3d with return_indices=True: the maximum of each window of
/// `input` [N, C, D, H, W] (or [C, D, H, W]) and its position (id * H + ih) * W + iw within its
/// input volume (int64). Parameters are (depth, height, width) triples; `stride` nil means
/// `kernelSize`; padding (implicit -inf) is at most half the kernel; NaN counts as the maximum.
public func maxPool3dWithIndices(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0],
                                 dilation: [Int] = [1, 1, 1], ceilMode: Bool = false) throws -> (output: Tensor, indices: Tensor) {
    let fn = "max_pool3d"
    let plan = try Pool3dPlan(input, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode, fn)
    let out = try Tensor(empty: plan.outShape, dtype: input.dtype, zeroed: false, fn)
    let indices = try Tensor(empty: plan.outShape, dtype: .int64, zeroed: false, fn)
    if input.dtype == .float64 {
        maxPool3dKernel(input.doubles, plan, out.doubles, indices.int64s)
    } else {
        maxPool3dKernel(input.floats, plan, out.floats, indices.int64s)
    }
    trace(.maxPool3d, [input], [out, indices], [("kernel_size", .ints(kernelSize)), ("stride", .ints(plan.stride)),
          ("padding", .ints(padding)), ("dilation", .ints(dilation)), ("ceil_mode", .bool(ceilMode))])
    out.recorded("MaxPool3DWithIndicesBackward", [input], saves: [], readsOutput: false) { g in
        // forward: out[p, o] = input[p, indices[p, o]] = max over the window of o
        let gx = try Tensor(empty: input.shape, dtype: input.dtype, zeroed: true, "max_pool3d_backward")
        if input.dtype == .float64 {
            maxPool3dBackward(g.doubles, indices.int64s, plan, gx.doubles)
        } else {
            maxPool3dBackward(g.floats, indices.int64s, plan, gx.floats)
        }
        return [gx]
    }
    return (out, indices)
}

/// torch.nn.functional.max_pool3d (see `maxPool3dWithIndices`).
public func maxPool3d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0],
                      dilation: [Int] = [1, 1, 1], ceilMode: Bool = false) throws -> Tensor {
    try maxPool3dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).output
}

/// torch.nn.functional.avg_pool3d: the mean of each window of `input` [N, C, D, H, W] (or
/// [C, D, H, W]) with zero padding. The divisor is `divisorOverride` if given (positive), else
/// the window's taps inside the padded input (`countIncludePad`, PyTorch's default) or inside
/// the input itself. Windows with no tap inside the input give 0. `dilation` (not in PyTorch,
/// default 1) spaces the taps as ONNX AveragePool's dilations do.
public func avgPool3d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0],
                      ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil,
                      dilation: [Int] = [1, 1, 1]) throws -> Tensor {
    let fn = "avg_pool3d"
    let plan = try Pool3dPlan(input, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode, fn)
    if let d = divisorOverride, d < 1 || d > maxWindowParameter {
        throw SNNError.invalid("\(fn): divisor_override is \(d), expected a positive number (or none)")
    }
    let override = divisorOverride ?? 0
    let out = try Tensor(empty: plan.outShape, dtype: input.dtype, zeroed: false, fn)
    if input.dtype == .float64 {
        avgPool3dKernel(input.doubles, plan, countIncludePad: countIncludePad, divisorOverride: override, out.doubles)
    } else {
        avgPool3dKernel(input.floats, plan, countIncludePad: countIncludePad, divisorOverride: override, out.floats)
    }
    return out.traced(.avgPool3d, [input], [("kernel_size", .ints(kernelSize)), ("stride", .ints(plan.stride)),
                                            ("padding", .ints(padding)), ("ceil_mode", .bool(ceilMode)),
                                            ("count_include_pad", .bool(countIncludePad)),
                                            ("divisor_override", divisorOverride.map { .int($0) } ?? .none),
                                            ("dilation", .ints(dilation))])
        .recorded("AvgPool3DBackward", [input], saves: [], readsOutput: false) { g in
            // forward: out[p, o] = sum of input[p] over the taps of o / divisor(o)
            let gx = try Tensor(empty: input.shape, dtype: input.dtype, zeroed: true, "avg_pool3d_backward")
            if input.dtype == .float64 {
                avgPool3dBackward(g.doubles, plan, countIncludePad: countIncludePad, divisorOverride: override, gx.doubles)
            } else {
                avgPool3dBackward(g.floats, plan, countIncludePad: countIncludePad, divisorOverride: override, gx.floats)
            }
            return [gx]
        }
}

// MARK: - registry

extension OpDef {
    /// ONNX MaxPool over a 3-D window; the indices output has no ONNX equivalent here either
    /// (ONNX numbers positions over the whole tensor). Import: `MaxPool` in Pool.swift.
    static let maxPool3d = OpDef("max_pool3d", c: "snn_tensor_max_pool3d", python: "max_pool3d",
                                 export: { b, r in
                                     let x = try b.value(try r.input(0))
                                     let attrs = try pool3dAttributes(r, isMax: true)
                                     b.define(r.outputs[0], b.batched5D(x) { b, x5 in b.node1("MaxPool", [x5], attrs) }, batch: x.batch)
                                     if r.outputs.count > 1 {
                                         var v = GraphValue(name: "", shape: r.outputs[1].shape, dtype: .int64, batch: .none)
                                         v.unavailable = "the indices of max_pool3d (return_indices=True) have no ONNX equivalent (ONNX MaxPool numbers positions over the whole tensor, PyTorch within each volume)"
                                         b.values[ObjectIdentifier(r.outputs[1])] = v
                                     }
                                 })
    static let avgPool3d = OpDef("avg_pool3d", c: "snn_tensor_avg_pool3d", python: "avg_pool3d",
                                 export: { b, r in
                                     let x = try b.value(try r.input(0))
                                     if let d = r.attribute("divisor_override"), d != .none {
                                         throw SNNError(.unsupported, "avg_pool3d with divisor_override has no ONNX AveragePool equivalent")
                                     }
                                     let attrs = try pool3dAttributes(r, isMax: false)
                                     b.define(r.outputs[0], b.batched5D(x) { b, x5 in b.node1("AveragePool", [x5], attrs) }, batch: x.batch)
                                 })
}

/// ONNX MaxPool / AveragePool attributes of a traced max_pool3d or avg_pool3d call.
private func pool3dAttributes(_ r: TraceRecord, isMax: Bool) throws -> [ONNXAttribute] {
    let i64 = { (v: [Int]) in v.map { Int64($0) } }
    let p = try r.ints("padding")
    var attrs = [ONNXAttribute("kernel_shape", .ints(i64(try r.ints("kernel_size")))),
                 ONNXAttribute("strides", .ints(i64(try r.ints("stride")))),
                 ONNXAttribute("pads", .ints(i64(p + p))),
                 ONNXAttribute("dilations", .ints(i64(try r.ints("dilation")))),
                 ONNXAttribute("ceil_mode", .int(r.bool("ceil_mode") ? 1 : 0))]
    if !isMax { attrs.append(ONNXAttribute("count_include_pad", .int(r.bool("count_include_pad") ? 1 : 0))) }
    return attrs
}
