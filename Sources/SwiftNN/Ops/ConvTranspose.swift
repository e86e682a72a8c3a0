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
    try input.requireFloat(fn, "input")
    try weight.requireFloat(fn, "weight")
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
        try bias.requireFloat(fn, "bias")
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
    // The virtual convolution's input gradient; the direct kernels overwrite, im2col accumulates.
    let out = try Tensor(empty: shape, dtype: .float32, zeroed: true, fn)
    try plan.backward(input.floats, out.floats, weight.floats, gx: out.floats, gw: nil, fn)
    if let bias { addChannelBias(out.floats, bias.floats, n: plan.n, c: plan.c, s: plan.h * plan.w) }
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return out.traced(.convTranspose2d, [input, weight, bias], [("stride", .pair(stride)), ("padding", .pair(padding)),
                                                               ("output_padding", .pair(outputPadding)),
                                                               ("dilation", .pair(dilation)), ("groups", .int(groups))])
        .recorded("ConvolutionBackward", inputs) { g in
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

/// ONNX ConvTranspose, 2-D, explicit pads (symmetric), strides, dilations, group,
/// output_padding; output_shape and auto_pad are refused with a clear message.
private func importConvTranspose(_ n: ImportNode) throws -> ImportKernel {
    let a = try n.attrs(["kernel_shape", "strides", "pads", "dilations", "group", "output_padding", "output_shape", "auto_pad"])
    guard try a.ints("output_shape") == nil else {
        throw SNNError(.unsupported, "\(n.label): output_shape is not supported; give pads and output_padding")
    }
    let autoPad = try a.string("auto_pad", "NOTSET")
    guard autoPad == "NOTSET" else { throw SNNError(.unsupported, "\(n.label): auto_pad \(autoPad) is not supported; give pads") }
    let s = try a.ints("strides") ?? [1, 1], d = try a.ints("dilations") ?? [1, 1]
    let p = try a.ints("pads") ?? [0, 0, 0, 0], op = try a.ints("output_padding") ?? [0, 0]
    let groups = try a.int("group", 1)
    guard s.count == 2, d.count == 2, op.count == 2, p.count == 4 else {
        throw SNNError(.unsupported, "\(n.label): only 2-D ConvTranspose is supported")
    }
    guard p[0] == p[2], p[1] == p[3] else {
        throw SNNError(.unsupported, "\(n.label): asymmetric pads \(p) are not supported")
    }
    return { xs in
        [try convTranspose2d(try input(xs, 0), weight: try input(xs, 1), bias: try optionalInput(xs, 2), stride: (s[0], s[1]),
                             padding: (p[0], p[1]), outputPadding: (op[0], op[1]), groups: groups, dilation: (d[0], d[1]))]
    }
}
