// torch.nn.functional.conv_transpose2d: the adjoint of conv2d. For input x [N, Cin, H, W] and
// weight [Cin, Cout / groups, kh, kw], the output [N, Cout, OH, OW] with
//   OH = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1
// is what conv2d's input gradient would be for a convolution of an [N, Cout, OH, OW] input
// with that weight. So one ConvPlan of that virtual convolution runs everything: forward is
// its input-gradient pass, the input gradient is its forward, and the weight gradient is its
// weight-gradient pass with the roles of input and upstream gradient exchanged.

/// The virtual convolution behind a transposed one, and the output shape.
private func transposedPlan(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
                            outputPadding: (Int, Int), dilation: (Int, Int), groups: Int, _ fn: String) throws -> (ConvPlan, [Int]) {
    try input.requireFloating(fn, "input")
    try input.requireSameDType(weight, fn, "weight")
    let x = try batchedNCHW(input, fn)
    guard weight.rank == 4 else {
        throw SNNError.shape("\(fn): expected weight of rank 4 [in_channels, out_channels / groups, kh, kw], got shape \(fmt(weight.shape))")
    }
    try checkPair(stride, "stride", minimum: 1, fn)
    try checkPair(padding, "padding", minimum: 0, fn)
    try checkPair(dilation, "dilation", minimum: 1, fn)
    try checkPair(outputPadding, "output_padding", minimum: 0, fn)
    guard groups >= 1, weight.shape[0] % groups == 0 || weight.shape[0] == 0 else {
        throw SNNError.invalid("\(fn): groups = \(groups) must divide the \(weight.shape[0]) input channels of weight \(fmt(weight.shape))")
    }
    guard x[1] == weight.shape[0] else {
        throw SNNError.shape("\(fn): input \(fmt(input.shape)) has \(x[1]) channels, but weight \(fmt(weight.shape)) expects \(weight.shape[0]) (weight is [in_channels, out_channels / groups, kh, kw])")
    }
    guard outputPadding.0 < max(stride.0, dilation.0), outputPadding.1 < max(stride.1, dilation.1) else {
        throw SNNError.invalid("\(fn): output padding must be smaller than either stride or dilation, but got output_padding \(fmt(outputPadding)), stride \(fmt(stride)), dilation \(fmt(dilation))")
    }
    func size(_ i: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int, _ op: Int) -> Int { (i - 1) * s - 2 * p + d * (k - 1) + op + 1 }
    let oh = size(x[2], weight.shape[2], stride.0, padding.0, dilation.0, outputPadding.0)
    let ow = size(x[3], weight.shape[3], stride.1, padding.1, dilation.1, outputPadding.1)
    let cout = weight.shape[1] * groups
    guard oh >= 1, ow >= 1 else {
        throw SNNError.shape("\(fn): the output would be \(oh) x \(ow) for input \(fmt(input.shape)), weight \(fmt(weight.shape)), stride \(fmt(stride)), padding \(fmt(padding)): too small")
    }
    if let bias {
        try input.requireSameDType(bias, fn, "bias")
        guard bias.shape == [cout] else { throw SNNError.shape("\(fn): bias has shape \(fmt(bias.shape)), expected [\(cout)] (one per output channel)") }
    }
    let virtualInput = [x[0], cout, oh, ow]
    let plan = try ConvPlan(shape: virtualInput, weight, nil, stride: stride, padding: padding, dilation: dilation, groups: groups, fn)
    guard plan.geometry.outH == x[2], plan.geometry.outW == x[3] else {
        throw SNNError.invalid("\(fn): output_padding \(fmt(outputPadding)) gives an output that does not map back onto the input (stride \(fmt(stride)), dilation \(fmt(dilation)))")
    }
    return (plan, input.rank == 3 ? Array(virtualInput.dropFirst()) : virtualInput)
}

/// torch.nn.functional.conv_transpose2d(input, weight, bias, stride, padding, output_padding,
/// groups, dilation); parameters are (height, width) pairs.
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), groups: Int = 1,
                            dilation: (Int, Int) = (1, 1)) throws -> Tensor {
    let fn = "conv_transpose2d"
    let (plan, shape) = try transposedPlan(input, weight, bias, stride: stride, padding: padding, outputPadding: outputPadding,
                                           dilation: dilation, groups: groups, fn)
    if input.dtype == .float64 { return try convTranspose2d64(input, weight: weight, bias: bias, plan, outShape: shape) }
    // The virtual convolution's input gradient (zeroed where the plan's backward accumulates).
    let out = try Tensor(empty: shape, dtype: .float32, zeroed: !plan.overwritesInputGradient, fn)
    try plan.backward(input.floats, out.floats, weight.floats, gx: out.floats, gw: nil, fn)
    if let bias { addChannelBias(out.floats, bias.floats, n: plan.n, c: plan.c, s: plan.h * plan.w) }
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return out.traced(.convTranspose2d, [input, weight, bias], [("stride", .pair(stride)), ("padding", .pair(padding)),
                                                               ("output_padding", .pair(outputPadding)),
                                                               ("dilation", .pair(dilation)), ("groups", .int(groups))])
        .recorded("ConvolutionBackward", inputs, readsOutput: false) { g in
            let bwd = "conv_transpose2d_backward"
            var grads: [Tensor?] = [nil, nil]
            if input.requiresGrad {
                // d input = conv2d(g, weight): the virtual convolution's forward.
                let gx = try Tensor(empty: input.shape, dtype: .float32, zeroed: false, bwd)
                try plan.forward(g.floats, weight.floats, nil, gx.floats, bwd)
                grads[0] = gx
            }
            if weight.requiresGrad {
                // d weight: the virtual weight gradient with upstream = input and input = g.
                let gw = try Tensor(empty: weight.shape, dtype: .float32, zeroed: false, bwd)
                try plan.backward(input.floats, g.floats, weight.floats, gx: nil, gw: gw.floats, bwd)
                grads[1] = gw
            }
            if let bias {
                var gb: Tensor? = nil
                if bias.requiresGrad {
                    let t = try Tensor(empty: bias.shape, dtype: .float32, zeroed: false, bwd)
                    try channelTotals(g.floats, n: plan.n, c: plan.c, s: plan.h * plan.w, into: t, bwd)
                    gb = t
                }
                grads.append(gb)
            }
            return grads
        }
}

/// out[n, c, s] += bias[c].
private func addChannelBias(_ out: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, n: Int, c: Int, s: Int) {
    for i in 0..<n { for ch in 0..<c { let b = bias[ch], p = out + (i * c + ch) * s; for j in 0..<s { p[j] += b } } }
}

// MARK: - registry

extension OpDef {
    /// ONNX ConvTranspose with explicit pads and output_padding (the output shape follows).
    static let convTranspose2d = OpDef("conv_transpose2d", c: "snn_tensor_conv_transpose2d", python: "conv_transpose2d",
                                       export: { b, r in
                                           let x = try b.value(try r.input(0)), w = try b.value(try r.input(1))
                                           let bias = try r.inputs.count > 2 ? r.inputs[2].map { try b.value($0) } : nil
                                           let s = try r.ints("stride"), p = try r.ints("padding"), d = try r.ints("dilation")
                                           let op = try r.ints("output_padding")
                                           let i64 = { (v: [Int]) in v.map { Int64($0) } }
                                           let attrs = [ONNXAttribute("kernel_shape", .ints(i64([w.shape[2], w.shape[3]]))),
                                                        ONNXAttribute("strides", .ints(i64(s))), ONNXAttribute("pads", .ints(i64(p + p))),
                                                        ONNXAttribute("dilations", .ints(i64(d))), ONNXAttribute("output_padding", .ints(i64(op))),
                                                        ONNXAttribute("group", .int(Int64(try r.int("groups"))))]
                                           let y = b.batched4D(x) { b, x4 in b.node1("ConvTranspose", [x4, w.name] + (bias.map { [$0.name] } ?? []), attrs) }
                                           b.define(r.outputs[0], y, batch: x.batch)
                                       },
                                       imports: ["ConvTranspose": importConvTranspose])
}

/// ONNX ConvTranspose, 1-D to 3-D (3-D composed by conv_transpose3d): strides, dilations, group, output_padding, and pads given
/// explicitly, by auto_pad (SAME_UPPER / SAME_LOWER: output = input * stride) or by
/// output_shape, with ONNX's rule for splitting the total padding. The full transposed
/// convolution is computed with the symmetric part of the padding, and the rest is cropped
/// (or, for an output_shape beyond the full output, zero-padded) by the engine's pad.
private func importConvTranspose(_ n: ImportNode) throws -> ImportKernel {
    let a = try n.attrs(["kernel_shape", "strides", "pads", "dilations", "group", "output_padding", "output_shape", "auto_pad"])
    let autoPad = try a.string("auto_pad", "NOTSET")
    guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else {
        throw SNNError(.unsupported, "\(n.label): auto_pad \(autoPad) is not supported")
    }
    let groups = try a.int("group", 1)
    let attrStrides = try a.ints("strides"), attrDilations = try a.ints("dilations"), attrPads = try a.ints("pads")
    let attrOutPad = try a.ints("output_padding"), outputShape = try a.ints("output_shape")
    let label = n.label
    return { xs in
        let x0 = try input(xs, 0), w0 = try input(xs, 1)
        let spatial = x0.rank - 2
        guard (1...3).contains(spatial), w0.rank == x0.rank else {
            throw SNNError(.unsupported, "\(label): \(spatial)-D ConvTranspose is not supported (1-D, 2-D and 3-D are; the weight's rank must equal the input's)")
        }
        let s = attrStrides ?? [Int](repeating: 1, count: spatial), d = attrDilations ?? [Int](repeating: 1, count: spatial)
        let op = attrOutPad ?? [Int](repeating: 0, count: spatial)
        guard s.count == spatial, d.count == spatial, op.count == spatial else {
            throw SNNError.shape("\(label): strides, dilations and output_padding need \(spatial) entries")
        }
        let inSize = Array(x0.shape.suffix(spatial)), kernel = Array(w0.shape.suffix(spatial))
        // (begin, end) padding per spatial dimension.
        var pads: [(Int, Int)] = []
        for i in 0..<spatial {
            let full = s[i] * (inSize[i] - 1) + op[i] + (kernel[i] - 1) * d[i] + 1
            if outputShape != nil || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                let target = outputShape.map { $0[$0.count - spatial + i] } ?? inSize[i] * s[i]
                let total = full - target
                let half = total >= 0 ? total / 2 : -((-total + 1) / 2)
                pads.append(autoPad == "SAME_UPPER" ? (half, total - half) : (total - half, half))
            } else if autoPad == "VALID" {
                pads.append((0, 0))
            } else {
                let p = attrPads ?? [Int](repeating: 0, count: 2 * spatial)
                guard p.count == 2 * spatial else { throw SNNError.shape("\(label): pads \(p) need \(2 * spatial) entries") }
                pads.append((p[i], p[i + spatial]))
            }
        }
        let sym = pads.map { max(0, min($0.0, $0.1)) }
        var y: Tensor
        if spatial == 3 {
            y = try convTranspose3d(x0, weight: w0, bias: optionalInput(xs, 2), stride: s, padding: sym,
                                    outputPadding: op, groups: groups, dilation: d)
        } else {
            // 1-D runs as 2-D over a height of one.
            let x = spatial == 1 ? try unsqueeze(x0, dim: 2) : x0
            let w = spatial == 1 ? try unsqueeze(w0, dim: 2) : w0
            // The height of one has stride and dilation 1 and no padding.
            let pair = { (v: [Int], one: Int) in spatial == 1 ? (one, v[0]) : (v[0], v[1]) }
            y = try convTranspose2d(x, weight: w, bias: try optionalInput(xs, 2), stride: pair(s, 1), padding: pair(sym, 0),
                                    outputPadding: pair(op, 0), groups: groups, dilation: pair(d, 1))
            if spatial == 1 { y = try squeeze(y, dims: [2]) }
        }
        // The asymmetric rest: negative amounts crop, positive ones add zeros.
        var rest: [Int] = []
        for i in (0..<spatial).reversed() { rest += [sym[i] - pads[i].0, sym[i] - pads[i].1] }
        if rest.contains(where: { $0 != 0 }) { y = try pad(y, rest) }
        return [y]
    }
}
