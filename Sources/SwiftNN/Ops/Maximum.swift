// Elementwise extremes of tensors: maximum, minimum and clamp with tensor bounds, broadcasting
// (float32). nan propagates, as in PyTorch; the pullbacks copy PyTorch's rules: maximum splits
// the gradient between equal operands, clamp's bounds get it where they were chosen.

/// torch.maximum(a, b) / torch.minimum: the larger (smaller) of a and b elementwise, nan if
/// either is nan. Gradient: g to the chosen operand, g / 2 to each where they are equal.
public func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try extremeOf(a, b, largest: true) }
public func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try extremeOf(a, b, largest: false) }

private func extremeOf(_ a: Tensor, _ b: Tensor, largest: Bool) throws -> Tensor {
    let fn = largest ? "maximum" : "minimum"
    if a.dtype != .float32 || b.dtype != .float32 {
        if operandsResultType(a, b) == .float64 { return try extremeOf64(a, b, largest: largest, fn) }
        return try extremeOfAnyDtype(a, b, largest: largest, fn)
    }
    let out = try broadcastBinary(a, b, fn) { x, y in
        if x.isNaN || y.isNaN { return x.isNaN ? x : y }
        return largest ? Swift.max(x, y) : Swift.min(x, y)
    }
    return out.traced(largest ? .maximum : .minimum, [a, b]).recorded(largest ? "MaximumBackward" : "MinimumBackward", [a, b]) { g in
        // forward: out = max(a, b)  =>  da = g where a > b, g/2 where a == b; db symmetric
        func share(_ mine: Tensor, _ other: Tensor) throws -> Tensor {
            let wins = try broadcastBinary(mine, other, fn + "_backward") { x, y in
                x == y ? 0.5 : ((largest ? x > y : x < y) || x.isNaN ? 1 : 0)
            }
            return try sumToShape(try broadcastBinary(g, wins, fn + "_backward", *), mine.shape)
        }
        return [a.requiresGrad ? try share(a, b) : nil, b.requiresGrad ? try share(b, a) : nil]
    }
}

/// maximum/minimum of other dtypes, in the operands' result type (integers exactly; float64 in
/// double). Not differentiable: gradients are float32-only here.
private func extremeOfAnyDtype(_ a: Tensor, _ b: Tensor, largest: Bool, _ fn: String) throws -> Tensor {
    let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, fn)
    let out = try Tensor(empty: shape, dtype: operandsResultType(a, b), zeroed: false, fn)
    let floating = out.dtype.isFloatingPoint
    forEachRun3(shape, broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape), contiguousStrides(shape)) { oa, ob, oo, n, ia, ib, io in
        for k in 0..<n {
            let i = oa + k * ia, j = ob + k * ib
            if floating {
                let x = a.element(i), y = b.element(j)
                out.store(oo + k * io, x.isNaN || y.isNaN ? .nan : (largest ? Swift.max(x, y) : Swift.min(x, y)))
            } else {
                let x = a.integerElement(i), y = b.integerElement(j)
                out.storeInteger(oo + k * io, largest ? Swift.max(x, y) : Swift.min(x, y))
            }
        }
    }
    return out.traced(largest ? .maximum : .minimum, [a, b])
}

/// torch.clamp(t, min, max) with tensor bounds (either may be nil, not both), broadcasting all
/// three: min(max(t, min), max) elementwise; min > max gives max; a nan anywhere gives nan.
/// Gradients (PyTorch's clamp_backward and clamp_backward_min_max): t gets g where
/// min <= t <= max; min gets g where t < min (and min < max when both are given); max gets g
/// where t > max (or max < min); each summed to its shape.
public func clamp(_ t: Tensor, min lo: Tensor?, max hi: Tensor?) throws -> Tensor {
    let fn = "clamp"
    // A Python number bound (a wrapped number, float64 or int64) takes t's dtype, as PyTorch's
    // promotion gives clamp(float32 tensor, max=4.0): float32.
    let lo = try lo.map { $0.isWrappedNumber ? try converted($0, t.dtype) : $0 }
    let hi = try hi.map { $0.isWrappedNumber ? try converted($0, t.dtype) : $0 }
    guard lo != nil || hi != nil else {
        throw SNNError.invalid("\(fn): at least one of min or max must be given (neither bound was passed)")
    }
    if t.dtype == .float64 { return try clampTensor64(t, min: lo, max: hi) }
    var out = t
    var shape = t.shape
    if let lo {
        shape = try broadcastShapes(shape, lo.shape, fn)
        out = try broadcastBinary(out, lo, fn) { x, l in x < l || l.isNaN ? l : x }
    }
    if let hi {
        shape = try broadcastShapes(shape, hi.shape, fn)
        out = try broadcastBinary(out, hi, fn) { y, h in y > h || h.isNaN ? h : y }
    }
    let inputs = [t] + [lo, hi].compactMap { $0 }
    out = out === t ? try t.clone() : out
    let bfn = "clamp_backward"
    return out.traced(.clampTensor, [t, lo, hi]).recorded("ClampBackward", inputs) { g in
        // forward: out = min(max(t, lo), hi)
        let zero = try Tensor([0], shape: [])
        func masked(_ keep: Tensor) throws -> Tensor { try broadcastBinary(g, keep, bfn, *) }
        func flag(_ c: Bool) -> Float { c ? 1 : 0 }
        var grads: [Tensor?] = []
        if t.requiresGrad {
            var keep = try broadcastBinary(t, zero, bfn) { _, _ in 1 }
            if let lo { keep = try broadcastBinary(try broadcastBinary(t, lo, bfn) { x, l in flag(x >= l) }, keep, bfn, *) }
            if let hi { keep = try broadcastBinary(try broadcastBinary(t, hi, bfn) { x, h in flag(x <= h) }, keep, bfn, *) }
            grads.append(try sumToShape(try masked(keep), t.shape))
        } else {
            grads.append(nil)
        }
        if let lo {
            var keep = try broadcastBinary(t, lo, bfn) { x, l in flag(x < l) }
            if let hi { keep = try broadcastBinary(keep, try broadcastBinary(lo, hi, bfn) { l, h in flag(l < h) }, bfn, *) }
            grads.append(lo.requiresGrad ? try sumToShape(try masked(keep), lo.shape) : nil)
        }
        if let hi {
            var keep = try broadcastBinary(t, hi, bfn) { x, h in flag(x > h) }
            if let lo { keep = try broadcastBinary(keep, try broadcastBinary(hi, lo, bfn) { h, l in flag(h < l) }, bfn) { a, b in Swift.max(a, b) } }
            grads.append(hi.requiresGrad ? try sumToShape(try masked(keep), hi.shape) : nil)
        }
        return grads
    }
}

// MARK: - registry

extension OpDef {
    static let maximum = OpDef("maximum", c: "snn_tensor_maximum", python: "maximum", export: { b, r in try b.binary(r, "Max") },
                               imports: ["Max": { n in
                                   _ = try n.attrs([])
                                   return { xs in
                                       var out = try input(xs, 0)
                                       for i in xs.indices.dropFirst() { out = try SwiftNN.maximum(out, try input(xs, i)) }
                                       return [out]
                                   }
                               }])
    static let minimum = OpDef("minimum", c: "snn_tensor_minimum", python: "minimum", export: { b, r in try b.binary(r, "Min") },
                               imports: ["Min": { n in
                                   _ = try n.attrs([])
                                   return { xs in
                                       var out = try input(xs, 0)
                                       for i in xs.indices.dropFirst() { out = try SwiftNN.minimum(out, try input(xs, i)) }
                                       return [out]
                                   }
                               }])
    /// Max then Min (ONNX Clip takes only scalar bounds).
    static let clampTensor = OpDef("clamp_tensor", c: "snn_tensor_clamp_tensor", python: "clamp",
                                   export: { b, r in
                                       let x = try b.value(try r.input(0))
                                       var y = x.name
                                       var vs = [x]
                                       if let lo = r.inputs[1] { let v = try b.value(lo); vs.append(v); y = b.node1("Max", [y, v.name]) }
                                       if let hi = r.inputs[2] { let v = try b.value(hi); vs.append(v); y = b.node1("Min", [y, v.name]) }
                                       b.define(r.outputs[0], y, batch: b.broadcastBatch(vs, r.outputs[0].rank))
                                   })
}
