// maximum, minimum and clamp with tensor bounds in float64, with the float32 forms' rules
// (nan propagates; maximum splits the gradient between equal operands; clamp's bounds get it
// where they were chosen), through the generic binary kernel in Double.

/// a op b elementwise in Double with broadcasting (both float64).
private func binary64(_ a: Tensor, _ b: Tensor, _ fn: String, _ op: (Double, Double) -> Double) throws -> Tensor {
    try typedBinary(a, b, Double.self, .float64, fn, op)
}

/// maximum/minimum of two floating operands whose result type is float64 (a float32 operand
/// is converted through `to`, so its gradient comes back as float32).
func extremeOf64(_ a: Tensor, _ b: Tensor, largest: Bool, _ fn: String) throws -> Tensor {
    let x = try converted(a, .float64), y = try converted(b, .float64)
    let out = try binary64(x, y, fn) { p, q in
        if p.isNaN || q.isNaN { return p.isNaN ? p : q }
        return largest ? Swift.max(p, q) : Swift.min(p, q)
    }
    return out.traced(largest ? .maximum : .minimum, [a, b]).recorded(largest ? "MaximumBackward" : "MinimumBackward", [x, y], readsOutput: false) { g in
        // forward: out = max(a, b)  =>  da = g where a > b, g/2 where a == b; db symmetric
        func share(_ mine: Tensor, _ other: Tensor) throws -> Tensor {
            let wins = try binary64(mine, other, fn + "_backward") { p, q in p == q ? 0.5 : ((largest ? p > q : p < q) || p.isNaN ? 1 : 0) }
            return try sumTo(try binary64(g, wins, fn + "_backward", *), mine.shape)
        }
        return [x.requiresGrad ? try share(x, y) : nil, y.requiresGrad ? try share(y, x) : nil]
    }
}

/// clamp of a float64 tensor with tensor bounds (converted to float64), as `clamp(_:min:max:)`.
func clampTensor64(_ t: Tensor, min lo: Tensor?, max hi: Tensor?) throws -> Tensor {
    let fn = "clamp", bfn = "clamp_backward"
    let lo = try lo.map { try converted($0, .float64) }, hi = try hi.map { try converted($0, .float64) }
    var out = t
    if let lo { out = try binary64(out, lo, fn) { x, l in x < l || l.isNaN ? l : x } }
    if let hi { out = try binary64(out, hi, fn) { y, h in y > h || h.isNaN ? h : y } }
    out = out === t ? try t.clone() : out
    let inputs = [t] + [lo, hi].compactMap { $0 }
    return out.traced(.clampTensor, [t, lo, hi]).recorded("ClampBackward", inputs, readsOutput: false) { g in
        // forward: out = min(max(t, lo), hi)
        func flag(_ c: Bool) -> Double { c ? 1 : 0 }
        func masked(_ keep: Tensor, _ like: Tensor) throws -> Tensor { try sumTo(try binary64(g, keep, bfn, *), like.shape) }
        var grads: [Tensor?] = []
        if t.requiresGrad {
            var keep = try binary64(g, t, bfn) { _, _ in 1 }
            if let lo { keep = try binary64(keep, try binary64(t, lo, bfn) { x, l in flag(x >= l) }, bfn, *) }
            if let hi { keep = try binary64(keep, try binary64(t, hi, bfn) { x, h in flag(x <= h) }, bfn, *) }
            grads.append(try masked(keep, t))
        } else {
            grads.append(nil)
        }
        if let lo {
            var keep = try binary64(t, lo, bfn) { x, l in flag(x < l) }
            if let hi { keep = try binary64(keep, try binary64(lo, hi, bfn) { l, h in flag(l < h) }, bfn, *) }
            grads.append(lo.requiresGrad ? try masked(keep, lo) : nil)
        }
        if let hi {
            var keep = try binary64(t, hi, bfn) { x, h in flag(x > h) }
            if let lo { keep = try binary64(keep, try binary64(hi, lo, bfn) { h, l in flag(h < l) }, bfn) { Swift.max($0, $1) } }
            grads.append(hi.requiresGrad ? try masked(keep, hi) : nil)
        }
        return grads
    }
}
