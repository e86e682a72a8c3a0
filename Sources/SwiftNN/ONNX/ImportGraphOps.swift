// ONNX ops that have no engine op of their own: graph plumbing (Constant, Shape, Size,
// ConstantOfShape, Range, Cast, Split, Pad). Each runs engine ops; none is traced or exported.

extension OpDef {
    static let onnxGraphOps = OpDef(onnxOnly: [
        "Constant": { n in try compileConstant(n.node, n.label) },
        "Shape": importShape,
        "Size": importSize,
        "Split": importSplit,
        "Pad": importPad,
        "ConstantOfShape": importConstantOfShape,
        "Range": importRange,
        "Cast": importCast,
    ])
}

private func importShape(_ n: ImportNode) throws -> ImportKernel {
    let a = try n.attrs(["start", "end"])
    let start = try a.int("start", 0), end = try a.int("end", Int.max)
    return { xs in
        let x = try input(xs, 0)
        let (s, count) = clampedRange(start, end, x.rank)
        return [try Tensor(int64: x.shape[s..<(s + count)].map { Int64($0) }, shape: [count])]
    }
}

private func importSize(_ n: ImportNode) throws -> ImportKernel {
    _ = try n.attrs([])
    return { xs in [try Tensor(int64: [Int64(try input(xs, 0).count)], shape: [])] }
}

private func importSplit(_ n: ImportNode) throws -> ImportKernel {
    let opset = n.opset
    let a = try n.attrs(["axis", "split", "num_outputs"])
    let ax = try a.int("axis", 0)
    let attrSplit = try a.ints("split")
    let outputs = n.node.outputs.count
    return { xs in
        let x = try input(xs, 0)
        let d = try axis(ax, x.rank, "axis")
        let size = x.shape[d]
        var sizes: [Int]
        if let s = opset >= 13 ? try optionalInput(xs, 1).map({ try intList($0, "split") }) : attrSplit {
            sizes = s
        } else {
            let chunk = (size + outputs - 1) / Swift.max(outputs, 1)
            sizes = (0..<outputs).map { Swift.max(0, Swift.min(chunk, size - $0 * chunk)) }
        }
        guard sizes.count == outputs, sizes.allSatisfy({ $0 >= 0 && $0 <= size }), sizes.reduce(0, &+) == size else {
            throw SNNError.shape("split sizes \(sizes) do not divide dimension \(d) of size \(size) into \(outputs) outputs")
        }
        var at = 0
        return try sizes.map { k in
            defer { at += k }
            return try slice(x, dim: d, start: at, end: at + k)
        }
    }
}

private func importPad(_ n: ImportNode) throws -> ImportKernel {
    let opset = n.opset
    let a = try n.attrs(["mode", "pads", "value"])
    let mode = try a.string("mode", "constant")
    let engineMode: PadMode
    switch mode {
    case "constant": engineMode = .constant
    case "reflect": engineMode = .reflect
    case "edge": engineMode = .replicate
    case "wrap": engineMode = .circular
    default: throw SNNError(.unsupported, "\(n.label): Pad mode '\(mode)' is not supported (constant, reflect, edge and wrap are)")
    }
    let attrPads = try a.ints("pads"), attrValue = try a.float("value", 0)
    return { xs in
        var x = try input(xs, 0)
        let pads = opset >= 11 ? try intList(try input(xs, 1), "pads") : (attrPads ?? [])
        let value = opset >= 11 ? try optionalInput(xs, 2).map { Float(try scalarValue($0, "constant_value")) } ?? 0 : attrValue
        let axes = try optionalInput(xs, 3).map { try intList($0, "axes").map { try axis($0, x.rank, "axes") } } ?? Array(0..<x.rank)
        guard pads.count == 2 * axes.count else { throw SNNError.shape("pads \(pads) needs \(2 * axes.count) entries") }
        if engineMode != .constant {
            // The engine's pad lists (before, after) from the last dimension back.
            var torchPads = [Int](repeating: 0, count: 2 * x.rank)
            for (i, d) in axes.enumerated() {
                torchPads[2 * (x.rank - 1 - d)] = pads[i]
                torchPads[2 * (x.rank - 1 - d) + 1] = pads[i + axes.count]
            }
            return [try SwiftNN.pad(x, torchPads, mode: engineMode)]
        }
        for (i, d) in axes.enumerated() {
            let before = pads[i], after = pads[i + axes.count]
            guard before >= -maxElementCount, before <= maxElementCount, after >= -maxElementCount, after <= maxElementCount else { throw SNNError.range("pads \(pads) are too large") }
            x = try padded(x, dim: d, before: before, after: after, value: value)
        }
        return [x]
    }
}

private func importConstantOfShape(_ n: ImportNode) throws -> ImportKernel {
    _ = try n.attrs(["value"])
    var fill: Tensor = try scalar(0)
    if let v = n.node.attribute("value") {
        guard case let .tensor(t) = v else { throw SNNError(.format, "\(n.label): value is not a tensor") }
        fill = try importTensor(t, "\(n.label): value")
        guard fill.count == 1 else { throw SNNError(.format, "\(n.label): value must hold one element") }
    }
    let f = fill
    return { xs in
        let shape = try intList(try input(xs, 0), "shape")
        guard shape.count <= 16, shape.allSatisfy({ $0 >= 0 }) else { throw SNNError.shape("invalid shape \(shape)") }
        if f.dtype == .int64 {
            return [try Tensor(int64: [Int64](repeating: f.int64s[0], count: try elementCount(shape, "ConstantOfShape")), shape: shape)]
        }
        return [try Tensor.full(shape, f.floats[0], "ConstantOfShape")]
    }
}

private func importRange(_ n: ImportNode) throws -> ImportKernel {
    _ = try n.attrs([])
    return { xs in
        let s = try input(xs, 0), l = try input(xs, 1), d = try input(xs, 2)
        if s.dtype == .int64 && l.dtype == .int64 && d.dtype == .int64 {
            let a = Int64(try scalarValue(s, "start")), b = Int64(try scalarValue(l, "limit")), st = Int64(try scalarValue(d, "delta"))
            guard st != 0 else { throw SNNError.invalid("delta is 0") }
            let span = Double(b) - Double(a)
            let n = Swift.max(0, Int((span / Double(st)).rounded(.up)))
            guard n <= maxElementCount else { throw SNNError(.outOfMemory, "Range of \(n) elements") }
            return [try Tensor(int64: (0..<n).map { a &+ Int64($0) &* st }, shape: [n])]
        }
        let a = try scalarValue(s, "start"), b = try scalarValue(l, "limit"), st = try scalarValue(d, "delta")
        guard st != 0, st.isFinite, a.isFinite, b.isFinite else { throw SNNError.invalid("start, limit and delta must be finite and delta non-zero") }
        let n = Swift.max(0, ((b - a) / st).rounded(.up))
        guard n <= Double(maxElementCount) else { throw SNNError(.outOfMemory, "Range of \(n) elements") }
        let out = try Tensor(empty: [Int(n)], dtype: .float32, zeroed: false, "Range")
        for i in 0..<out.count { out.floats[i] = Float(a) + Float(i) * Float(st) }
        return [out]
    }
}

private func importCast(_ n: ImportNode) throws -> ImportKernel {
    let to = try n.attrs(["to", "saturate", "round_mode"]).int("to", 0)
    // INT32 (sequence_lens of LSTM / GRU / RNN) is held as int64 with int32's wrap-around;
    // BOOL (a Loop's condition) as int64 0 / 1, as imported bool data is.
    guard let dt = engineDType(Int32(truncatingIfNeeded: to)), [1, 6, 7, 9].contains(to) else {
        throw SNNError(.unsupported, "\(n.label): cast to data type \(to) is not supported (FLOAT, INT32, INT64 and BOOL are)")
    }
    return { xs in
        let x = try input(xs, 0)
        if to == 9 { return [try SwiftNN.to(try SwiftNN.to(x, .bool), .int64)] }
        if to == 6 {
            let i = x.dtype == .int64 ? x : try truncatedInt64(x)
            let out = try Tensor(empty: i.shape, dtype: .int64, zeroed: false, "Cast")
            for k in 0..<i.count { out.int64s[k] = Int64(Int32(truncatingIfNeeded: i.int64s[k])) }
            return [out]
        }
        if x.dtype == dt { return [x] }
        return [dt == .float32 ? try asFloat(x) : try truncatedInt64(x)]
    }
}
