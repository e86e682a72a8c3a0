// How reductions see a tensor: as [outer, n, inner] around one dimension (kernels walk it
// without copying), or as contiguous rows, one per output element, after moving the reduced
// dimensions last (a view when they already are last, otherwise one strided copy).
import SwiftNNKernels

/// A contiguous tensor seen as [outer, n, inner] around dimension `dim` (a scalar is [1, 1, 1]).
struct DimLayout {
    let outer: Int
    let n: Int
    let inner: Int

    init(_ shape: [Int], _ dim: Int) {
        guard dim < shape.count else { outer = 1; n = 1; inner = 1; return }
        outer = shape[..<dim].reduce(1, *)
        n = shape[dim]
        inner = shape[(dim + 1)...].reduce(1, *)
    }

    /// Offset of element k along the dimension at output position j = o * inner + i.
    @inline(__always) func offset(_ j: Int, _ k: Int) -> Int {
        let o = j / inner, i = j - o * inner
        return (o * n + k) * inner + i
    }
}

/// A tensor rearranged as `count` rows of `n` elements: row r holds, in order, the elements
/// that a reduction over `dims` folds into output element r.
struct ReductionRows {
    /// Contiguous [count, n] data (the input itself when the reduced dimensions are last).
    let data: Tensor
    let count: Int
    let n: Int
    /// Shape of `data` as a permuted tensor, and the input's strides in that order; nil when
    /// no copy was needed.
    let permuted: (shape: [Int], strides: [Int])?

    /// `dims` must be normalised (sorted, unique, in range; see `reductionDims`).
    init(_ t: Tensor, _ dims: [Int], _ fn: String) throws {
        let kept = (0..<t.rank).filter { !dims.contains($0) }
        n = dims.reduce(1) { $0 * ($1 < t.rank ? t.shape[$1] : 1) }
        count = kept.reduce(1) { $0 * t.shape[$1] }
        let trailing = t.rank == 0 || dims == Array((t.rank - dims.count)..<t.rank)
        if trailing {
            data = t
            permuted = nil
            return
        }
        let order = kept + dims
        let strides = contiguousStrides(t.shape)
        let shape = order.map { t.shape[$0] }, src = order.map { strides[$0] }
        permuted = (shape, src)
        if t.dtype != .float32 {
            // Other dtypes: the permuted view of t packed (a byte copy through its strides).
            let ts = t.strides
            data = try t.restrided(shape, order.map { ts[$0] }, offset: t.storageOffset).packed(fn, always: true)
            return
        }
        let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, fn)
        if out.count > 0 { stridedCopy(shape, t.floats, src, out.floats, contiguousStrides(shape)) }
        data = out
    }

    /// Puts row-ordered values (shaped like `data`) back in the input's layout, as `shape`.
    func unpermute(_ rows: Tensor, _ shape: [Int], _ fn: String) throws -> Tensor {
        guard let (pshape, src) = permuted else { return try rows.view(as: shape) }
        if rows.dtype != .float32 {
            let out = try Tensor(empty: shape, dtype: rows.dtype, zeroed: false, fn)
            if out.count > 0 { out.restrided(pshape, src, offset: 0).writeElements(from: try rows.packed(fn).view(as: pshape)) }
            return out
        }
        let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, fn)
        if out.count > 0 { stridedCopy(pshape, rows.floats, contiguousStrides(pshape), out.floats, src) }
        return out
    }
}
