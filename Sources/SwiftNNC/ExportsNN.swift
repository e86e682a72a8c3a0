// Modules, state dicts, checkpoints and tensor maps (swiftnn/nn.h).
import CSwiftNN
import SwiftNN

func moduleArg(_ h: OpaquePointer?, _ fn: String, _ arg: String = "m") throws -> Module {
    try resolve(h, Module.self, fn, arg)
}

func mapArg(_ h: OpaquePointer?, _ fn: String, _ arg: String = "m") throws -> TensorMap {
    try resolve(h, TensorMap.self, fn, arg)
}

@c @implementation
public func snn_module_free(_ m: OpaquePointer?) -> snn_status { freeHandle(m, Module.self) }

@c @implementation
public func snn_module_forward(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?, _ input: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let mod = try moduleArg(m, fn)
        give(try mod.forward(try tensorArg(input, fn, "input")), o)
    }
}

@c @implementation
public func snn_module_forward_multi(_ outs: UnsafeMutablePointer<OpaquePointer?>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?,
                                     _ m: OpaquePointer?, _ inputs: UnsafePointer<OpaquePointer?>?, _ n: Int) -> snn_status {
    boundary { fn in
        let mod = try moduleArg(m, fn)
        let xs = try optionalTensorsArg(inputs, n, fn, "inputs")
        let ys = try mod.forward(optional: xs)
        guard capacity >= ys.count else {
            outCount?.pointee = ys.count
            throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is smaller than the \(ys.count) outputs of \(mod.typeName)")
        }
        try giveArray(ys, outs, capacity, outCount, fn)
    }
}

@c @implementation
public func snn_module_train(_ m: OpaquePointer?, _ training: Bool) -> snn_status {
    boundary { fn in try moduleArg(m, fn).train(training) }
}

@c @implementation
public func snn_module_is_training(_ out: UnsafeMutablePointer<Bool>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try moduleArg(m, fn).training
    }
}

@c @implementation
public func snn_module_set_requires_grad(_ m: OpaquePointer?, _ on: Bool) -> snn_status {
    boundary { fn in try moduleArg(m, fn).setRequiresGrad(on) }
}

@c @implementation
public func snn_module_to_dtype(_ m: OpaquePointer?, _ dtype: snn_dtype) -> snn_status {
    boundary { fn in try moduleArg(m, fn).convert(to: try dtypeArg(dtype, fn)) }
}

@c @implementation
public func snn_module_parameter_count(_ out: UnsafeMutablePointer<Int64>?, _ m: OpaquePointer?, _ trainableOnly: Bool) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = Int64(try moduleArg(m, fn).parameterCount(trainableOnly: trainableOnly))
    }
}

@c @implementation
public func snn_module_parameters(_ outs: UnsafeMutablePointer<OpaquePointer?>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?,
                                  _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        try giveArray(try moduleArg(m, fn).parameters, outs, capacity, outCount, fn)
    }
}

@c @implementation
public func snn_module_type(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                            _ m: OpaquePointer?) -> snn_status {
    boundary { fn in try writeString(try moduleArg(m, fn).typeName, buf, capacity, outLen, fn) }
}

@c @implementation
public func snn_module_child(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let mod = try moduleArg(m, fn)
        let n = try stringArg(name, fn, "name")
        guard let c = mod.child(n) else {
            throw SNNError(.outOfRange, "\(fn): \(mod.typeName) has no child '\(n)' (children: \(mod.children.map(\.name)))")
        }
        o.pointee = Registry.shared.insert(c)
    }
}

@c @implementation
public func snn_module_architecture(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                    _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        try writeString(try moduleArg(m, fn).architecture.serialized, buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_module_summary(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                               _ m: OpaquePointer?, _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    boundary { fn in
        let mod = try moduleArg(m, fn)
        let dims = try shapeArg(shape, ndim, fn, "input_shape")
        try writeString(try mod.summary(inputShape: dims), buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_module_state_dict(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let map = TensorMap()
        map.entries = try moduleArg(m, fn).stateDict()
        o.pointee = Registry.shared.insert(map)
    }
}

@c @implementation
public func snn_module_load_state_dict(_ m: OpaquePointer?, _ state: OpaquePointer?, _ strict: Bool) -> snn_status {
    boundary { fn in
        try moduleArg(m, fn).loadStateDict(try mapArg(state, fn, "state").entries, strict: strict)
    }
}

@c @implementation
public func snn_module_save(_ m: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        try Checkpoint.save(try moduleArg(m, fn), to: try stringArg(path, fn, "path"))
    }
}

@c @implementation
public func snn_module_load(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try Checkpoint.load(from: try stringArg(path, fn, "path")))
    }
}

@c @implementation
public func snn_module_load_weights(_ m: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ strict: Bool) -> snn_status {
    boundary { fn in
        try Checkpoint.loadWeights(into: try moduleArg(m, fn), from: try stringArg(path, fn, "path"), strict: strict)
    }
}

@c @implementation
public func snn_module_sequential(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ children: UnsafePointer<OpaquePointer?>?, _ n: Int,
                                  _ names: UnsafePointer<UnsafePointer<CChar>?>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        guard n >= 0, n <= 1 << 16 else { throw SNNError(.invalidArgument, "\(fn): n = \(n) out of range") }
        guard n == 0 || children != nil else { throw SNNError(.invalidArgument, "\(fn): children is NULL but n is \(n)") }
        var layers: [(String, Module)] = []
        for i in 0..<n {
            let c = try moduleArg(children?[i], fn, "children[\(i)]")
            let name = names == nil ? String(i) : try stringArg(names?[i], fn, "names[\(i)]")
            layers.append((name, c))
        }
        o.pointee = Registry.shared.insert(try Sequential(named: layers))
    }
}

@c @implementation
public func snn_module_sequential_append(_ seq: OpaquePointer?, _ child: OpaquePointer?) -> snn_status {
    boundary { fn in
        guard let s = try moduleArg(seq, fn, "seq") as? Sequential else {
            throw SNNError(.invalidArgument, "\(fn): seq is not a Sequential")
        }
        try s.append(try moduleArg(child, fn, "child"), caller: fn)
    }
}

// MARK: - Tensor maps

@c @implementation
public func snn_tensor_map_new(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    boundary { fn in try outHandle(out, fn).pointee = Registry.shared.insert(TensorMap()) }
}

@c @implementation
public func snn_tensor_map_free(_ m: OpaquePointer?) -> snn_status { freeHandle(m, TensorMap.self) }

@c @implementation
public func snn_tensor_map_set(_ m: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let map = try mapArg(m, fn)
        let n = try stringArg(name, fn, "name")
        guard !n.isEmpty, n != "__metadata__" else { throw SNNError(.invalidArgument, "\(fn): name '\(n)' is empty or reserved") }
        map.set(n, try tensorArg(t, fn))
    }
}

@c @implementation
public func snn_tensor_map_get(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let map = try mapArg(m, fn)
        let n = try stringArg(name, fn, "name")
        guard let t = map.entries.first(where: { $0.name == n })?.tensor else {
            throw SNNError(.outOfRange, "\(fn): no tensor named '\(n)' (\(map.entries.count) entries)")
        }
        give(t, o)
    }
}

@c @implementation
public func snn_tensor_map_count(_ out: UnsafeMutablePointer<Int>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try mapArg(m, fn).entries.count
    }
}

@c @implementation
public func snn_tensor_map_name(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                _ m: OpaquePointer?, _ index: Int) -> snn_status {
    boundary { fn in
        let map = try mapArg(m, fn)
        guard index >= 0, index < map.entries.count else {
            throw SNNError(.outOfRange, "\(fn): index \(index) out of range for \(map.entries.count) entries")
        }
        try writeString(map.entries[index].name, buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_tensor_map_set_metadata(_ m: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let map = try mapArg(m, fn)
        let k = try stringArg(key, fn, "key"), v = try stringArg(value, fn, "value")
        if let i = map.metadata.firstIndex(where: { $0.key == k }) { map.metadata[i].value = v } else { map.metadata.append((k, v)) }
    }
}

@c @implementation
public func snn_tensor_map_get_metadata(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                        _ m: OpaquePointer?, _ key: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let map = try mapArg(m, fn)
        let k = try stringArg(key, fn, "key")
        guard let v = map.metadata.first(where: { $0.key == k })?.value else {
            throw SNNError(.outOfRange, "\(fn): no metadata key '\(k)'")
        }
        try writeString(v, buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_tensor_map_load(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(TensorMap(try SafeTensors.read(path: try stringArg(path, fn, "path"))))
    }
}

@c @implementation
public func snn_tensor_map_save(_ m: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        try mapArg(m, fn).file.write(path: try stringArg(path, fn, "path"))
    }
}

@c @implementation
public func snn_module_named_parameters(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let map = TensorMap()
        map.entries = try moduleArg(m, fn).namedParameters()
        o.pointee = Registry.shared.insert(map)
    }
}
