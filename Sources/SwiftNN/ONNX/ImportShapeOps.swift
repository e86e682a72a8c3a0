// Imported ONNX shape, indexing, reduction and normalisation ops (see ImportOps.swift for the
// elementwise, convolution and pooling ones). Each is compiled once from its node.

/// Axes from the node's attribute (before `inputFrom`) or its input `index` (from `inputFrom`).
func axesSource(_ a: NodeAttributes, opset: Int64, inputFrom: Int64) throws -> ([Tensor?], Int) throws -> [Int]? {
    if opset < inputFrom {
        let v = try a.ints("axes")
        return { _, _ in v }
    }
    return { xs, i in try optionalInput(xs, i).map { try intList($0, "axes") } }
}

func compileShapeOp(_ node: ONNXNode, opset: Int64, _ label: String) throws -> ImportKernel {
    let op = node.opType
    func attrs(_ known: [String]) throws -> NodeAttributes { try NodeAttributes(node, label, known: known) }

    switch op {
    case "Reshape":
        let allowZero = try attrs(["allowzero"]).int("allowzero", 0) != 0
        return { xs in
            let x = try input(xs, 0)
            var shape = try intList(try input(xs, 1), "shape")
            for (i, d) in shape.enumerated() where d == 0 && !allowZero {
                guard i < x.rank else { throw SNNError.shape("shape \(shape) copies dimension \(i) (0) of an input of rank \(x.rank)") }
                shape[i] = x.shape[i]
            }
            return [try reshape(x, shape)]
        }
    case "Flatten":
        let ax = try attrs(["axis"]).int("axis", 1)
        return { xs in
            let x = try input(xs, 0)
            let a = ax < 0 ? ax + x.rank : ax
            guard a >= 0, a <= x.rank else { throw SNNError.range("axis \(ax) is out of range for rank \(x.rank)") }
            return [try reshape(x, [try elementCount(Array(x.shape[..<a]), "Flatten"), try elementCount(Array(x.shape[a...]), "Flatten")])]
        }
    case "Transpose":
        let perm = try attrs(["perm"]).ints("perm")
        return { xs in
            let x = try input(xs, 0)
            return [try permute(x, perm ?? Array((0..<x.rank).reversed()))]
        }
    case "Concat":
        let ax = try attrs(["axis"]).int("axis", 0)
        return { xs in
            let ts = try xs.indices.map { try input(xs, $0) }
            guard let first = ts.first else { throw SNNError.invalid("Concat has no inputs") }
            return [try cat(ts, dim: try axis(ax, first.rank, "axis"))]
        }
    case "Squeeze":
        let axes = try axesSource(try attrs(["axes"]), opset: opset, inputFrom: 13)
        return { xs in
            let x = try input(xs, 0)
            guard let ax = try axes(xs, 1) else { return [try squeeze(x)] }
            let dims = try ax.map { try axis($0, x.rank, "axes") }
            for d in dims where x.shape[d] != 1 {
                throw SNNError.shape("cannot squeeze dimension \(d) of size \(x.shape[d]) (input \(fmt(x.shape)))")
            }
            return [dims.isEmpty ? x : try squeeze(x, dims: dims)]
        }
    case "Unsqueeze":
        let axes = try axesSource(try attrs(["axes"]), opset: opset, inputFrom: 13)
        return { xs in
            var x = try input(xs, 0)
            guard let ax = try axes(xs, 1) else { throw SNNError.invalid("Unsqueeze needs axes") }
            let rank = x.rank + ax.count
            let dims = try ax.map { try axis($0, rank, "axes") }.sorted()
            guard Set(dims).count == dims.count else { throw SNNError.invalid("axes \(ax) repeat a dimension") }
            for d in dims { x = try unsqueeze(x, dim: d) }
            return [x]
        }
    case "Slice": return try compileSlice(node, opset: opset, label)
    case "Gather":
        let ax = try attrs(["axis"]).int("axis", 0)
        return { xs in
            let x = try input(xs, 0), idx = try input(xs, 1)
            guard x.rank >= 1 else { throw SNNError.shape("Gather needs data of rank >= 1") }
            let d = try axis(ax, x.rank, "axis")
            let n = x.shape[d]
            let raw = try intList(try reshape(idx, [idx.count]), "indices")
            var wrapped: [Int64] = []
            wrapped.reserveCapacity(raw.count)
            for v in raw {
                guard v >= -n, v < n else { throw SNNError.range("index \(v) is out of range for dimension \(d) of size \(n)") }
                wrapped.append(Int64(v < 0 ? v + n : v))
            }
            let picked = try indexSelect(x, dim: d, index: try Tensor(int64: wrapped, shape: [wrapped.count]))
            return [try reshape(picked, Array(x.shape[..<d]) + idx.shape + Array(x.shape[(d + 1)...]))]
        }
    case "Shape":
        let a = try attrs(["start", "end"])
        let start = try a.int("start", 0), end = try a.int("end", Int.max)
        return { xs in
            let x = try input(xs, 0)
            let (s, n) = clampedRange(start, end, x.rank)
            return [try Tensor(int64: x.shape[s..<(s + n)].map { Int64($0) }, shape: [n])]
        }
    case "Size":
        _ = try attrs([])
        return { xs in [try Tensor(int64: [Int64(try input(xs, 0).count)], shape: [])] }
    case "Expand":
        _ = try attrs([])
        return { xs in
            let x = try input(xs, 0)
            let shape = try intList(try input(xs, 1), "shape")
            guard shape.count <= 16, shape.allSatisfy({ $0 >= 0 }) else { throw SNNError.shape("invalid Expand shape \(shape)") }
            return [try expand(x, to: try broadcastShapes(x.shape, shape, "Expand"))]
        }
    case "Tile":
        _ = try attrs([])
        return { xs in
            let x = try input(xs, 0)
            let reps = try intList(try input(xs, 1), "repeats")
            guard reps.count == x.rank, reps.allSatisfy({ $0 >= 0 }) else {
                throw SNNError.shape("repeats \(reps) must have one non-negative entry per dimension of \(fmt(x.shape))")
            }
            // [d0, d1] -> [1, d0, 1, d1] -> expand to [r0, d0, r1, d1] -> [r0 d0, r1 d1]
            let spread = try reshape(x, x.shape.flatMap { [1, $0] })
            let big = try expand(spread, to: zip(reps, x.shape).flatMap { [$0, $1] })
            return [try reshape(big, try zip(reps, x.shape).map { try elementCount([$0, $1], "Tile") })]
        }
    case "Split":
        let a = try attrs(["axis", "split", "num_outputs"])
        let ax = try a.int("axis", 0)
        let attrSplit = try a.ints("split")
        let outputs = node.outputs.count
        return { xs in
            let x = try input(xs, 0)
            let d = try axis(ax, x.rank, "axis")
            let n = x.shape[d]
            var sizes: [Int]
            if let s = opset >= 13 ? try optionalInput(xs, 1).map({ try intList($0, "split") }) : attrSplit {
                sizes = s
            } else {
                let chunk = (n + outputs - 1) / Swift.max(outputs, 1)
                sizes = (0..<outputs).map { Swift.max(0, Swift.min(chunk, n - $0 * chunk)) }
            }
            guard sizes.count == outputs, sizes.allSatisfy({ $0 >= 0 && $0 <= n }), sizes.reduce(0, &+) == n else {
                throw SNNError.shape("split sizes \(sizes) do not divide dimension \(d) of size \(n) into \(outputs) outputs")
            }
            var at = 0
            return try sizes.map { k in
                defer { at += k }
                return try slice(x, dim: d, start: at, end: at + k)
            }
        }
    case "Pad":
        let a = try attrs(["mode", "pads", "value"])
        let mode = try a.string("mode", "constant")
        guard mode == "constant" else { throw SNNError(.unsupported, "\(label): Pad mode '\(mode)' is not supported (constant is)") }
        let attrPads = try a.ints("pads"), attrValue = try a.float("value", 0)
        return { xs in
            var x = try input(xs, 0)
            let pads = opset >= 11 ? try intList(try input(xs, 1), "pads") : (attrPads ?? [])
            let value = opset >= 11 ? try optionalInput(xs, 2).map { Float(try scalarValue($0, "constant_value")) } ?? 0 : attrValue
            let axes = try optionalInput(xs, 3).map { try intList($0, "axes").map { try axis($0, x.rank, "axes") } } ?? Array(0..<x.rank)
            guard pads.count == 2 * axes.count else { throw SNNError.shape("pads \(pads) needs \(2 * axes.count) entries") }
            for (i, d) in axes.enumerated() {
                let before = pads[i], after = pads[i + axes.count]
                guard before >= -maxElementCount, before <= maxElementCount, after >= -maxElementCount, after <= maxElementCount else { throw SNNError.range("pads \(pads) are too large") }
                x = try padded(x, dim: d, before: before, after: after, value: value)
            }
            return [x]
        }
    case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceLogSumExp", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum":
        let a = try attrs(["axes", "keepdims", "noop_with_empty_axes"])
        let axes = try axesSource(a, opset: opset, inputFrom: op == "ReduceSum" ? 13 : 18)
        let keep = try a.int("keepdims", 1) != 0, noop = try a.int("noop_with_empty_axes", 0) != 0
        return { xs in
            let x = try input(xs, 0)
            let given = try axes(xs, 1) ?? []
            if given.isEmpty && noop { return [x] }
            let dims = given.isEmpty ? Array(0..<x.rank) : try given.map { try axis($0, x.rank, "axes") }
            if (op == "ReduceMax" || op == "ReduceMin") && dims.contains(where: { x.shape[$0] == 0 }) {
                // ONNX: the maximum of nothing is -inf (the minimum +inf).
                let shape = reducedShape(x.shape, Array(Set(dims)), keepdim: keep)
                return [try Tensor.full(shape, op == "ReduceMax" ? -.infinity : .infinity, op)]
            }
            switch op {
            case "ReduceSum": return [try sum(x, dims: dims, keepdim: keep)]
            case "ReduceMean": return [try mean(x, dims: dims, keepdim: keep)]
            case "ReduceMax": return [try amax(x, dims: dims, keepdim: keep)]
            case "ReduceMin": return [try amin(x, dims: dims, keepdim: keep)]
            case "ReduceLogSumExp": return [try logsumexp(x, dims: dims, keepdim: keep)]
            case "ReduceL1": return [try sum(try abs(x), dims: dims, keepdim: keep)]
            case "ReduceL2": return [try sqrt(try sum(try mul(x, x), dims: dims, keepdim: keep))]
            case "ReduceSumSquare": return [try sum(try mul(x, x), dims: dims, keepdim: keep)]
            default: return [try log(try sum(x, dims: dims, keepdim: keep))]
            }
        }
    case "ArgMax", "ArgMin":
        let a = try attrs(["axis", "keepdims", "select_last_index"])
        let ax = try a.int("axis", 0), keep = try a.int("keepdims", 1) != 0
        let last = try a.int("select_last_index", 0) != 0
        return { xs in
            let x = try input(xs, 0)
            func pick(_ t: Tensor) throws -> Tensor {
                op == "ArgMax" ? try argmax(t, dim: ax, keepdim: keep) : try argmin(t, dim: ax, keepdim: keep)
            }
            guard last, x.rank > 0 else { return [try pick(x)] }
            // The last extreme: the first one along the reversed axis, counted from the end.
            let d = try axis(ax, x.rank, "axis"), n = x.shape[d]
            let reversed = try indexSelect(x, dim: d, index: try Tensor(int64: (0..<n).reversed().map { Int64($0) }, shape: [n]))
            return [try intBinary(try Tensor(int64: [Int64(n - 1)], shape: []), try pick(reversed), op) { $0 &- $1 }]
        }
    case "Sum", "Mean":
        _ = try attrs([])
        return { xs in
            var total = try input(xs, 0)
            for i in xs.indices.dropFirst() { total = try add(total, try input(xs, i)) }
            if op == "Mean" && xs.count > 1 { total = try div(total, try scalar(Float(xs.count))) }
            return [total]
        }
    case "LayerNormalization":
        let a = try attrs(["axis", "epsilon", "stash_type"])
        let ax = try a.int("axis", -1), eps = try a.float("epsilon", 1e-5)
        return { xs in
            let x = try input(xs, 0)
            let first = try axis(ax, x.rank, "axis")
            let dims = Array(first..<x.rank)
            let m = try mean(x, dims: dims, keepdim: true)
            let d = try sub(x, m)
            let invstd = try pow(try add(try mean(try mul(d, d), dims: dims, keepdim: true), try scalar(eps)), -0.5)
            var y = try mul(try mul(d, invstd), try input(xs, 1))
            if let b = optionalInput(xs, 2) { y = try add(y, b) }
            return [y, m, invstd]
        }
    case "InstanceNormalization":
        let eps = try attrs(["epsilon"]).float("epsilon", 1e-5)
        return { xs in
            let x = try input(xs, 0)
            guard x.rank >= 3 else { throw SNNError.shape("InstanceNormalization expects [N, C, spatial...], got \(fmt(x.shape))") }
            let dims = Array(2..<x.rank)
            let perChannel = [x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)
            let m = try mean(x, dims: dims, keepdim: true)
            let d = try sub(x, m)
            let invstd = try pow(try add(try mean(try mul(d, d), dims: dims, keepdim: true), try scalar(eps)), -0.5)
            let y = try mul(try mul(d, invstd), try reshape(try input(xs, 1), perChannel))
            return [try add(y, try reshape(try input(xs, 2), perChannel))]
        }
    case "ConstantOfShape":
        let a = try attrs(["value"])
        var fill: Tensor = try scalar(0)
        if let v = a.node.attribute("value") {
            guard case let .tensor(t) = v else { throw SNNError(.format, "\(label): value is not a tensor") }
            fill = try importTensor(t, "\(label): value")
            guard fill.count == 1 else { throw SNNError(.format, "\(label): value must hold one element") }
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
    case "Range":
        _ = try attrs([])
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
    default:
        throw SNNError(.unsupported, "\(label): the op '\(op)' is not supported by SwiftNN's ONNX import")
    }
}

func compileSlice(_ node: ONNXNode, opset: Int64, _ label: String) throws -> ImportKernel {
    let a = try NodeAttributes(node, label, known: opset < 10 ? ["starts", "ends", "axes"] : [])
    let attrStarts = try a.ints("starts"), attrEnds = try a.ints("ends"), attrAxes = try a.ints("axes")
    return { xs in
        var x = try input(xs, 0)
        let starts: [Int], ends: [Int], axesGiven: [Int]?, steps: [Int]?
        if opset < 10 {
            guard let s = attrStarts, let e = attrEnds else { throw SNNError.invalid("starts and ends are required") }
            (starts, ends, axesGiven, steps) = (s, e, attrAxes, nil)
        } else {
            starts = try intList(try input(xs, 1), "starts")
            ends = try intList(try input(xs, 2), "ends")
            axesGiven = try optionalInput(xs, 3).map { try intList($0, "axes") }
            steps = try optionalInput(xs, 4).map { try intList($0, "steps") }
        }
        let axes = try (axesGiven ?? Array(0..<starts.count)).map { try axis($0, x.rank, "axes") }
        let st = steps ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, st.count == starts.count, Set(axes).count == axes.count else {
            throw SNNError.shape("starts \(starts), ends \(ends), axes \(axes) and steps \(st) must have equal lengths and distinct axes")
        }
        for i in starts.indices {
            let d = axes[i], n = x.shape[d], step = st[i]
            guard step != 0 else { throw SNNError.invalid("slice step 0 on axis \(d)") }
            if step > 0 {
                x = try slice(x, dim: d, start: starts[i], end: ends[i], step: step)
                continue
            }
            // Negative steps: start clamps to [0, n - 1], end to [-1, n - 1], as ONNX.
            var s = starts[i] < 0 ? starts[i] &+ n : starts[i]
            var e = ends[i] < 0 ? ends[i] &+ n : ends[i]
            s = Swift.min(Swift.max(s, 0), n - 1)
            e = Swift.min(Swift.max(e, -1), n - 1)
            var picked: [Int64] = []
            var k = s
            while k > e && k >= 0 { picked.append(Int64(k)); k = k &+ step }
            x = try indexSelect(x, dim: d, index: try Tensor(int64: picked, shape: [picked.count]))
        }
        return [x]
    }
}
