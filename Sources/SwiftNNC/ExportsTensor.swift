// Tensor creation, data in and out, shape queries and factories (swiftnn/tensor.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_free(_ t: OpaquePointer?) -> snn_status { freeHandle(t, Tensor.self, "t") }

@c @implementation
public func snn_tensor_from_data(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafePointer<Float>?,
                                 _ count: Int, _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let dims = try shapeArg(shape, ndim, fn)
        let t = try Tensor(empty: dims, dtype: .float32, zeroed: false, fn)
        guard count == t.count else {
            throw SNNError(.shapeMismatch, "\(fn): count is \(count) but shape \(dims) has \(t.count) elements")
        }
        if count > 0 {
            guard let data else { throw SNNError(.invalidArgument, "\(fn): data is NULL but count is \(count)") }
            t.floats.update(from: data, count: count)
        }
        give(t, o)
    }
}

@c @implementation
public func snn_tensor_from_int64(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafePointer<Int64>?,
                                  _ count: Int, _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let dims = try shapeArg(shape, ndim, fn)
        let t = try Tensor(empty: dims, dtype: .int64, zeroed: false, fn)
        guard count == t.count else {
            throw SNNError(.shapeMismatch, "\(fn): count is \(count) but shape \(dims) has \(t.count) elements")
        }
        if count > 0 {
            guard let data else { throw SNNError(.invalidArgument, "\(fn): data is NULL but count is \(count)") }
            t.int64s.update(from: data, count: count)
        }
        give(t, o)
    }
}

@c @implementation
public func snn_tensor_copy_data(_ dst: UnsafeMutablePointer<Float>?, _ capacity: Int, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        guard x.dtype == .float32 else { throw SNNError(.dtypeMismatch, "\(fn): tensor has dtype int64; use snn_tensor_copy_int64") }
        guard capacity >= x.count else {
            throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is smaller than the tensor's \(x.count) elements (shape \(x.shape))")
        }
        if x.count > 0 {
            guard let dst else { throw SNNError(.invalidArgument, "\(fn): dst is NULL") }
            dst.update(from: x.floats, count: x.count)
        }
    }
}

@c @implementation
public func snn_tensor_copy_int64(_ dst: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        guard x.dtype == .int64 else { throw SNNError(.dtypeMismatch, "\(fn): tensor has dtype float32; use snn_tensor_copy_data") }
        guard capacity >= x.count else {
            throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is smaller than the tensor's \(x.count) elements (shape \(x.shape))")
        }
        if x.count > 0 {
            guard let dst else { throw SNNError(.invalidArgument, "\(fn): dst is NULL") }
            dst.update(from: x.int64s, count: x.count)
        }
    }
}

@c @implementation
public func snn_tensor_ndim(_ out: UnsafeMutablePointer<Int>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try tensorArg(t, fn).rank
    }
}

@c @implementation
public func snn_tensor_shape(_ dst: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        guard capacity >= x.rank else { throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is smaller than the rank \(x.rank)") }
        if x.rank > 0 {
            guard let dst else { throw SNNError(.invalidArgument, "\(fn): dst is NULL") }
            for (i, d) in x.shape.enumerated() { dst[i] = Int64(d) }
        }
    }
}

@c @implementation
public func snn_tensor_numel(_ out: UnsafeMutablePointer<Int64>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = Int64(try tensorArg(t, fn).count)
    }
}

@c @implementation
public func snn_tensor_dtype(_ out: UnsafeMutablePointer<snn_dtype>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = snn_dtype(rawValue: UInt32(try tensorArg(t, fn).dtype.rawValue))
    }
}

@c @implementation
public func snn_tensor_item(_ out: UnsafeMutablePointer<Double>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        let x = try tensorArg(t, fn)
        guard x.count == 1 else {
            throw SNNError(.shapeMismatch, "\(fn): tensor of shape \(x.shape) has \(x.count) elements, expected exactly 1")
        }
        o.pointee = x.element(0)
    }
}

@c @implementation
public func snn_tensor_clone(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try tensorArg(t, fn).clone(), o)
    }
}

// MARK: - Factories

/// Shared body of the shape-only factories.
private func factory(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int,
                     caller: String = #function, _ make: ([Int]) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        give(try make(try shapeArg(shape, ndim, fn)), o)
    }
}

@c @implementation
public func snn_tensor_zeros(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    factory(out, shape, ndim) { try Tensor.zeros($0) }
}

@c @implementation
public func snn_tensor_ones(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    factory(out, shape, ndim) { try Tensor.ones($0) }
}

@c @implementation
public func snn_tensor_full(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int, _ value: Float) -> snn_status {
    factory(out, shape, ndim) { try Tensor.full($0, value) }
}

@c @implementation
public func snn_tensor_rand(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    factory(out, shape, ndim) { try Tensor.rand($0) }
}

@c @implementation
public func snn_tensor_randn(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    factory(out, shape, ndim) { try Tensor.randn($0) }
}

/// rand or randn from the caller's (seed, *offset), advancing *offset past the blocks used.
private func randomFrom(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int, _ seed: UInt64,
                        _ offset: UnsafeMutablePointer<UInt64>?, caller: String = #function,
                        _ draw: @escaping ([Int], Generator) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        let at = try outPointer(offset, fn, "offset")
        let g = Generator(seed: seed, offset: at.pointee)
        let t = try draw(try shapeArg(shape, ndim, fn), g)
        at.pointee = g.offset
        give(t, o)
    }
}

@c @implementation
public func snn_tensor_rand_from(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int,
                                 _ seed: UInt64, _ offset: UnsafeMutablePointer<UInt64>?) -> snn_status {
    randomFrom(out, shape, ndim, seed, offset) { try Tensor.rand($0, generator: $1) }
}

@c @implementation
public func snn_tensor_randn_from(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int,
                                  _ seed: UInt64, _ offset: UnsafeMutablePointer<UInt64>?) -> snn_status {
    randomFrom(out, shape, ndim, seed, offset) { try Tensor.randn($0, generator: $1) }
}

@c @implementation
public func snn_tensor_arange(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ start: Double, _ end: Double, _ step: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try Tensor.arange(start, end, step), o)
    }
}

@c @implementation
public func snn_tensor_copy_(_ dst: OpaquePointer?, _ src: OpaquePointer?) -> snn_status {
    boundary { fn in
        try copyInPlace(try tensorArg(dst, fn, "dst"), try tensorArg(src, fn, "src"))
    }
}
