// Sorting along one dimension: sort (values and int64 indices), argsort and topk. Ties keep
// their order (every sort here is stable) and nan sorts as the largest value, as in PyTorch.
// The gradient of the values goes back to the positions they came from.

/// For every line of `t` along dimension `d`: the positions 0..<n in sorted order (flattened
/// as [outer, n, inner] like t). Integer tensors sort on exact Int64 keys, floats on Double.
private func sortedPositions(_ t: Tensor, _ d: Int, descending: Bool) -> [Int] {
    if t.dtype.isFloatingPoint {
        return sortedPositions(t, d, key: { $0.element($1) }) { x, y in
            // nan is the largest value: last ascending, first descending.
            if x.isNaN || y.isNaN { return descending ? x.isNaN && !y.isNaN : !x.isNaN && y.isNaN }
            return descending ? x > y : x < y
        }
    }
    return sortedPositions(t, d, key: { $0.integerElement($1) }) { x, y in descending ? x > y : x < y }
}

private func sortedPositions<K>(_ t: Tensor, _ d: Int, key: (Tensor, Int) -> K, _ before: (K, K) -> Bool) -> [Int] {
    let layout = DimLayout(t.shape, d)
    let n = layout.n, inner = layout.inner
    var result = [Int](repeating: 0, count: t.count)
    var line: [(key: K, k: Int)] = []
    line.reserveCapacity(n)
    for o in 0..<layout.outer {
        for i in 0..<inner {
            line.removeAll(keepingCapacity: true)
            for k in 0..<n { line.append((key(t, (o * n + k) * inner + i), k)) }
            // Ties by position: stable whatever the sort algorithm.
            line.sort { before($0.key, $1.key) || (!before($1.key, $0.key) && $0.k < $1.k) }
            for (r, e) in line.enumerated() { result[(o * n + r) * inner + i] = e.k }
        }
    }
    return result
}

/// The first `k` sorted positions of every line, as an int64 tensor of t's shape with
/// dimension d of size k, and the values there.
private func selectSorted(_ t: Tensor, _ d: Int, k: Int, descending: Bool, _ fn: String) throws -> (values: Tensor, indices: Tensor) {
    let positions = sortedPositions(t, d, descending: descending)
    var shape = t.shape
    if !shape.isEmpty { shape[d] = k }
    let indices = try Tensor(empty: shape, dtype: .int64, zeroed: false, fn)
    let layout = DimLayout(t.shape, d), n = layout.n, inner = layout.inner
    let pi = indices.int64s
    for o in 0..<layout.outer {
        for r in 0..<k {
            for i in 0..<inner { pi[(o * k + r) * inner + i] = Int64(positions[(o * n + r) * inner + i]) }
        }
    }
    return (try gatherKernel(t, d, indices, fn), indices)
}

/// Records the values' pullback: the gradient goes back to the positions in `indices`.
private func recordValues(_ values: Tensor, _ t: Tensor, _ d: Int, _ indices: Tensor, _ name: String, _ fn: String) {
    values.recorded(name, [t], saves: [], readsOutput: false) { g in
        // forward: values = t.gather(d, indices)  =>  dt = zeros.scatter_add(d, indices, g)
        let dt = try Tensor(empty: t.shape, dtype: g.dtype, zeroed: true, fn + "_backward")
        try scatterKernel(dt, d, indices, g, accumulate: true, fn + "_backward")
        return [dt]
    }
}

/// torch.sort(t, dim, descending, stable): the values along `dim` in order and the int64
/// positions they came from. Equal values keep their order (stable is always honoured); nan is
/// the largest value. Gradient of the values: back to their positions.
public func sort(_ t: Tensor, dim: Int = -1, descending: Bool = false) throws -> (values: Tensor, indices: Tensor) {
    let fn = "sort"
    let d = try wrapDim(dim, t.rank, fn)
    let r = try selectSorted(t, d, k: t.rank == 0 ? 1 : t.shape[d], descending: descending, fn)
    trace(.sort, [t], [r.values, r.indices], [("dim", .int(d)), ("descending", .bool(descending))])
    recordValues(r.values, t, d, r.indices, "SortBackward", fn)
    return r
}

/// torch.argsort(t, dim, descending, stable): the int64 positions that sort `t` along `dim`.
public func argsort(_ t: Tensor, dim: Int = -1, descending: Bool = false) throws -> Tensor {
    let fn = "argsort"
    let d = try wrapDim(dim, t.rank, fn)
    let r = try selectSorted(t, d, k: t.rank == 0 ? 1 : t.shape[d], descending: descending, fn)
    return r.indices.traced(.argsort, [t], [("dim", .int(d)), ("descending", .bool(descending))])
}

/// torch.topk(t, k, dim, largest, sorted): the k largest (or smallest) values along `dim`, in
/// order, and their int64 positions; among equal values the first position comes first.
/// Results are always sorted (PyTorch leaves the order unspecified when sorted=False). k must
/// lie in 0...size of the dimension.
public func topk(_ t: Tensor, k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) throws -> (values: Tensor, indices: Tensor) {
    let fn = "topk"
    let d = try wrapDim(dim, t.rank, fn)
    let size = t.rank == 0 ? 1 : t.shape[d]
    guard k >= 0, k <= size else {
        throw SNNError.range("\(fn): k (\(k)) is out of range for dimension \(d) of size \(size) (tensor of shape \(fmt(t.shape)); expected 0...\(size))")
    }
    let r = try selectSorted(t, d, k: k, descending: largest, fn)
    trace(.topk, [t], [r.values, r.indices], [("k", .int(k)), ("dim", .int(d)), ("largest", .bool(largest)), ("sorted", .bool(sorted))])
    recordValues(r.values, t, d, r.indices, "TopkBackward", fn)
    return r
}

// MARK: - registry

extension OpDef {
    /// ONNX TopK with k = the dimension's size is a full sort (stable in onnxruntime for ties).
    static let sort = OpDef("sort", c: "snn_tensor_sort", python: "sort",
                            export: { b, r in
                                let x = try r.input(0), d = try r.int("dim")
                                try b.topkNode(r, k: x.rank == 0 ? 1 : x.shape[d], dim: d, largest: r.bool("descending"))
                            })
    static let argsort = OpDef("argsort", c: "snn_tensor_argsort", python: "argsort", differentiable: false)
    static let topk = OpDef("topk", c: "snn_tensor_topk", python: "topk",
                            export: { b, r in try b.topkNode(r, k: try r.int("k"), dim: try r.int("dim"), largest: r.bool("largest")) },
                            imports: ["TopK": { n in
                                let a = try n.attrs(["axis", "largest", "sorted"])
                                let ax = try a.int("axis", -1), largest = try a.int("largest", 1) != 0
                                return { xs in
                                    let x = try input(xs, 0)
                                    let k = try intList(try input(xs, 1), "K")
                                    guard k.count == 1 else { throw SNNError.shape("K must hold one value, got \(k.count)") }
                                    let r = try SwiftNN.topk(x, k: k[0], dim: ax, largest: largest)
                                    return [r.values, r.indices]
                                }
                            }])
}

extension GraphBuilder {
    mutating func topkNode(_ r: TraceRecord, k: Int, dim: Int, largest: Bool) throws {
        let x = try value(try r.input(0))
        let outs = node("TopK", [x.name, constInts([k], "k")],
                        [ONNXAttribute("axis", .int(Int64(dim))), ONNXAttribute("largest", .int(largest ? 1 : 0)), ONNXAttribute("sorted", .int(1))],
                        outputs: 2)
        let batch = x.batch.index == dim ? BatchDim.unknown : x.batch
        define(r.outputs[0], outs[0], batch: batch)
        if r.outputs.count > 1 { define(r.outputs[1], outs[1], batch: batch) }
    }
}
