// Comparisons, logic, selection by mask (swiftnn/compare.h) and sorting, gather/scatter and
// tensor extremes (swiftnn/select.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_eq(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try compare($0, $1, .eq) }
}

@c @implementation
public func snn_tensor_ne(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try compare($0, $1, .ne) }
}

@c @implementation
public func snn_tensor_lt(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try compare($0, $1, .lt) }
}

@c @implementation
public func snn_tensor_le(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try compare($0, $1, .le) }
}

@c @implementation
public func snn_tensor_gt(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try compare($0, $1, .gt) }
}

@c @implementation
public func snn_tensor_ge(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try compare($0, $1, .ge) }
}

@c @implementation
public func snn_tensor_eq_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ value: Double) -> snn_status {
    unaryExport(out, t) { try compare($0, value, .eq) }
}

@c @implementation
public func snn_tensor_ne_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ value: Double) -> snn_status {
    unaryExport(out, t) { try compare($0, value, .ne) }
}

@c @implementation
public func snn_tensor_lt_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ value: Double) -> snn_status {
    unaryExport(out, t) { try compare($0, value, .lt) }
}

@c @implementation
public func snn_tensor_le_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ value: Double) -> snn_status {
    unaryExport(out, t) { try compare($0, value, .le) }
}

@c @implementation
public func snn_tensor_gt_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ value: Double) -> snn_status {
    unaryExport(out, t) { try compare($0, value, .gt) }
}

@c @implementation
public func snn_tensor_ge_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ value: Double) -> snn_status {
    unaryExport(out, t) { try compare($0, value, .ge) }
}

@c @implementation
public func snn_tensor_isinf(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.isinf($0) }
}

@c @implementation
public func snn_tensor_isfinite(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.isfinite($0) }
}

@c @implementation
public func snn_tensor_isclose(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?, _ rtol: Double, _ atol: Double, _ equalNan: Bool) -> snn_status {
    binaryExport(out, a, b) { try isclose($0, $1, rtol: rtol, atol: atol, equalNan: equalNan) }
}

@c @implementation
public func snn_tensor_allclose(_ out: UnsafeMutablePointer<Bool>?, _ a: OpaquePointer?, _ b: OpaquePointer?, _ rtol: Double, _ atol: Double,
                                _ equalNan: Bool) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try allclose(try tensorArg(a, fn, "a"), try tensorArg(b, fn, "b"), rtol: rtol, atol: atol, equalNan: equalNan)
    }
}

@c @implementation
public func snn_tensor_equal(_ out: UnsafeMutablePointer<Bool>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try equal(try tensorArg(a, fn, "a"), try tensorArg(b, fn, "b"))
    }
}

@c @implementation
public func snn_tensor_logical_and(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, logicalAnd)
}

@c @implementation
public func snn_tensor_logical_or(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, logicalOr)
}

@c @implementation
public func snn_tensor_logical_xor(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, logicalXor)
}

@c @implementation
public func snn_tensor_logical_not(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, logicalNot)
}

@c @implementation
public func snn_tensor_bitwise_and(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, bitwiseAnd)
}

@c @implementation
public func snn_tensor_bitwise_or(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, bitwiseOr)
}

@c @implementation
public func snn_tensor_bitwise_xor(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, bitwiseXor)
}

@c @implementation
public func snn_tensor_bitwise_not(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, bitwiseNot)
}

@c @implementation
public func snn_tensor_where(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ cond: OpaquePointer?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try SwiftNN.where(try tensorArg(cond, fn, "cond"), try tensorArg(a, fn, "a"), try tensorArg(b, fn, "b")), o)
    }
}

@c @implementation
public func snn_tensor_masked_fill(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ mask: OpaquePointer?, _ value: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try maskedFill(try tensorArg(t, fn), mask: try tensorArg(mask, fn, "mask"), value: value), o)
    }
}

@c @implementation
public func snn_tensor_any(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try SwiftNN.any($0, dims: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_all(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try SwiftNN.all($0, dims: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_nonzero(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, nonzero)
}

@c @implementation
public func snn_tensor_count_nonzero(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int) -> snn_status {
    reduceExport(out, t, dims, ndims, false) { x, d, _ in try countNonzero(x, dims: d) }
}

// MARK: - select.h

@c @implementation
public func snn_tensor_sort(_ values: UnsafeMutablePointer<OpaquePointer?>?, _ indices: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ descending: Bool,
                            _ stable: Bool) -> snn_status {
    extremeDimExport(values, indices, t, dim, false) { x, d, _ in try sort(x, dim: d, descending: descending) }
}

@c @implementation
public func snn_tensor_argsort(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ descending: Bool, _ stable: Bool) -> snn_status {
    dimExport(out, t, dim) { try argsort($0, dim: $1, descending: descending) }
}

@c @implementation
public func snn_tensor_topk(_ values: UnsafeMutablePointer<OpaquePointer?>?, _ indices: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ k: Int64, _ dim: Int64, _ largest: Bool,
                            _ sorted: Bool) -> snn_status {
    boundary { fn in
        let ov = try outHandle(values, fn, "values")
        let oi = try outHandle(indices, fn, "indices")
        let r = try topk(try tensorArg(t, fn), k: try intArg(k, fn, "k"), dim: try intArg(dim, fn, "dim"), largest: largest, sorted: sorted)
        give(r.values, ov)
        give(r.indices, oi)
    }
}

@c @implementation
public func snn_tensor_gather(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try gather(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index")), o)
    }
}

@c @implementation
public func snn_tensor_scatter(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ src: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try scatter(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"),
                         src: try tensorArg(src, fn, "src")), o)
    }
}

@c @implementation
public func snn_tensor_scatter_value(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ value: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try scatter(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"), value: value), o)
    }
}

@c @implementation
public func snn_tensor_scatter_add(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ src: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try scatterAdd(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"),
                            src: try tensorArg(src, fn, "src")), o)
    }
}

@c @implementation
public func snn_tensor_index_add(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ source: OpaquePointer?, _ alpha: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try indexAdd(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"),
                          source: try tensorArg(source, fn, "source"), alpha: alpha), o)
    }
}

@c @implementation
public func snn_tensor_maximum(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, maximum)
}

@c @implementation
public func snn_tensor_minimum(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, minimum)
}

/// min and max are optional (NULL: no bound); a non-NULL one must be a live tensor handle.
@c @implementation
public func snn_tensor_clamp_tensor(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ min: OpaquePointer?, _ max: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let lo = try min.map { try tensorArg($0, fn, "min") }, hi = try max.map { try tensorArg($0, fn, "max") }
        give(try clamp(try tensorArg(t, fn), min: lo, max: hi), o)
    }
}
