// Serving (swiftnn/serving.h): sessions with their own thread count, and loading checkpoints
// by memory mapping or from a buffer.
import CSwiftNN
import SwiftNN

extension EngineSession: HandleNamed { static var handleName: String { "snn_session" } }

extension snn_session_options {
    /// What snn_session_options_init writes and a NULL options pointer means.
    static var defaults: Self { Self(struct_size: MemoryLayout<Self>.stride, num_threads: 1) }
}

extension snn_load_options {
    /// What snn_load_options_init writes and a NULL options pointer means (torch.load's
    /// default: read, not map).
    static var defaults: Self { Self(struct_size: MemoryLayout<Self>.stride, mmap: false) }
}

@c @implementation
public func snn_session_options_init(_ options: UnsafeMutablePointer<snn_session_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_session_create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<snn_session_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let opts = try optionsArg(options, fn) ?? .defaults
        guard opts.num_threads >= 1, opts.num_threads <= 1024 else {
            throw SNNError(.invalidArgument, "\(fn): options->num_threads = \(opts.num_threads), expected 1...1024")
        }
        o.pointee = Registry.shared.insert(try EngineSession(numThreads: Int(opts.num_threads)))
    }
}

@c @implementation
public func snn_session_free(_ s: OpaquePointer?) -> snn_status { freeHandle(s, EngineSession.self, "s") }

@c @implementation
public func snn_session_num_threads(_ out: UnsafeMutablePointer<Int32>?, _ s: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_n")
        o.pointee = Int32(try resolve(s, EngineSession.self, fn, "s").numThreads)
    }
}

@c @implementation
public func snn_session_enter(_ s: OpaquePointer?) -> snn_status {
    boundary { fn in try resolve(s, EngineSession.self, fn, "s").enter() }
}

@c @implementation
public func snn_session_exit(_ s: OpaquePointer?) -> snn_status {
    boundary { fn in try resolve(s, EngineSession.self, fn, "s").exit(fn) }
}

@c @implementation
public func snn_session_module_forward(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ s: OpaquePointer?, _ m: OpaquePointer?,
                                       _ input: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let session = try resolve(s, EngineSession.self, fn, "s")
        let mod = try moduleArg(m, fn)
        let x = try tensorArg(input, fn, "input")
        give(try session.run { try mod.forward(x) }, o)
    }
}

@c @implementation
public func snn_load_options_init(_ options: UnsafeMutablePointer<snn_load_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_module_load_ex(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?,
                               _ options: UnsafePointer<snn_load_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let opts = try optionsArg(options, fn) ?? .defaults
        o.pointee = Registry.shared.insert(try Checkpoint.load(from: try stringArg(path, fn, "path"), mmap: opts.mmap))
    }
}

@c @implementation
public func snn_module_load_buffer(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafeRawPointer?, _ size: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try Checkpoint.load(buffer: try bufferArg(data, size, fn)))
    }
}

@c @implementation
public func snn_tensor_map_load_ex(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?,
                                   _ options: UnsafePointer<snn_load_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let opts = try optionsArg(options, fn) ?? .defaults
        let p = try stringArg(path, fn, "path")
        o.pointee = Registry.shared.insert(TensorMap(opts.mmap ? try SafeTensors.map(path: p) : try SafeTensors.read(path: p)))
    }
}

@c @implementation
public func snn_tensor_map_load_buffer(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafeRawPointer?, _ size: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(TensorMap(try SafeTensors.decode(buffer: try bufferArg(data, size, fn))))
    }
}

/// A caller's byte buffer (NULL only when size is 0).
private func bufferArg(_ data: UnsafeRawPointer?, _ size: Int, _ fn: String) throws -> UnsafeRawBufferPointer {
    guard size >= 0 else { throw SNNError(.invalidArgument, "\(fn): size \(size) is negative") }
    guard let data else {
        if size == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        throw SNNError(.invalidArgument, "\(fn): data is NULL but size is \(size)")
    }
    return UnsafeRawBufferPointer(start: data, count: size)
}
