// Reverse-mode autodiff through the C API (swiftnn/autograd.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_set_requires_grad(_ t: OpaquePointer?, _ flag: Bool) -> snn_status {
    boundary { try tensorArg(t, "snn_tensor_set_requires_grad").setRequiresGrad(flag) }
}

@c @implementation
public func snn_tensor_requires_grad(_ out: UnsafeMutablePointer<Bool>?, _ t: OpaquePointer?) -> snn_status {
    boundary {
        let o = try outPointer(out, "snn_tensor_requires_grad")
        o.pointee = try tensorArg(t, "snn_tensor_requires_grad").requiresGrad
    }
}

@c @implementation
public func snn_tensor_is_leaf(_ out: UnsafeMutablePointer<Bool>?, _ t: OpaquePointer?) -> snn_status {
    boundary {
        let o = try outPointer(out, "snn_tensor_is_leaf")
        o.pointee = try tensorArg(t, "snn_tensor_is_leaf").isLeaf
    }
}

@c @implementation
public func snn_tensor_backward(_ t: OpaquePointer?, _ gradient: OpaquePointer?, _ retainGraph: Bool) -> snn_status {
    boundary {
        let fn = "snn_tensor_backward"
        let x = try tensorArg(t, fn)
        let g = gradient == nil ? nil : try tensorArg(gradient, fn, "gradient")
        try x.backward(g, retainGraph: retainGraph)
    }
}

@c @implementation
public func snn_tensor_grad(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary {
        let o = try outHandle(out, "snn_tensor_grad")
        if let g = try tensorArg(t, "snn_tensor_grad").grad { give(g, o) }
    }
}

@c @implementation
public func snn_tensor_set_grad(_ t: OpaquePointer?, _ grad: OpaquePointer?) -> snn_status {
    boundary {
        let fn = "snn_tensor_set_grad"
        let x = try tensorArg(t, fn)
        guard let grad else { x.grad = nil; return }
        let g = try tensorArg(grad, fn, "grad")
        // Dtype first, with its own status: an int64 grad of the right shape is a dtype error.
        guard g.dtype == .float32 else {
            throw SNNError(.dtypeMismatch, "\(fn): grad has dtype \(g.dtype), expected float32")
        }
        guard g.shape == x.shape else {
            throw SNNError(.shapeMismatch, "\(fn): grad has shape \(g.shape), expected the tensor's shape \(x.shape)")
        }
        x.grad = try g.clone()
    }
}

@c @implementation
public func snn_tensor_zero_grad(_ t: OpaquePointer?) -> snn_status {
    boundary { try tensorArg(t, "snn_tensor_zero_grad").grad = nil }
}

@c @implementation
public func snn_tensor_retain_grad(_ t: OpaquePointer?) -> snn_status {
    boundary { try tensorArg(t, "snn_tensor_retain_grad").retainsGrad = true }
}

@c @implementation
public func snn_tensor_detach(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary {
        let o = try outHandle(out, "snn_tensor_detach")
        give(try tensorArg(t, "snn_tensor_detach").detach(), o)
    }
}

@c @implementation
public func snn_no_grad_begin() -> snn_status {
    boundary { GradMode.pushNoGrad() }
}

@c @implementation
public func snn_no_grad_end() -> snn_status {
    boundary {
        guard GradMode.popNoGrad() else {
            throw SNNError(.invalidArgument, "snn_no_grad_end: no matching snn_no_grad_begin on this thread")
        }
    }
}

@c @implementation
public func snn_is_grad_enabled(_ out: UnsafeMutablePointer<Bool>?) -> snn_status {
    boundary { try outPointer(out, "snn_is_grad_enabled").pointee = GradMode.isEnabled }
}
