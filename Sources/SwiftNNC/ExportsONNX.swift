// ONNX export by tracing, and import (swiftnn/onnx.h).
import CSwiftNN
import SwiftNN

/// The snn_onnx_trace handle: a tracer recording on the thread that began it.
final class TraceHandle: HandleNamed {
    static var handleName: String { "snn_onnx_trace" }
    let tracer: Tracer
    init(_ t: Tracer) { tracer = t }
    deinit { tracer.end() }
}

func traceArg(_ h: OpaquePointer?, _ fn: String) throws -> TraceHandle {
    try resolve(h, TraceHandle.self, fn, "tr")
}

func onnxModuleArg(_ h: OpaquePointer?, _ fn: String) throws -> ONNXModule {
    let m = try moduleArg(h, fn)
    guard let o = m as? ONNXModule else {
        throw SNNError(.invalidArgument, "\(fn): m is a \(m.typeName) module, not a model loaded by snn_onnx_load")
    }
    return o
}

/// NULL, or `n` distinct non-empty names.
func namesArg(_ p: UnsafePointer<UnsafePointer<CChar>?>?, _ n: Int, _ fn: String, _ arg: String) throws -> [String]? {
    guard let p else { return nil }
    var out: [String] = []
    for i in 0..<n {
        let s = try stringArg(p[i], fn, "\(arg)[\(i)]")
        guard !s.isEmpty else { throw SNNError(.invalidArgument, "\(fn): \(arg)[\(i)] is empty") }
        guard !out.contains(s) else { throw SNNError(.invalidArgument, "\(fn): \(arg)[\(i)] '\(s)' repeats an earlier name") }
        out.append(s)
    }
    return out
}

@c @implementation
public func snn_onnx_export(_ m: OpaquePointer?, _ exampleInput: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let mod = try moduleArg(m, fn)
        let x = try tensorArg(exampleInput, fn, "example_input")
        let p = try stringArg(path, fn, "path")
        try ONNXExport.export(mod, exampleInputs: [x], to: p)
    }
}

@c @implementation
public func snn_onnx_trace_begin(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(TraceHandle(try Tracer.begin()))
    }
}

@c @implementation
public func snn_onnx_trace_end(_ tr: OpaquePointer?) -> snn_status {
    boundary { fn in try traceArg(tr, fn).tracer.end() }
}

@c @implementation
public func snn_onnx_trace_count(_ out: UnsafeMutablePointer<Int>?, _ tr: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try traceArg(tr, fn).tracer.records.count
    }
}

@c @implementation
public func snn_onnx_trace_export(_ tr: OpaquePointer?, _ inputs: UnsafePointer<OpaquePointer?>?, _ nInputs: Int,
                                  _ inputNames: UnsafePointer<UnsafePointer<CChar>?>?, _ outputs: UnsafePointer<OpaquePointer?>?,
                                  _ nOutputs: Int, _ outputNames: UnsafePointer<UnsafePointer<CChar>?>?,
                                  _ names: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let t = try traceArg(tr, fn)
        let xs = try tensorsArg(inputs, nInputs, fn, "inputs")
        let ys = try tensorsArg(outputs, nOutputs, fn, "outputs")
        var options = ONNXExportOptions()
        options.inputNames = try namesArg(inputNames, xs.count, fn, "input_names")
        options.outputNames = try namesArg(outputNames, ys.count, fn, "output_names")
        let map = try names.map { try mapArg($0, fn, "names") }
        let p = try stringArg(path, fn, "path")
        t.tracer.end()
        let model = try ONNXExport.model(t.tracer.records, inputs: xs, outputs: ys, names: map?.entries ?? [], options: options)
        try ONNXExport.write(model, to: p)
    }
}

@c @implementation
public func snn_onnx_trace_free(_ tr: OpaquePointer?) -> snn_status {
    boundary { fn in
        guard let tr else { return }
        try traceArg(tr, fn).tracer.end()
        _ = Registry.shared.remove(tr)
    }
}

@c @implementation
public func snn_onnx_load(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try ONNXModule.load(path: try stringArg(path, fn, "path")))
    }
}

@c @implementation
public func snn_onnx_input_count(_ out: UnsafeMutablePointer<Int>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try onnxModuleArg(m, fn).inputNames.count
    }
}

@c @implementation
public func snn_onnx_output_count(_ out: UnsafeMutablePointer<Int>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try onnxModuleArg(m, fn).outputNames.count
    }
}

func nameAt(_ names: [String], _ index: Int, _ what: String, _ fn: String) throws -> String {
    guard index >= 0, index < names.count else {
        throw SNNError(.outOfRange, "\(fn): index \(index) out of range for \(names.count) \(what)")
    }
    return names[index]
}

@c @implementation
public func snn_onnx_input_name(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                _ m: OpaquePointer?, _ index: Int) -> snn_status {
    boundary { fn in
        let mod = try onnxModuleArg(m, fn)
        try writeString(try nameAt(mod.inputNames, index, "inputs", fn), buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_onnx_output_name(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                 _ m: OpaquePointer?, _ index: Int) -> snn_status {
    boundary { fn in
        let mod = try onnxModuleArg(m, fn)
        try writeString(try nameAt(mod.outputNames, index, "outputs", fn), buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_onnx_plan_report(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                 _ m: OpaquePointer?, _ input: OpaquePointer?, _ runs: Int32) -> snn_status {
    boundary { fn in
        let mod = try onnxModuleArg(m, fn)
        let x = try tensorArg(input, fn, "input")
        try writeString(try mod.planReport(x, runs: Int(runs)), buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_onnx_set_planned(_ m: OpaquePointer?, _ enabled: Bool) -> snn_status {
    boundary { fn in
        let mod = try onnxModuleArg(m, fn)
        mod.usesPlan = enabled
    }
}

@c @implementation
public func snn_onnx_trace_module(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ tr: OpaquePointer?,
                                  _ inputs: UnsafePointer<OpaquePointer?>?, _ nInputs: Int,
                                  _ outputs: UnsafePointer<OpaquePointer?>?, _ nOutputs: Int,
                                  _ names: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let t = try traceArg(tr, fn)
        let xs = try tensorsArg(inputs, nInputs, fn, "inputs")
        let ys = try tensorsArg(outputs, nOutputs, fn, "outputs")
        let entries = try names.map { try mapArg($0, fn, "names") }?.entries ?? []
        t.tracer.end()
        let model = try ONNXExport.model(t.tracer.records, inputs: xs, outputs: ys, names: entries)
        // The module's own parameters and buffers, not copies: in-place updates reach it.
        let live = Dictionary(entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        o.pointee = Registry.shared.insert(try ONNXModule(model, what: "\(fn): the traced graph", live: live))
    }
}
