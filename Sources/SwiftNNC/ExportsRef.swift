// Second handles to one object (swiftnn/interop.h): the registry maps a new token to the same
// object, so each handle is freed once and Swift's reference count keeps the object alive
// until the last one goes.
import CSwiftNN
import SwiftNN

/// The body of every `_ref`: resolves `h` as a live handle of kind T and registers a second one.
func refHandle<T: HandleNamed>(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ h: OpaquePointer?, _ kind: T.Type,
                               _ arg: String, caller: String = #function) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try resolve(h, kind, fn, arg))
    }
}

@c @implementation
public func snn_tensor_ref(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    refHandle(out, t, Tensor.self, "t")
}

@c @implementation
public func snn_module_ref(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?) -> snn_status {
    refHandle(out, m, Module.self, "m")
}

@c @implementation
public func snn_optimizer_ref(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?) -> snn_status {
    refHandle(out, opt, Optimizer.self, "opt")
}

@c @implementation
public func snn_lr_scheduler_ref(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ sched: OpaquePointer?) -> snn_status {
    refHandle(out, sched, LRScheduler.self, "sched")
}

@c @implementation
public func snn_tensor_map_ref(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?) -> snn_status {
    refHandle(out, m, TensorMap.self, "m")
}

@c @implementation
public func snn_dataloader_ref(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ dl: OpaquePointer?) -> snn_status {
    refHandle(out, dl, DataLoader.self, "dl")
}

@c @implementation
public func snn_module_from_architecture(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ architecture: UnsafePointer<CChar>?,
                                         _ state: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let arch = try stringArg(architecture, fn, "architecture")
        let map = try resolve(state, TensorMap.self, fn, "state")
        do {
            o.pointee = Registry.shared.insert(try Checkpoint.rebuild(architecture: arch, state: map.entries))
        } catch let e as SNNError {
            // The engine's messages start with "architecture:" or "load_state_dict:"; say which call.
            throw SNNError(e.status, "\(fn): \(e.message)")
        }
    }
}
