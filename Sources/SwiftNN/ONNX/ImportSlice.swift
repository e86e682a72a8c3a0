// ONNX Slice (starts, ends, axes, steps as attributes before opset 10, inputs after), on
// the engine's slice and, for negative steps, index_select.

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
