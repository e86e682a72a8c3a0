// The fully connected layer's op, fused (PyTorch's F.linear): one sgemm with the weight
// transposed by flag onto the broadcast bias; the backward is two sgemms and a column sum.
import SwiftNNKernels

/// torch.nn.functional.linear: out = input @ weight^T + bias for `input` [..., in] (any number
/// of leading dimensions, or just [in]), `weight` [out, in] and `bias` [out]; out is [..., out].
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    let fn = "linear"
    if input.dtype == .float64 || weight.dtype == .float64 { return try linear64(input, weight: weight, bias: bias) }  // Composed64.swift
    try input.requireFloat(fn, "input")
    try weight.requireFloat(fn, "weight")
    guard input.rank >= 1 else {
        throw SNNError.shape("\(fn): input must have at least 1 dimension [..., in_features], got shape \(fmt(input.shape))")
    }
    guard weight.rank == 2 else {
        throw SNNError.shape("\(fn): weight must be [out_features, in_features], got shape \(fmt(weight.shape))")
    }
    let inF = weight.shape[1], outF = weight.shape[0]
    guard input.shape[input.rank - 1] == inF else {
        throw SNNError.shape("\(fn): input \(fmt(input.shape)) has \(input.shape[input.rank - 1]) features in its last dimension, but weight \(fmt(weight.shape)) expects \(inF)")
    }
    if let bias {
        try bias.requireFloat(fn, "bias")
        guard bias.shape == [outF] else {
            throw SNNError.shape("\(fn): bias has shape \(fmt(bias.shape)), expected [\(outF)] (out_features of weight \(fmt(weight.shape)))")
        }
    }
    let lead = Array(input.shape.dropLast())
    let rows = try elementCount(lead, fn)
    let out = try Tensor(empty: lead + [outF], dtype: .float32, zeroed: false, fn)
    try requireBLASSize(rows, "the number of rows (product of input's leading dimensions)", fn)
    try requireBLASSize(inF, "in_features", fn)
    try requireBLASSize(outF, "out_features", fn)
    let y = out.floats
    if let bias {
        for r in 0..<rows { (y + r * outF).update(from: bias.floats, count: outF) }
    } else {
        y.update(repeating: 0, count: out.count)
    }
    if out.count > 0 && inF > 0 {
        // y [rows, out] += x [rows, in] @ W^T
        sgemm(false, true, rows, outF, inF, input.floats, weight.floats, beta: 1, y)
    }
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return out.traced(.linear, [input, weight, bias]).recorded("LinearBackward", inputs, readsOutput: false) { g in
        // forward: out = x @ W^T + b  =>  gx = g @ W, gW = g^T @ x, gb = column sums of g
        let bwd = "linear_backward"
        var grads: [Tensor?] = [nil, nil]
        if input.requiresGrad {
            // (zeroed only where no product writes it: a beta-0 product overwrites every
            // element, and zeroing the DQN's 6.4 MB weight gradient first cost 1% of an update)
            let gx = try Tensor(empty: input.shape, dtype: .float32, zeroed: outF == 0, bwd)
            if gx.count > 0 && outF > 0 { sgemm(false, false, rows, inF, outF, g.floats, weight.floats, beta: 0, gx.floats) }
            grads[0] = gx
        }
        if weight.requiresGrad {
            let gw = try Tensor(empty: weight.shape, dtype: .float32, zeroed: rows == 0, bwd)
            if gw.count > 0 && rows > 0 { sgemm(true, false, outF, inF, rows, g.floats, input.floats, beta: 0, gw.floats) }
            grads[1] = gw
        }
        if let bias {
            var gb: Tensor? = nil
            if bias.requiresGrad {
                let t = try Tensor(empty: bias.shape, dtype: .float32, zeroed: false, bwd)
                columnSums(g.floats, rows: rows, cols: outF, t.floats)
                gb = t
            }
            grads.append(gb)
        }
        return grads
    }
}

// MARK: - registry

extension OpDef {
    /// Exported as Gemm (transB) for 2-D inputs, else MatMul by the transposed weight + Add;
    /// ONNX's Gemm (alpha, beta, transposes) imports as matmul and adds.
    static let linear = OpDef("linear", c: "snn_tensor_linear", python: "linear",
                              export: { b, r in
                                  let x = try b.value(try r.input(0)), w = try b.value(try r.input(1))
                                  let bias = try r.inputs.count > 2 ? r.inputs[2].map { try b.value($0) } : nil
                                  let batch: BatchDim = x.batch.index == x.shape.count - 1 ? (x.batch == .none ? .none : .unknown) : x.batch
                                  if x.shape.count == 2 {
                                      b.define(r.outputs[0], b.node1("Gemm", [x.name, w.name] + (bias.map { [$0.name] } ?? []), [ONNXAttribute("transB", .int(1))]), batch: batch)
                                  } else {
                                      let wt = b.node1("Transpose", [w.name], [ONNXAttribute("perm", .ints([1, 0]))])
                                      var y = b.node1("MatMul", [x.name, wt])
                                      if let bias { y = b.node1("Add", [y, bias.name]) }
                                      b.define(r.outputs[0], y, batch: batch)
                                  }
                              },
                              imports: ["Gemm": { n in
                                  let a = try n.attrs(["alpha", "beta", "transA", "transB"])
                                  let alpha = try a.float("alpha", 1), beta = try a.float("beta", 1)
                                  let ta = try a.int("transA", 0) != 0, tb = try a.int("transB", 0) != 0
                                  return { xs in
                                      var x = try input(xs, 0), w = try input(xs, 1)
                                      guard x.rank == 2, w.rank == 2 else { throw SNNError.shape("Gemm needs 2-D A and B, got \(fmt(x.shape)) and \(fmt(w.shape))") }
                                      if ta { x = try SwiftNN.transpose(x, 0, 1) }
                                      if tb { w = try SwiftNN.transpose(w, 0, 1) }
                                      var y = try SwiftNN.matmul(x, w)
                                      if alpha != 1 { y = try SwiftNN.mul(y, try scalar(alpha)) }
                                      if let c = optionalInput(xs, 2) { y = try SwiftNN.add(y, beta == 1 ? c : try SwiftNN.mul(c, try scalar(beta))) }
                                      return [y]
                                  }
                              }])
}
