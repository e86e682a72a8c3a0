// torch.nn.functional.conv_transpose3d, composed from conv_transpose2d: a transposed
// convolution is a sum over kernel taps, so each depth tap kd is one 2-D transposed convolution
// of every input slice, placed at output depth id * stride - padding + kd * dilation. Built from
// differentiable ops, it needs no backward of its own (and exports as those ops).

/// torch.nn.functional.conv_transpose3d(input, weight, bias, stride, padding, output_padding,
/// groups, dilation): input [N, Cin, D, H, W] (or [Cin, D, H, W]), weight
/// [Cin, Cout / groups, kd, kh, kw], output [N, Cout, OD, OH, OW] with
/// OD = (D - 1) stride - 2 padding + dilation (kd - 1) + output_padding + 1 (likewise OH, OW).
/// Parameters are (depth, height, width) triples.
public func convTranspose3d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1, 1],
                            padding: [Int] = [0, 0, 0], outputPadding: [Int] = [0, 0, 0], groups: Int = 1,
                            dilation: [Int] = [1, 1, 1]) throws -> Tensor {
    let fn = "conv_transpose3d"
    guard input.rank == 5 || input.rank == 4 else {
        throw SNNError.shape("\(fn): expected input of rank 4 [Cin, D, H, W] or 5 [N, Cin, D, H, W], got shape \(fmt(input.shape))")
    }
    guard weight.rank == 5 else {
        throw SNNError.shape("\(fn): expected weight of rank 5 [in_channels, out_channels / groups, kd, kh, kw], got shape \(fmt(weight.shape))")
    }
    for (name, v, minimum) in [("stride", stride, 1), ("padding", padding, 0), ("output_padding", outputPadding, 0), ("dilation", dilation, 1)] {
        guard v.count == 3, v.allSatisfy({ $0 >= minimum && $0 <= maxWindowParameter }) else {
            throw SNNError.invalid("\(fn): \(name) \(fmt(v)) must be 3 \(minimum > 0 ? "positive" : "non-negative") values")
        }
    }
    guard outputPadding[0] < max(stride[0], dilation[0]) else {
        throw SNNError.invalid("\(fn): output padding must be smaller than either stride or dilation, but got output_padding \(fmt(outputPadding)), stride \(fmt(stride)), dilation \(fmt(dilation))")
    }
    let x = input.rank == 5 ? input : try unsqueeze(input, dim: 0)
    guard groups >= 1, weight.shape[0] % groups == 0, x.shape[1] == weight.shape[0] else {
        throw SNNError.shape("\(fn): input \(fmt(input.shape)) and weight \(fmt(weight.shape)) with groups = \(groups): the input's channels must equal weight's first dimension [in_channels, out_channels / groups, kd, kh, kw], which groups must divide")
    }
    let (n, depth, kd) = (x.shape[0], x.shape[2], weight.shape[2])
    let full = (depth - 1) * stride[0] + dilation[0] * (kd - 1) + outputPadding[0] + 1
    let outDepth = full - 2 * padding[0]
    guard depth >= 1, kd >= 1, outDepth >= 1 else {
        throw SNNError.shape("\(fn): the output depth would be \(outDepth) for input \(fmt(input.shape)), weight \(fmt(weight.shape)), stride \(fmt(stride)), padding \(fmt(padding)): too small")
    }
    // Every depth slice as one batch of 2-D images: [N * D, Cin, H, W].
    let slices = try reshape(try permute(x, [0, 2, 1, 3, 4]), [n * depth, x.shape[1], x.shape[3], x.shape[4]])
    let placed = (depth - 1) * stride[0] + 1
    var sum: Tensor? = nil
    for k in 0..<kd {
        // The 2-D output padding is carried by every tap; the depth's is in `full`.
        let y = try convTranspose2d(slices, weight: try select(weight, dim: 2, index: k), stride: (stride[1], stride[2]),
                                    padding: (padding[1], padding[2]), outputPadding: (outputPadding[1], outputPadding[2]),
                                    groups: groups, dilation: (dilation[1], dilation[2]))
        var z = try reshape(y, [n, depth] + Array(y.shape.dropFirst()))            // [N, D, Cout, OH, OW]
        if stride[0] > 1 {
            // Input slice id lands on depth id * stride: interleave stride - 1 zero slices.
            let zeros = try Tensor.full(z.shape, 0, dtype: z.dtype, fn)
            z = try stack([z] + [Tensor](repeating: zeros, count: stride[0] - 1), dim: 2)
            z = try slice(try reshape(z, [n, depth * stride[0]] + Array(z.shape.suffix(3))), dim: 1, end: placed)
        }
        let before = k * dilation[0]
        z = try pad(z, [0, 0, 0, 0, 0, 0, before, full - placed - before])
        sum = try sum.map { try add($0, z) } ?? z
    }
    guard var out = sum else { throw SNNError.invalid("\(fn): weight \(fmt(weight.shape)) has no depth taps") }
    out = try slice(out, dim: 1, start: padding[0], end: padding[0] + outDepth)
    out = try permute(out, [0, 2, 1, 3, 4])                                             // [N, Cout, OD, OH, OW]
    if let bias {
        guard bias.shape == [out.shape[1]] else {
            throw SNNError.shape("\(fn): bias has shape \(fmt(bias.shape)), expected [\(out.shape[1])] (one per output channel)")
        }
        out = try add(out, try reshape(bias, [out.shape[1], 1, 1, 1]))
    }
    return input.rank == 5 ? try out.contiguous() : try squeeze(try out.contiguous(), dims: [0])
}
