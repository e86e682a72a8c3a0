// Ops that reorder or repeat dimensions: transpose, permute, expand (broadcast_to). As in
// PyTorch each returns a view sharing the input's storage, with permuted strides (or stride 0
// along repeated dimensions); kernels that read one get a packed copy (TensorLayout.swift).
import SwiftNNKernels

/// Copies the index space `shape` from `src` (element offset, strides) into `dst` (offset,
/// strides), elements of `elementSize` bytes. The caller validated every offset and stride.
func copyStrided(_ shape: [Int], from src: Storage, _ srcOffset: Int, _ srcStrides: [Int],
                 to dst: Storage, _ dstOffset: Int, _ dstStrides: [Int], _ elementSize: Int) {
    // Bits are copied, so one kernel per element size serves every dtype.
    switch elementSize {
    case 1:
        stridedCopy(shape, src.raw.assumingMemoryBound(to: UInt8.self) + srcOffset, srcStrides,
                    dst.raw.assumingMemoryBound(to: UInt8.self) + dstOffset, dstStrides)
    case 4:
        stridedCopy(shape, src.raw.assumingMemoryBound(to: Float.self) + srcOffset, srcStrides,
                    dst.raw.assumingMemoryBound(to: Float.self) + dstOffset, dstStrides)
    default:
        stridedCopy(shape, src.raw.assumingMemoryBound(to: Int64.self) + srcOffset, srcStrides,
                    dst.raw.assumingMemoryBound(to: Int64.self) + dstOffset, dstStrides)
    }
}

/// `t` with its dimensions reordered (output dimension i is input dimension perm[i]); `perm`
/// is a validated permutation. A view: the strides are permuted with the shape.
func permuted(_ t: Tensor, _ perm: [Int], _ fn: String) throws -> Tensor {
    let strides = t.strides
    return t.restrided(perm.map { t.shape[$0] }, perm.map { strides[$0] }, offset: t.offset)
}

/// torch.transpose: dimensions dim0 and dim1 swapped, a view sharing `t`'s storage.
public func transpose(_ t: Tensor, _ dim0: Int, _ dim1: Int) throws -> Tensor {
    let fn = "transpose"
    let a = try wrapDim(dim0, t.rank, fn), b = try wrapDim(dim1, t.rank, fn)
    var perm = Array(0..<t.rank)
    if t.rank > 0 { perm.swapAt(a, b) }
    let out = try permuted(t, perm, fn)
    return out.traced(.transpose, [t], [("perm", .ints(perm))]).recorded("TransposeBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.transpose(dim0, dim1); a swap is its own inverse
        [try permuted(g, perm, "transpose_backward")]
    }
}

/// torch.permute: output dimension i is input dimension dims[i]; `dims` must be a permutation
/// of the input's dimensions (negative values count from the end).
public func permute(_ t: Tensor, _ dims: [Int]) throws -> Tensor {
    let fn = "permute"
    guard dims.count == t.rank else {
        throw SNNError.shape("\(fn): dims \(fmt(dims)) has \(dims.count) entries but the tensor of shape \(fmt(t.shape)) has \(t.rank) dimensions")
    }
    var perm: [Int] = []
    var seen = Set<Int>()
    for d in dims {
        let w = try wrapDim(d, t.rank, fn)
        guard seen.insert(w).inserted else {
            throw SNNError.invalid("\(fn): dims \(fmt(dims)) is not a permutation of the dimensions of a tensor of shape \(fmt(t.shape)) (dimension \(w) repeats)")
        }
        perm.append(w)
    }
    var inverse = perm
    for (i, p) in perm.enumerated() { inverse[p] = i }
    let out = try permuted(t, perm, fn)
    return out.traced(.permute, [t], [("perm", .ints(perm))]).recorded("PermuteBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.permute(dims)  =>  grad = g.permute(inverse of dims)
        [try permuted(g, inverse, "permute_backward")]
    }
}

/// torch.Tensor.expand / torch.broadcast_to: `t` repeated along its size-1 dimensions (and new
/// leading ones) to `shape`; -1 keeps a dimension's size. A view with stride 0 along the
/// repeated dimensions; the pullback sums the gradient back over them.
public func expand(_ t: Tensor, to shape: [Int]) throws -> Tensor {
    let fn = "expand"
    guard shape.count >= t.rank else {
        throw SNNError.shape("\(fn): the number of sizes in \(fmt(shape)) (\(shape.count)) must be at least the rank of the tensor of shape \(fmt(t.shape)) (\(t.rank))")
    }
    try checkResultRank(shape.count, fn, shape)
    let lead = shape.count - t.rank
    var target = shape
    for (i, s) in shape.enumerated() {
        if i < lead {
            guard s >= 0 else {
                throw SNNError.invalid("\(fn): size \(s) is not allowed in the new leading dimension \(i) of \(fmt(shape)) (tensor of shape \(fmt(t.shape)))")
            }
            continue
        }
        let own = t.shape[i - lead]
        if s == -1 { target[i] = own; continue }
        guard s >= 0 else {
            throw SNNError.invalid("\(fn): invalid size \(s) at index \(i) of \(fmt(shape)) (sizes are >= 0, or -1 to keep one)")
        }
        guard own == 1 || own == s else {
            throw SNNError.shape("\(fn): the expanded size \(s) must match the existing size \(own) at non-singleton dimension \(i); target sizes \(fmt(shape)), tensor of shape \(fmt(t.shape))")
        }
    }
    // A kernel reading the view packs it (TensorLayout.swift): refuse here, where the error
    // can be reported, a view too large ever to pack.
    let bytes = try elementCount(target, fn).multipliedReportingOverflow(by: t.dtype.byteSize)
    guard !bytes.overflow, bytes.partialValue <= Storage.physicalBytes else {
        throw SNNError(.outOfMemory, "\(fn): the expanded shape \(fmt(target)) of a \(t.dtype.name) tensor would need more memory than the machine has (\(Storage.physicalBytes) bytes) when read")
    }
    let own = t.strides
    var strides = [Int](repeating: 0, count: target.count)
    for i in lead..<target.count where !(t.shape[i - lead] == 1 && target[i] != 1) { strides[i] = own[i - lead] }
    let out = t.restrided(target, strides, offset: t.offset)
    return out.traced(.expand, [t]).recorded("ExpandBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.expand(shape)  =>  grad = g summed over the repeated dimensions
        [try sumToShape(g, t.shape)]
    }
}

// MARK: - registry

extension OpDef {
    static let transpose = OpDef("transpose", c: "snn_tensor_transpose", python: "transpose", export: { b, r in try b.transposeNode(r) },
                                 imports: ["Transpose": { n in
                                     let perm = try n.attrs(["perm"]).ints("perm")
                                     return { xs in
                                         let x = try input(xs, 0)
                                         return [try SwiftNN.permute(x, perm ?? Array((0..<x.rank).reversed()))]
                                     }
                                 }])
    static let permute = OpDef("permute", c: "snn_tensor_permute", python: "permute", export: { b, r in try b.transposeNode(r) })
    /// Expand broadcasts: a 1 in the target keeps the input's (possibly dynamic) batch size.
    /// ONNX Tile imports as a reshape, an expand and a reshape.
    static let expand = OpDef("expand", c: "snn_tensor_expand", python: "expand",
                              export: { b, r in
                                  let x = try b.value(try r.input(0))
                                  let out = r.outputs[0]
                                  var target = out.shape
                                  var batch = BatchDim.none
                                  if let i = x.batch.index {
                                      let at = i + out.rank - x.shape.count
                                      target[at] = 1
                                      batch = b.moved(x.batch, at)
                                  }
                                  b.define(out, b.node1("Expand", [x.name, b.constInts(target, "shape")]), batch: batch)
                              },
                              imports: [
                                  "Expand": { n in
                                      _ = try n.attrs([])
                                      return { xs in
                                          let x = try input(xs, 0)
                                          let shape = try intList(try input(xs, 1), "shape")
                                          guard shape.count <= 16, shape.allSatisfy({ $0 >= 0 }) else { throw SNNError.shape("invalid Expand shape \(shape)") }
                                          return [try SwiftNN.expand(x, to: try broadcastShapes(x.shape, shape, "Expand"))]
                                      }
                                  },
                                  "Tile": { n in
                                      _ = try n.attrs([])
                                      return { xs in
                                          let x = try input(xs, 0)
                                          let reps = try intList(try input(xs, 1), "repeats")
                                          guard reps.count == x.rank, reps.allSatisfy({ $0 >= 0 }) else {
                                              throw SNNError.shape("repeats \(reps) must have one non-negative entry per dimension of \(fmt(x.shape))")
                                          }
                                          // [d0, d1] -> [1, d0, 1, d1] -> expand to [r0, d0, r1, d1] -> [r0 d0, r1 d1]
                                          let spread = try SwiftNN.reshape(x, x.shape.flatMap { [1, $0] })
                                          let big = try SwiftNN.expand(spread, to: zip(reps, x.shape).flatMap { [$0, $1] })
                                          return [try SwiftNN.reshape(big, try zip(reps, x.shape).map { try elementCount([$0, $1], "Tile") })]
                                      }
                                  },
                              ])
}
