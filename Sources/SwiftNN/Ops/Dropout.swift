// Dropout (PyTorch's F.dropout) with masks from the engine's counter-based generator, so a seed
// reproduces them in every language; the backward reuses the forward's mask.

/// torch.nn.functional.dropout: in training, zeroes each element with probability `p` and scales
/// the others by 1 / (1 - p); otherwise (or when p = 0 or the input is empty) returns `input`
/// itself and draws nothing. Element i is kept when u[i] >= p, where u is exactly the tensor
/// `Tensor.rand(input.shape, generator:)` would return at this point (same blocks consumed).
public func dropout(_ input: Tensor, p: Double = 0.5, training: Bool = true, generator: Generator = .global) throws -> Tensor {
    let fn = "dropout"
    try input.requireFloating(fn, "input")
    guard p >= 0, p <= 1 else {
        throw SNNError.invalid("\(fn): probability p = \(p) must be between 0 and 1")
    }
    if !training || p == 0 || input.count == 0 { return input }
    if input.dtype == .float64 { return try dropout64(input, p: p, generator: generator) }
    // mask = keep / (1 - p) as floats; p = 1 keeps nothing (no division by zero).
    let mask = try Tensor(empty: input.shape, dtype: .float32, zeroed: false, fn)
    generator.fillUniform(mask.floats, mask.count)
    let threshold = Float(p)
    let scale: Float = p < 1 ? Float(1 / (1 - p)) : 0
    let m = mask.floats, x = input.floats
    let out = try Tensor(empty: input.shape, dtype: .float32, zeroed: false, fn)
    let o = out.floats
    for i in 0..<mask.count {
        m[i] = m[i] >= threshold ? scale : 0
        o[i] = x[i] * m[i]
    }
    return out.traced(.dropout, [input], [("p", .float(p)), ("training", .bool(true))]).recorded("NativeDropoutBackward", [input], saves: [], readsOutput: false) { g in
        // forward: out = input * mask, mask = keep / (1 - p)
        let gx = try Tensor(empty: input.shape, dtype: .float32, zeroed: false, "dropout_backward")
        let pg = g.floats, pm = mask.floats, pgx = gx.floats
        for i in 0..<gx.count { pgx[i] = pg[i] * pm[i] }
        return [gx]
    }
}

/// Dropout of a float64 input: the same float32 draws (so a seed keeps the same elements in
/// either dtype), the mask and the product in Double.
private func dropout64(_ input: Tensor, p: Double, generator: Generator) throws -> Tensor {
    let fn = "dropout"
    let draws = try Tensor(empty: input.shape, dtype: .float32, zeroed: false, fn)
    generator.fillUniform(draws.floats, draws.count)
    let mask = try Tensor(empty: input.shape, dtype: .float64, zeroed: false, fn)
    let threshold = Float(p), scale = p < 1 ? 1 / (1 - p) : 0
    let u = draws.floats, m = mask.doubles
    for i in 0..<mask.count { m[i] = u[i] >= threshold ? scale : 0 }
    let out = try mul(input.detach(), mask)
    return out.traced(.dropout, [input], [("p", .float(p)), ("training", .bool(true))]).recorded("NativeDropoutBackward", [input], saves: [], readsOutput: false) { g in
        // forward: out = input * mask, mask = keep / (1 - p)
        [try mul(g, mask)]
    }
}

// MARK: - registry

extension OpDef {
    /// Training-mode dropout is random, so it cannot be exported (eval-mode dropout is the
    /// identity and is never traced); ONNX Dropout imports as the identity (inference only).
    static let dropout = OpDef("dropout", c: "snn_tensor_dropout", python: "dropout",
                               export: { _, _ in
                                   throw SNNError.invalid("dropout in training mode cannot be exported (it is random); call eval() (snn_module_train(m, false)) before exporting")
                               },
                               imports: ["Dropout": { n in
                                   _ = try n.attrs(["ratio", "seed", "is_test"])
                                   guard n.node.outputs.count < 2 || n.node.outputs[1].isEmpty else {
                                       throw SNNError(.unsupported, "\(n.label): the mask output is not supported")
                                   }
                                   let opset = n.opset
                                   return { xs in
                                       if opset >= 12, let t = optionalInput(xs, 2), try scalarValue(t, "training_mode") != 0 {
                                           throw SNNError(.unsupported, "Dropout in training mode is not supported (inference only)")
                                       }
                                       return [try input(xs, 0)]
                                   }
                               }])
}
