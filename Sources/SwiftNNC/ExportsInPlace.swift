// Strided layout queries and in-place ops (swiftnn/inplace.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_stride(_ dst: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        guard capacity >= x.rank else { throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is smaller than the rank \(x.rank)") }
        if x.rank > 0 {
            guard let dst else { throw SNNError(.invalidArgument, "\(fn): dst is NULL") }
            for (i, s) in x.strides.enumerated() { dst[i] = Int64(s) }
        }
    }
}

@c @implementation
public func snn_tensor_storage_offset(_ out: UnsafeMutablePointer<Int64>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = Int64(try tensorArg(t, fn).storageOffset)
    }
}

@c @implementation
public func snn_tensor_is_contiguous(_ out: UnsafeMutablePointer<Bool>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try tensorArg(t, fn).isContiguous
    }
}

@c @implementation
public func snn_tensor_contiguous(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try $0.contiguous() }
}

@c @implementation
public func snn_tensor_version(_ out: UnsafeMutablePointer<Int64>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = Int64(try tensorArg(t, fn).version)
    }
}

@c @implementation
public func snn_tensor_shares_storage(_ out: UnsafeMutablePointer<Bool>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try tensorArg(a, fn, "a").sharesStorage(with: try tensorArg(b, fn, "b"))
    }
}

@c @implementation
public func snn_tensor_view(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                            _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try view(try tensorArg(t, fn), try intsArg(shape, ndim, fn, "shape")), o)
    }
}

/// Runs an in-place op on `t` (with an optional second tensor argument) inside the boundary.
private func inPlaceExport(_ t: OpaquePointer?, caller: String = #function, _ op: (Tensor) throws -> Void) -> snn_status {
    boundary(caller: caller) { fn in try op(try tensorArg(t, fn)) }
}

private func inPlaceExport(_ t: OpaquePointer?, _ other: OpaquePointer?, _ name: String, caller: String = #function,
                           _ op: (Tensor, Tensor) throws -> Void) -> snn_status {
    boundary(caller: caller) { fn in try op(try tensorArg(t, fn), try tensorArg(other, fn, name)) }
}

private func scalar(_ v: Double) throws -> Tensor { try Tensor([Float(v)], shape: []) }

@c @implementation
public func snn_tensor_add_(_ t: OpaquePointer?, _ other: OpaquePointer?, _ alpha: Double) -> snn_status {
    inPlaceExport(t, other, "other") { try addInPlace($0, $1, alpha: alpha) }
}

@c @implementation
public func snn_tensor_sub_(_ t: OpaquePointer?, _ other: OpaquePointer?, _ alpha: Double) -> snn_status {
    inPlaceExport(t, other, "other") { try subInPlace($0, $1, alpha: alpha) }
}

@c @implementation
public func snn_tensor_mul_(_ t: OpaquePointer?, _ other: OpaquePointer?) -> snn_status {
    inPlaceExport(t, other, "other") { try mulInPlace($0, $1) }
}

@c @implementation
public func snn_tensor_div_(_ t: OpaquePointer?, _ other: OpaquePointer?) -> snn_status {
    inPlaceExport(t, other, "other") { try divInPlace($0, $1) }
}

@c @implementation
public func snn_tensor_pow_(_ t: OpaquePointer?, _ exponent: OpaquePointer?) -> snn_status {
    inPlaceExport(t, exponent, "exponent") { try powInPlace($0, $1) }
}

@c @implementation
public func snn_tensor_add_scalar_(_ t: OpaquePointer?, _ value: Double, _ alpha: Double) -> snn_status {
    inPlaceExport(t) { try addInPlace($0, try scalar(value), alpha: alpha) }
}

@c @implementation
public func snn_tensor_sub_scalar_(_ t: OpaquePointer?, _ value: Double, _ alpha: Double) -> snn_status {
    inPlaceExport(t) { try subInPlace($0, try scalar(value), alpha: alpha) }
}

@c @implementation
public func snn_tensor_mul_scalar_(_ t: OpaquePointer?, _ value: Double) -> snn_status {
    inPlaceExport(t) { try mulInPlace($0, try scalar(value)) }
}

@c @implementation
public func snn_tensor_div_scalar_(_ t: OpaquePointer?, _ value: Double) -> snn_status {
    inPlaceExport(t) { try divInPlace($0, try scalar(value)) }
}

@c @implementation
public func snn_tensor_pow_scalar_(_ t: OpaquePointer?, _ value: Double) -> snn_status {
    inPlaceExport(t) { try powInPlace($0, Float(value)) }
}

@c @implementation
public func snn_tensor_clamp_(_ t: OpaquePointer?, _ min: Float, _ max: Float, _ hasMin: Bool, _ hasMax: Bool) -> snn_status {
    inPlaceExport(t) { try clampInPlace($0, min: hasMin ? min : nil, max: hasMax ? max : nil) }
}

@c @implementation
public func snn_tensor_neg_(_ t: OpaquePointer?) -> snn_status { inPlaceExport(t) { try negInPlace($0) } }

@c @implementation
public func snn_tensor_exp_(_ t: OpaquePointer?) -> snn_status { inPlaceExport(t) { try expInPlace($0) } }

@c @implementation
public func snn_tensor_relu_(_ t: OpaquePointer?) -> snn_status { inPlaceExport(t) { try reluInPlace($0) } }

@c @implementation
public func snn_tensor_sigmoid_(_ t: OpaquePointer?) -> snn_status { inPlaceExport(t) { try sigmoidInPlace($0) } }

@c @implementation
public func snn_tensor_tanh_(_ t: OpaquePointer?) -> snn_status { inPlaceExport(t) { try tanhInPlace($0) } }

@c @implementation
public func snn_tensor_fill_(_ t: OpaquePointer?, _ value: Double) -> snn_status { inPlaceExport(t) { try fillInPlace($0, value) } }

@c @implementation
public func snn_tensor_zero_(_ t: OpaquePointer?) -> snn_status { inPlaceExport(t) { try zeroInPlace($0) } }

@c @implementation
public func snn_tensor_masked_scatter_(_ t: OpaquePointer?, _ mask: OpaquePointer?, _ source: OpaquePointer?) -> snn_status {
    boundary { fn in
        try maskedScatterInPlace(try tensorArg(t, fn), mask: try tensorArg(mask, fn, "mask"), source: try tensorArg(source, fn, "source"))
    }
}

@c @implementation
public func snn_tensor_index_put_(_ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ values: OpaquePointer?) -> snn_status {
    boundary { fn in
        try indexPutInPlace(try tensorArg(t, fn), dim: Int(dim), index: try tensorArg(index, fn, "index"), values: try tensorArg(values, fn, "values"))
    }
}

@c @implementation
public func snn_tensor_masked_fill_(_ t: OpaquePointer?, _ mask: OpaquePointer?, _ value: Double) -> snn_status {
    inPlaceExport(t, mask, "mask") { try maskedFillInPlace($0, mask: $1, value: value) }
}

@c @implementation
public func snn_tensor_scatter_(_ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ src: OpaquePointer?) -> snn_status {
    boundary { fn in
        try scatterInPlace(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"),
                           src: try tensorArg(src, fn, "src"))
    }
}

@c @implementation
public func snn_tensor_scatter_value_(_ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ value: Double) -> snn_status {
    boundary { fn in
        try scatterInPlace(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"), value: value)
    }
}

@c @implementation
public func snn_tensor_scatter_add_(_ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ src: OpaquePointer?) -> snn_status {
    boundary { fn in
        try scatterAddInPlace(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"),
                              src: try tensorArg(src, fn, "src"))
    }
}

@c @implementation
public func snn_tensor_index_add_(_ t: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ source: OpaquePointer?,
                                  _ alpha: Double) -> snn_status {
    boundary { fn in
        try indexAddInPlace(try tensorArg(t, fn), dim: try intArg(dim, fn, "dim"), index: try tensorArg(index, fn, "index"),
                            source: try tensorArg(source, fn, "source"), alpha: alpha)
    }
}
