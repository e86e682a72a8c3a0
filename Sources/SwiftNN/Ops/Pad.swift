// torch.nn.functional.pad: constant (negative amounts crop), reflect, replicate and circular
// padding of the last dimensions. Every mode is one gather: each output element reads one
// input element (or the constant), chosen per dimension by an index table, so the backward
// scatters the gradient back through the same tables (reflect and replicate add several
// output positions into one input element).

public enum PadMode: String, Sendable, CaseIterable {
    case constant, reflect, replicate, circular
}

/// Per dimension: the input index each output index reads (-1: the constant).
private func padTable(size: Int, before: Int, after: Int, mode: PadMode, dim: Int, _ fn: String) throws -> [Int] {
    let out = size + before + after
    guard out >= 0 else {
        throw SNNError.shape("\(fn): padding (\(before), \(after)) of dimension \(dim) would leave \(out) elements of its \(size)")
    }
    switch mode {
    case .reflect:
        guard before < size, after < size else {
            throw SNNError.invalid("\(fn): Padding size should be less than the corresponding input dimension, but got: padding (\(before), \(after)) at dimension \(dim) of size \(size)")
        }
    case .circular:
        guard before <= size, after <= size else {
            throw SNNError.invalid("\(fn): Padding value causes wrapping around more than once: padding (\(before), \(after)) at dimension \(dim) of size \(size)")
        }
    case .replicate:
        guard size > 0 || out == 0 else { throw SNNError.invalid("\(fn): cannot replicate-pad dimension \(dim) of size 0") }
    case .constant:
        break
    }
    if mode != .constant { guard before >= 0, after >= 0 else { throw SNNError.invalid("\(fn): negative padding is only allowed in constant mode") } }
    return (0..<out).map { o in
        let i = o - before
        switch mode {
        case .constant: return i >= 0 && i < size ? i : -1
        case .replicate: return min(max(i, 0), size - 1)
        case .reflect:
            var j = i
            if j < 0 { j = -j }
            if j >= size { j = 2 * (size - 1) - j }
            return j
        case .circular: return ((i % size) + size) % size
        }
    }
}

/// torch.nn.functional.pad(x, pad, mode, value): `pad` lists (before, after) pairs starting
/// from the last dimension, as PyTorch's. PyTorch limits the non-constant modes to the last
/// three dimensions of a 2-D to 5-D input; the gather here has no such limit, so any number
/// of dimensions pads in any mode (ONNX Pad needs that).
public func pad(_ x: Tensor, _ pad: [Int], mode: PadMode = .constant, value: Double = 0) throws -> Tensor {
    let fn = "pad"
    try x.requireFloating(fn, "input")
    guard pad.count % 2 == 0, pad.count / 2 <= x.rank else {
        throw SNNError.invalid("\(fn): Padding length must be divisible by 2 and at most twice the input's rank \(x.rank), got \(pad.count) values \(pad)")
    }
    let k = pad.count / 2
    var tables: [[Int]] = x.shape.map { Array(0..<$0) }
    for j in 0..<k {
        let d = x.rank - 1 - j
        guard abs(pad[2 * j]) <= maxElementCount, abs(pad[2 * j + 1]) <= maxElementCount else {
            throw SNNError.range("\(fn): padding \(pad) is too large")
        }
        tables[d] = try padTable(size: x.shape[d], before: pad[2 * j], after: pad[2 * j + 1], mode: mode, dim: d, fn)
    }
    let shape = tables.map(\.count)
    return x.dtype == .float64 ? try padded(x, Double.self, shape, tables, pad, mode, value)
        : try padded(x, Float.self, shape, tables, pad, mode, value)
}

/// The gather and its backward scatter of `pad` in the input's precision.
private func padded<T: TensorFloat>(_ x: Tensor, _: T.Type, _ shape: [Int], _ tables: [[Int]], _ pad: [Int], _ mode: PadMode,
                                    _ value: Double) throws -> Tensor {
    let fn = "pad"
    let out = try Tensor(empty: shape, dtype: T.dtype, zeroed: false, fn)
    let src = contiguousStrides(x.shape), px = x.typed(T.self), po = out.typed(T.self), fill = T(value)
    forEachSource(shape, tables, src) { o, s in po[o] = s < 0 ? fill : px[s] }
    return out.traced(.pad, [x], [("pad", .ints(pad)), ("mode", .int(PadMode.allModes.firstIndex(of: mode)!)), ("value", .float(value))])
        .recorded("PadBackward", [x], saves: [], readsOutput: false) { g in
            // forward: out[o] = x[source(o)]  =>  dx[s] = sum of g[o] over the o that read s
            let gx = try Tensor(empty: x.shape, dtype: T.dtype, zeroed: true, "pad_backward")
            let pg = g.typed(T.self), pd = gx.typed(T.self)
            forEachSource(shape, tables, src) { o, s in if s >= 0 { pd[s] += pg[o] } }
            return [gx]
        }
}

extension PadMode {
    public static let allModes: [PadMode] = [.constant, .reflect, .replicate, .circular]
}

/// Calls body(output offset, source offset or -1) for every element of `shape` in row-major
/// order, the source offset composed from the per-dimension tables.
private func forEachSource(_ shape: [Int], _ tables: [[Int]], _ srcStrides: [Int], _ body: (Int, Int) -> Void) {
    let r = shape.count
    if shape.contains(0) { return }
    if r == 0 { body(0, 0); return }
    var idx = [Int](repeating: 0, count: r)
    var o = 0
    let inner = r - 1, innerTable = tables[inner], innerStride = srcStrides[inner]
    while true {
        // Source offset of the outer dimensions; -1 if any of them reads the constant.
        var base = 0
        for d in 0..<inner {
            let s = tables[d][idx[d]]
            if s < 0 { base = -1; break }
            base += s * srcStrides[d]
        }
        for j in 0..<shape[inner] {
            let s = innerTable[j]
            body(o, base < 0 || s < 0 ? -1 : base + s * innerStride)
            o += 1
        }
        var d = inner - 1
        while d >= 0 {
            idx[d] += 1
            if idx[d] < shape[d] { break }
            idx[d] = 0
            d -= 1
        }
        if d < 0 { return }
    }
}

// MARK: - registry

extension OpDef {
    /// ONNX Pad (opset 11+: pads as an input, begins of every axis then ends); reflect and
    /// replicate are Pad's "reflect" and "edge". Circular ("wrap") needs opset 19: refused.
    static let pad = OpDef("pad", c: "snn_tensor_pad", python: "pad",
                           export: { b, r in
                               let xt = try r.input(0)
                               let x = try b.value(xt)
                               let p = try r.ints("pad")
                               let mode = PadMode.allModes[try r.int("mode")]
                               guard mode != .circular else {
                                   throw SNNError(.unsupported, "pad: circular padding needs ONNX Pad mode 'wrap' (opset 19); SwiftNN exports opset 17")
                               }
                               var begins = [Int](repeating: 0, count: xt.rank), ends = begins
                               for j in 0..<(p.count / 2) { begins[xt.rank - 1 - j] = p[2 * j]; ends[xt.rank - 1 - j] = p[2 * j + 1] }
                               let value = b.constFloats([Float(r.float("value") ?? 0)], shape: [], "pad_value")
                               let onnxMode = mode == .replicate ? "edge" : mode.rawValue
                               b.define(r.outputs[0], b.node1("Pad", [x.name, b.constInts(begins + ends, "pads"), value],
                                                              [ONNXAttribute("mode", .string(onnxMode))]), batch: x.batch)
                           })
}
