// Indexing along one dimension: slice (start:end:step with Python's clamping), select (one
// index, dimension removed) and index_select (a list of indices). Slices and selects are views
// sharing the input's storage (strides and an offset); index_select copies. The pullbacks scatter the
// gradient into zeros shaped like the input (index_select adds, so repeated indices accumulate).
import SwiftNNKernels

/// Elements start, start+step, ... (n of them) along dimension `d` of `t`, the dimension kept
/// with size n: a view sharing `t`'s storage. Arguments are validated and in range.
func narrowed(_ t: Tensor, _ d: Int, _ start: Int, _ n: Int, _ step: Int, _ fn: String) throws -> Tensor {
    var shape = t.shape, strides = t.strides
    shape[d] = n
    _ = try elementCount(shape, fn)
    let offset = n == 0 ? t.offset : t.offset + start * strides[d]
    strides[d] = n <= 1 ? strides[d] : strides[d] * step
    return t.restrided(shape, strides, offset: offset)
}

/// The adjoint of `narrowed`: zeros of `shape` with `g` written at start, start+step, ... of `d`.
func narrowedBackward(_ g: Tensor, _ shape: [Int], _ d: Int, _ start: Int, _ step: Int, _ fn: String) throws -> Tensor {
    let out = try Tensor(empty: shape, dtype: g.dtype, zeroed: true, fn)
    if g.count == 0 { return out }
    var strides = contiguousStrides(shape)
    let offset = start * strides[d]
    strides[d] *= step
    copyStrided(g.shape, from: g.storage, g.offset, g.strides, to: out.storage, offset, strides, g.dtype.byteSize)
    return out
}

/// Python's slice clamping of start:end along a dimension of `size`: negative values count
/// from the end, then both are clamped into 0...size (end no smaller than start).
func clampedRange(_ start: Int, _ end: Int, _ size: Int) -> (start: Int, length: Int) {
    var s = start < 0 ? start + size : start
    var e = end < 0 ? end + size : end
    s = min(max(s, 0), size)
    e = min(max(e, s), size)
    return (s, e - s)
}

/// torch's t[..., start:end:step, ...] along `dim`, with Python's clamping of out-of-range and
/// negative start/end; step >= 1 (PyTorch has no negative steps). `end: .max` means "to the end".
public func slice(_ t: Tensor, dim: Int, start: Int = 0, end: Int = .max, step: Int = 1) throws -> Tensor {
    let fn = "slice"
    guard t.rank >= 1 else {
        throw SNNError.range("\(fn): a 0-dim tensor (shape []) cannot be sliced")
    }
    let d = try wrapDim(dim, t.rank, fn)
    guard step >= 1 else {
        throw SNNError.invalid("\(fn): step must be positive, got \(step) (tensor of shape \(fmt(t.shape)), dim \(dim))")
    }
    let (s, len) = clampedRange(start, end, t.shape[d])
    let n = len == 0 ? 0 : (len - 1) / step + 1
    let st = n <= 1 ? 1 : step  // a huge step that picks one element must not overflow strides
    let out = try narrowed(t, d, s, n, st, fn)
    return out.traced(.slice, [t], [("dim", .int(d)), ("start", .int(start)), ("end", .int(end)), ("step", .int(step))]).recorded("SliceBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t[..., start:end:step, ...] along dim (clamped)
        [try narrowedBackward(g, t.shape, d, s, st, "slice_backward")]
    }
}

/// torch.select: the slice at `index` along `dim`, that dimension removed. Negative indices
/// count from the end; out of range is an `outOfRange` error.
public func select(_ t: Tensor, dim: Int, index: Int) throws -> Tensor {
    let fn = "select"
    guard t.rank >= 1 else {
        throw SNNError.range("\(fn): cannot select from a 0-dim tensor (shape [])")
    }
    let d = try wrapDim(dim, t.rank, fn)
    let size = t.shape[d]
    guard index >= -size, index < size else {
        throw SNNError.range("\(fn): index \(index) out of range for a tensor of shape \(fmt(t.shape)) at dimension \(d) (size \(size))")
    }
    let i = index < 0 ? index + size : index
    var shape = t.shape, strides = t.strides
    shape.remove(at: d)
    strides.remove(at: d)
    var keptShape = shape
    keptShape.insert(1, at: d)
    let out = t.restrided(shape, strides, offset: t.offset + i * t.strides[d])
    return out.traced(.select, [t], [("dim", .int(d)), ("index", .int(i))]).recorded("SelectBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.select(dim, index)  =>  g placed at index along dim, zeros elsewhere
        [try narrowedBackward(try g.view(as: keptShape), t.shape, d, i, 1, "select_backward")]
    }
}

/// Copies `inner`-element chunks: dst chunk (o, j) = src chunk (o, idx[j]), for o < outer.
@inline(__always)
private func gatherChunks<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ idx: [Int],
                             outer: Int, size: Int, inner: Int) {
    let n = idx.count
    for o in 0..<outer {
        for (j, k) in idx.enumerated() {
            (dst + (o * n + j) * inner).update(from: src + (o * size + k) * inner, count: inner)
        }
    }
}

/// torch.index_select: the entries of `t` at positions `index` (int64, rank 0 or 1) along
/// `dim`, in that order, repeats allowed. Every index must lie in 0..<size (no negatives, as in
/// PyTorch). The pullback adds each gradient chunk back at its index, so repeats accumulate.
public func indexSelect(_ t: Tensor, dim: Int, index: Tensor) throws -> Tensor {
    let fn = "index_select"
    guard index.dtype == .int64 else {
        throw SNNError.dtype("\(fn): index has dtype \(index.dtype.name), expected int64 (tensor of shape \(fmt(t.shape)))")
    }
    guard index.rank <= 1 else {
        throw SNNError.shape("\(fn): index must be a vector (rank 0 or 1), got shape \(fmt(index.shape))")
    }
    let d = try wrapDim(dim, t.rank, fn)
    let size = t.rank == 0 ? 1 : t.shape[d]
    var idx: [Int] = []
    idx.reserveCapacity(index.count)
    for (j, v) in index.int64Scalars.enumerated() {
        guard v >= 0, v < Int64(size) else {
            throw SNNError.range("\(fn): index \(v) (at position \(j)) is out of range for dimension \(d) of size \(size) (tensor of shape \(fmt(t.shape)))")
        }
        idx.append(Int(v))
    }
    var shape = t.shape
    if t.rank == 0 {
        guard idx.count == 1 else {
            throw SNNError.shape("\(fn): indexing a 0-dim tensor takes exactly one index, got \(idx.count)")
        }
    } else {
        shape[d] = idx.count
    }
    let out = try Tensor(empty: shape, dtype: t.dtype, zeroed: false, fn)
    // Block sizes only matter (and are only exact) when there are elements to move.
    let outer = t.rank == 0 || out.count == 0 ? 1 : product(t.shape[..<d])
    let inner = t.rank == 0 || out.count == 0 ? 1 : product(t.shape[(d + 1)...])
    if out.count > 0 {
        switch t.dtype.byteSize {
        case 1: gatherChunks(t.bytes, out.bytes, idx, outer: outer, size: size, inner: inner)
        case 4: gatherChunks(t.floats, out.floats, idx, outer: outer, size: size, inner: inner)
        default: gatherChunks(t.int64s, out.int64s, idx, outer: outer, size: size, inner: inner)
        }
    }
    return out.traced(.indexSelect, [t, index], [("dim", .int(t.rank == 0 ? 0 : d))]).recorded("IndexSelectBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.index_select(dim, index)  =>  grad.index_add_(dim, index, g)
        let gi = try Tensor(empty: t.shape, dtype: g.dtype, zeroed: true, "index_select_backward")
        if g.count == 0 { return [gi] }
        let n = idx.count
        if g.dtype == .float64 {
            let pg = g.doubles, pi = gi.doubles
            for o in 0..<outer {
                for (j, k) in idx.enumerated() {
                    let dst = pi + (o * size + k) * inner, src = pg + (o * n + j) * inner
                    for e in 0..<inner { dst[e] += src[e] }
                }
            }
            return [gi]
        }
        let pg = g.floats, pi = gi.floats
        for o in 0..<outer {
            for (j, k) in idx.enumerated() {
                axpy(pi + (o * size + k) * inner, pg + (o * n + j) * inner, inner)
            }
        }
        return [gi]
    }
}

// MARK: - registry

extension OpDef {
    static let slice = OpDef("slice", c: "snn_tensor_slice", python: "narrow",  // and Tensor.__getitem__ with slices
                             export: { b, r in
                                 let x = try b.value(try r.input(0))
                                 let d = try r.int("dim")
                                 let args = [x.name, b.constInts([try r.int("start")], "starts"), b.constInts([try r.int("end")], "ends"),
                                             b.constInts([d], "axes"), b.constInts([try r.int("step")], "steps")]
                                 b.define(r.outputs[0], b.node1("Slice", args), batch: x.batch.index == d ? .unknown : x.batch)
                             },
                             imports: ["Slice": { n in try compileSlice(n.node, opset: n.opset, n.label) }])
    static let select = OpDef("select", c: "snn_tensor_select", python: "select",
                              export: { b, r in
                                  let x = try b.value(try r.input(0))
                                  let d = try r.int("dim")
                                  var batch = x.batch
                                  if let i = x.batch.index { batch = i == d ? .none : (i > d ? b.shifted(x.batch, -1) : x.batch) }
                                  b.define(r.outputs[0], b.node1("Gather", [x.name, b.constInts([try r.int("index")], scalar: true, "index")],
                                                                 [ONNXAttribute("axis", .int(Int64(d)))]), batch: batch)
                              })
    /// ONNX Gather (negative indices wrap) imports as index_select and a reshape.
    static let indexSelect = OpDef("index_select", c: "snn_tensor_index_select", python: "index_select",
                                   export: { b, r in
                                       let x = try b.value(try r.input(0)), index = try b.value(try r.input(1))
                                       guard !x.shape.isEmpty else { throw SNNError(.unsupported, "index_select on a 0-d tensor has no ONNX Gather equivalent") }
                                       let d = try r.int("dim")
                                       let idx = index.shape.isEmpty ? b.node1("Unsqueeze", [index.name, b.constInts([0], "axes")]) : index.name
                                       b.define(r.outputs[0], b.node1("Gather", [x.name, idx], [ONNXAttribute("axis", .int(Int64(d)))]),
                                                batch: x.batch.index == d ? .unknown : x.batch)
                                   },
                                   imports: ["Gather": { n in
                                       let ax = try n.attrs(["axis"]).int("axis", 0)
                                       return { xs in
                                           let x = try input(xs, 0), idx = try input(xs, 1)
                                           guard x.rank >= 1 else { throw SNNError.shape("Gather needs data of rank >= 1") }
                                           let d = try axis(ax, x.rank, "axis")
                                           let size = x.shape[d]
                                           let raw = try intList(try SwiftNN.reshape(idx, [idx.count]), "indices")
                                           var wrapped: [Int64] = []
                                           wrapped.reserveCapacity(raw.count)
                                           for v in raw {
                                               guard v >= -size, v < size else { throw SNNError.range("index \(v) is out of range for dimension \(d) of size \(size)") }
                                               wrapped.append(Int64(v < 0 ? v + size : v))
                                           }
                                           let picked = try SwiftNN.indexSelect(x, dim: d, index: try Tensor(int64: wrapped, shape: [wrapped.count]))
                                           return [try SwiftNN.reshape(picked, Array(x.shape[..<d]) + idx.shape + Array(x.shape[(d + 1)...]))]
                                       }
                                   }])
}
