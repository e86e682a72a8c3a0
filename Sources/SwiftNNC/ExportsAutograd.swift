// Reverse-mode autodiff through the C API (swiftnn/autograd.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_set_requires_grad(_ t: OpaquePointer?, _ flag: Bool) -> snn_status {
    boundary { fn in try tensorArg(t, fn).setRequiresGrad(flag) }
}

@c @implementation
public func snn_tensor_requires_grad(_ out: UnsafeMutablePointer<Bool>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try tensorArg(t, fn).requiresGrad
    }
}

@c @implementation
public func snn_tensor_is_leaf(_ out: UnsafeMutablePointer<Bool>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try tensorArg(t, fn).isLeaf
    }
}

@c @implementation
public func snn_tensor_backward(_ t: OpaquePointer?, _ gradient: OpaquePointer?, _ retainGraph: Bool) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        let g = gradient == nil ? nil : try tensorArg(gradient, fn, "gradient")
        try x.backward(g, retainGraph: retainGraph)
    }
}

@c @implementation
public func snn_tensor_grad(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        if let g = try tensorArg(t, fn).grad { give(g, o) }
    }
}

@c @implementation
public func snn_tensor_set_grad(_ t: OpaquePointer?, _ grad: OpaquePointer?) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        guard let grad else { x.grad = nil; return }
        let g = try tensorArg(grad, fn, "grad")
        // Dtype first, with its own status: an int64 grad of the right shape is a dtype error.
        guard g.dtype == x.dtype, g.dtype.isFloatingPoint else {
            throw SNNError(.dtypeMismatch, "\(fn): grad has dtype \(g.dtype.name), expected the tensor's floating dtype \(x.dtype.name)")
        }
        guard g.shape == x.shape else {
            throw SNNError(.shapeMismatch, "\(fn): grad has shape \(g.shape), expected the tensor's shape \(x.shape)")
        }
        x.grad = try g.clone()
    }
}

@c @implementation
public func snn_tensor_zero_grad(_ t: OpaquePointer?) -> snn_status {
    boundary { fn in try tensorArg(t, fn).grad = nil }
}

@c @implementation
public func snn_tensor_retain_grad(_ t: OpaquePointer?) -> snn_status {
    boundary { fn in try tensorArg(t, fn).retainsGrad = true }
}

@c @implementation
public func snn_tensor_detach(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try tensorArg(t, fn).detach(), o)
    }
}

@c @implementation
public func snn_no_grad_begin() -> snn_status {
    boundary { _ in GradMode.pushNoGrad() }
}

@c @implementation
public func snn_no_grad_end() -> snn_status {
    boundary { fn in
        guard GradMode.popNoGrad() else {
            throw SNNError(.invalidArgument, "\(fn): no matching snn_no_grad_begin on this thread")
        }
    }
}

@c @implementation
public func snn_is_grad_enabled(_ out: UnsafeMutablePointer<Bool>?) -> snn_status {
    boundary { fn in try outPointer(out, fn).pointee = GradMode.isEnabled }
}

@c @implementation
public func snn_tensor_grad_fn_name(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                    _ t: OpaquePointer?) -> snn_status {
    boundary { fn in try writeString(try tensorArg(t, fn).gradFnName ?? "", buf, capacity, outLen, fn) }
}

// MARK: - gradient hooks

/// A C hook and its user data; calls `release` once when the engine drops the hook.
private final class CGradientHook: @unchecked Sendable {
    let hook: snn_grad_hook_fn, userData: UnsafeMutableRawPointer?, release: snn_hook_release_fn?

    init(_ hook: snn_grad_hook_fn, _ userData: UnsafeMutableRawPointer?, _ release: snn_hook_release_fn?) {
        self.hook = hook; self.userData = userData; self.release = release
    }

    deinit { release?(userData) }

    /// Lends `g` as a handle for the call and takes the replacement's handle, if any.
    func call(_ g: Tensor, shape: [Int]) throws -> Tensor? {
        let lent = Registry.shared.insert(g)
        defer { _ = Registry.shared.remove(lent) }
        var replacement: OpaquePointer? = nil
        let status = hook(userData, lent, &replacement)
        guard status == SNN_OK else {
            if let replacement, replacement != lent { _ = Registry.shared.remove(replacement) }
            let name = snn_status_string(status).map { String(cString: $0) } ?? "\(status.rawValue)"
            throw SNNError(engineStatus(status), "backward: the gradient hook on a tensor of shape \(shape) returned \(name)")
        }
        guard let replacement else { return nil }
        let r = try tensorArg(replacement, "backward", "the hook's replacement")
        if replacement != lent { _ = Registry.shared.remove(replacement) }
        return r
    }
}

@c @implementation
public func snn_tensor_register_hook(_ outID: UnsafeMutablePointer<Int64>?, _ t: OpaquePointer?, _ hook: snn_grad_hook_fn?,
                                     _ userData: UnsafeMutableRawPointer?, _ release: snn_hook_release_fn?) -> snn_status {
    boundary { fn in
        let o = try outPointer(outID, fn, "out_id")
        let x = try tensorArg(t, fn)
        guard let hook else { throw SNNError(.invalidArgument, "\(fn): hook is NULL, expected a function") }
        let box = CGradientHook(hook, userData, release)
        let shape = x.shape
        o.pointee = Int64(try x.registerHook { g in try box.call(g, shape: shape) })
    }
}

@c @implementation
public func snn_tensor_remove_hook(_ outRemoved: UnsafeMutablePointer<Bool>?, _ t: OpaquePointer?, _ id: Int64) -> snn_status {
    boundary { fn in
        let o = try outPointer(outRemoved, fn, "out_removed")
        o.pointee = try tensorArg(t, fn).removeHook(Int(id))
    }
}
