// Layer and group normalization (torch.nn.functional.layer_norm, group_norm): each row (the
// trailing normalized_shape of a sample, or one group of channels of a sample) is centred and
// scaled by its own biased variance, then an optional per-element (layer) or per-channel
// (group) affine is applied. Statistics are accumulated in Double; the backward is the
// closed form dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy * weight.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-row statistics and the normalized values xhat of `rows` rows of `n` elements.
private struct RowStats {
    let mean: [Float]
    let rstd: [Float]
}

private func rowStats(_ x: UnsafePointer<Float>, rows: Int, n: Int, eps: Double) -> RowStats {
    var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
    for r in 0..<rows {
        let p = x + r * n
        var s = 0.0
        for i in 0..<n { s += Double(p[i]) }
        let m = s / Double(max(n, 1))
        var v = 0.0
        for i in 0..<n { let d = Double(p[i]) - m; v += d * d }
        v /= Double(max(n, 1))
        mean[r] = Float(m)
        rstd[r] = Float(1 / (v + eps).squareRoot())
    }
    return RowStats(mean: mean, rstd: rstd)
}

/// The shared kernel: rows of n elements; `scaleIndex(i)` maps element i of a row (and the
/// row) to its affine parameter index (layer norm: i; group norm: the element's channel).
private func normalize(_ x: Tensor, rows: Int, n: Int, weight: Tensor?, bias: Tensor?, eps: Double, _ fn: String,
                       param: @escaping (_ row: Int, _ i: Int) -> Int) throws -> (Tensor, RowStats) {
    let out = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, fn)
    let px = x.floats, po = out.floats, pw = weight?.floats, pb = bias?.floats
    let st = rowStats(px, rows: rows, n: n, eps: eps)
    for r in 0..<rows {
        let m = st.mean[r], rs = st.rstd[r]
        for i in 0..<n {
            let k = r * n + i
            var y = (px[k] - m) * rs
            if let pw { y *= pw[param(r, i)] }
            if let pb { y += pb[param(r, i)] }
            po[k] = y
        }
    }
    return (out, st)
}

/// Gradients of `normalize` for upstream g: (dx, dweight, dbias) as requested.
private func normalizeBackward(_ x: Tensor, _ g: Tensor, _ st: RowStats, rows: Int, n: Int, weight: Tensor?,
                               paramCount: Int, wantX: Bool, wantW: Bool, wantB: Bool, _ fn: String,
                               param: (_ row: Int, _ i: Int) -> Int) throws -> (Tensor?, Tensor?, Tensor?) {
    let px = x.floats, pg = g.floats, pw = weight?.floats
    let dx = wantX ? try Tensor(empty: x.shape, dtype: .float32, zeroed: false, fn) : nil
    var dw = [Double](repeating: 0, count: wantW ? paramCount : 0), db = [Double](repeating: 0, count: wantB ? paramCount : 0)
    var xhat = [Float](repeating: 0, count: n), dxhat = [Float](repeating: 0, count: n)
    for r in 0..<rows {
        let m = st.mean[r], rs = st.rstd[r]
        var sumD = 0.0, sumDX = 0.0
        for i in 0..<n {
            let k = r * n + i
            xhat[i] = (px[k] - m) * rs
            let j = param(r, i)
            if wantW { dw[j] += Double(pg[k]) * Double(xhat[i]) }
            if wantB { db[j] += Double(pg[k]) }
            dxhat[i] = pg[k] * (pw?[j] ?? 1)
            sumD += Double(dxhat[i])
            sumDX += Double(dxhat[i]) * Double(xhat[i])
        }
        if let dx {
            let meanD = Float(sumD / Double(n)), meanDX = Float(sumDX / Double(n)), pd = dx.floats
            for i in 0..<n { pd[r * n + i] = rs * (dxhat[i] - meanD - xhat[i] * meanDX) }
        }
    }
    func tensor(_ v: [Double], like t: Tensor?) throws -> Tensor? {
        guard let t, !v.isEmpty else { return nil }
        return try Tensor(v.map { Float($0) }, shape: t.shape)
    }
    return (dx, try tensor(dw, like: weight), try tensor(db, like: weight))
}

private func checkAffine(_ t: Tensor?, _ shape: [Int], _ what: String, _ x: Tensor, _ fn: String) throws {
    guard let t else { return }
    try x.requireSameDType(t, fn, what)
    guard t.shape == shape else {
        throw SNNError.shape("\(fn): \(what) has shape \(fmt(t.shape)), expected \(fmt(shape))")
    }
}

/// torch.nn.functional.layer_norm: normalizes over the trailing `normalizedShape` dimensions
/// of x (whose shape must end with it); weight and bias, when given, have that shape.
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      eps: Double = 1e-5) throws -> Tensor {
    let fn = "layer_norm"
    try x.requireFloating(fn, "input")
    let k = normalizedShape.count
    guard k >= 1, k <= x.rank, Array(x.shape.suffix(k)) == normalizedShape else {
        throw SNNError.shape("\(fn): input of shape \(fmt(x.shape)) does not end with normalized_shape \(fmt(normalizedShape)) (expected input of shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))])")
    }
    guard eps >= 0, eps.isFinite else { throw SNNError.invalid("\(fn): eps is \(eps); expected a finite value >= 0") }
    try checkAffine(weight, normalizedShape, "weight", x, fn)
    try checkAffine(bias, normalizedShape, "bias", x, fn)
    if x.dtype == .float64 { return try layerNorm64(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps) }
    let n = product(normalizedShape[...]), rows = n == 0 ? 0 : x.count / n
    let (out, st) = try normalize(x, rows: rows, n: n, weight: weight, bias: bias, eps: eps, fn) { _, i in i }
    return out.traced(.layerNorm, [x, weight, bias], [("normalized_shape", .ints(normalizedShape)), ("eps", .float(eps))])
        .recorded("NativeLayerNormBackward", [x, weight, bias].compactMap { $0 }, readsOutput: false) { g in
            let (dx, dw, db) = try normalizeBackward(x, g, st, rows: rows, n: n, weight: weight, paramCount: n,
                                                     wantX: x.requiresGrad, wantW: weight?.requiresGrad ?? false,
                                                     wantB: bias?.requiresGrad ?? false, "layer_norm_backward") { _, i in i }
            return [dx] + (weight == nil ? [] : [dw]) + (bias == nil ? [] : [db])
        }
}

/// torch.nn.functional.group_norm: x [N, C, *] with C divisible by numGroups; each sample's
/// group of C / numGroups channels (and all their positions) is normalized together; weight
/// and bias, when given, are per channel [C].
public func groupNorm(_ x: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
    let fn = "group_norm"
    try x.requireFloating(fn, "input")
    guard x.rank >= 2 else { throw SNNError.shape("\(fn): input has shape \(fmt(x.shape)), expected [N, C, *]") }
    let c = x.shape[1]
    guard numGroups >= 1, c % numGroups == 0 else {
        throw SNNError.invalid("\(fn): Expected number of channels in input to be divisible by num_groups, but got input of shape \(fmt(x.shape)) and num_groups=\(numGroups)")
    }
    guard eps >= 0, eps.isFinite else { throw SNNError.invalid("\(fn): eps is \(eps); expected a finite value >= 0") }
    try checkAffine(weight, [c], "weight", x, fn)
    try checkAffine(bias, [c], "bias", x, fn)
    if x.dtype == .float64 { return try groupNorm64(x, numGroups: numGroups, weight: weight, bias: bias, eps: eps) }
    let spatial = product(x.shape.dropFirst(2)), perGroup = c / numGroups
    let n = perGroup * spatial, rows = x.shape[0] * numGroups
    // Element i of row r (sample s, group r % G) is channel (r % G) * perGroup + i / spatial.
    let channel: (Int, Int) -> Int = { r, i in (r % numGroups) * perGroup + i / max(spatial, 1) }
    let (out, st) = try normalize(x, rows: rows, n: n, weight: weight, bias: bias, eps: eps, fn, param: channel)
    return out.traced(.groupNorm, [x, weight, bias], [("num_groups", .int(numGroups)), ("eps", .float(eps))])
        .recorded("NativeGroupNormBackward", [x, weight, bias].compactMap { $0 }, readsOutput: false) { g in
            let (dx, dw, db) = try normalizeBackward(x, g, st, rows: rows, n: n, weight: weight, paramCount: c,
                                                     wantX: x.requiresGrad, wantW: weight?.requiresGrad ?? false,
                                                     wantB: bias?.requiresGrad ?? false, "group_norm_backward", param: channel)
            return [dx] + (weight == nil ? [] : [dw]) + (bias == nil ? [] : [db])
        }
}

// MARK: - registry

extension OpDef {
    /// ONNX LayerNormalization (opset 17) over the trailing axes; a missing weight is exported
    /// as ones (Scale is required there).
    static let layerNorm = OpDef("layer_norm", c: "snn_tensor_layer_norm", python: "layer_norm",
                                 export: { b, r in
                                     let x = try b.value(try r.input(0))
                                     let shape = try r.ints("normalized_shape")
                                     let n = product(shape[...])
                                     let scale = try r.inputs[1].map { try b.value($0).name } ?? b.constFloats([Float](repeating: 1, count: n), shape: shape, "ln_scale")
                                     var ins = [x.name, scale]
                                     if let bias = r.inputs[2] { ins.append(try b.value(bias).name) }
                                     b.define(r.outputs[0], b.node1("LayerNormalization", ins,
                                                                    [ONNXAttribute("axis", .int(Int64(-shape.count))),
                                                                     ONNXAttribute("epsilon", .float(Float(r.float("eps") ?? 1e-5)))]),
                                              batch: x.batch)
                                 },
                                 imports: ["LayerNormalization": importLayerNormalization])

    /// Opset 17 has no GroupNormalization: exported as Reshape [N, G, -1], LayerNormalization
    /// over the last axis (scale 1), Reshape back, then the per-channel affine.
    static let groupNorm = OpDef("group_norm", c: "snn_tensor_group_norm", python: "group_norm",
                                 export: { b, r in
                                     let xt = try r.input(0)
                                     let x = try b.value(xt)
                                     let groups = try r.int("num_groups")
                                     let c = xt.shape[1], tail = [c] + [Int](repeating: 1, count: xt.rank - 2)
                                     let grouped = b.node1("Reshape", [x.name, b.constInts([0, groups, -1], "gn_shape")])
                                     let normed = b.node1("LayerNormalization", [grouped, b.constFloats([1], shape: [1], "gn_one")],
                                                          [ONNXAttribute("axis", .int(-1)),
                                                           ONNXAttribute("epsilon", .float(Float(r.float("eps") ?? 1e-5)))])
                                     var y = b.node1("Reshape", [normed, b.node1("Shape", [x.name])])
                                     if let w = r.inputs[1] { y = b.node1("Mul", [y, b.node1("Reshape", [try b.value(w).name, b.constInts(tail, "gn_c")])]) }
                                     if let bias = r.inputs[2] { y = b.node1("Add", [y, b.node1("Reshape", [try b.value(bias).name, b.constInts(tail, "gn_c")])]) }
                                     b.define(r.outputs[0], y, batch: x.batch)
                                 })
}

/// ONNX LayerNormalization (axis, epsilon; Scale, optional B), with its optional Mean and
/// InvStdDev outputs (the statistics, keeping the normalized axes as 1s).
private func importLayerNormalization(_ n: ImportNode) throws -> ImportKernel {
    let a = try n.attrs(["axis", "epsilon", "stash_type"])
    let ax = try a.int("axis", -1), eps = try a.float("epsilon", 1e-5)
    let statistics = n.node.outputs.dropFirst().contains { !$0.isEmpty }
    return { xs in
        let x = try input(xs, 0)
        let first = try axis(ax, x.rank, "axis")
        let shape = Array(x.shape[first...])
        // ONNX broadcasts Scale and B to the normalized shape; layer_norm takes them full size.
        let scale = try expand(try input(xs, 1), to: shape)
        let bias = try optionalInput(xs, 2).map { try expand($0, to: shape) }
        let y = try layerNorm(x, normalizedShape: shape, weight: scale, bias: bias, eps: Double(eps))
        guard statistics else { return [y] }
        let dims = Array(first..<x.rank)
        let m = try mean(x, dims: dims, keepdim: true)
        let centred = try sub(x, m)
        let variance = try mean(try mul(centred, centred), dims: dims, keepdim: true)
        return [y, m, try pow(try add(variance, try scalar(eps)), -0.5)]
    }
}
