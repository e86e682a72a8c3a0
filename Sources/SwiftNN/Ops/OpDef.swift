// The op registry: every engine op is one `OpDef` declared beside its forward and backward
// (`extension OpDef { static let relu = OpDef(...) }`), carrying its ONNX export and import.
// The exporter and importer find ops here; nothing else switches on op names.

/// One engine op: its name, where C and Python reach it, and its ONNX mappings. A class, so
/// that a trace record holds one reference and ops compare by identity.
///
/// - `name` is the engine's name: the trace record's op, the golden manifest's op and the
///   first word of its error messages ("relu", "conv2d").
/// - `cSymbol` and `python` are where users reach it; `Tests/SwiftNNTests/OpRegistryTests`
///   checks that the header declares the symbol, the Python package defines the name, and
///   the golden files hold forward (and, when `differentiable`, backward) cases.
/// - `export` lowers one traced call into ONNX nodes (it throws the reason for an op that has
///   no inference meaning, such as a loss or a training-mode dropout); nil: not exportable.
/// - `imports` maps ONNX op types to compilers of an `ImportKernel`.
///
/// Ops that exist only in ONNX graphs (Shape, Constant, Range, ...) are registered with
/// `OpDef(onnxOnly:imports:)`: they have no engine name, C symbol or golden cases.
public final class OpDef: @unchecked Sendable {
    public let name: String
    let cSymbol: String?
    let python: String?
    let differentiable: Bool
    /// The golden manifest's op names that cover this op (default: its name). Empty only for
    /// identity-like ops (detach, clone) that compute nothing to compare.
    let goldenNames: [String]
    let export: ONNXLowering?
    let imports: [String: ONNXImporter]
    /// For a one-input op without attributes: the forward itself, so that generic callers
    /// (the Swift golden tests) need no table of their own.
    let unaryForward: ((Tensor) throws -> Tensor)?

    init(_ name: String, c cSymbol: String?, python: String?, differentiable: Bool = true, golden: [String]? = nil,
         export: ONNXLowering? = nil, imports: [String: ONNXImporter] = [:], unaryForward: ((Tensor) throws -> Tensor)? = nil) {
        self.name = name
        self.cSymbol = cSymbol
        self.python = python
        self.differentiable = differentiable
        self.goldenNames = golden ?? [name]
        self.export = export
        self.imports = imports
        self.unaryForward = unaryForward
    }

    /// A one-input op without attributes that is one ONNX node of type `onnx` both ways: the
    /// ONNX name is written once, and the exporter, the importer and the golden tests all
    /// reach `forward` through this entry.
    convenience init(unary name: String, c cSymbol: String, python: String, onnx: String, differentiable: Bool = true,
                     _ forward: @escaping (Tensor) throws -> Tensor) {
        self.init(name, c: cSymbol, python: python, differentiable: differentiable,
                  export: { b, r in try b.unary(r, onnx) }, imports: [onnx: { n in try n.unary(forward) }],
                  unaryForward: forward)
    }

    /// An ONNX-only op (no engine name): a graph-level op the importer runs with engine ops.
    convenience init(onnxOnly imports: [String: ONNXImporter]) {
        self.init("", c: nil, python: nil, differentiable: false, imports: imports)
    }

    var isEngineOp: Bool { !name.isEmpty }
}

/// Lowers one traced call of an op into ONNX nodes on the builder (ONNX/Export.swift).
typealias ONNXLowering = (inout GraphBuilder, TraceRecord) throws -> Void
/// Compiles one ONNX node (attributes read and checked once, at load) into a kernel.
typealias ONNXImporter = (ImportNode) throws -> ImportKernel
/// Runs a compiled node on its inputs (nil for an omitted optional input).
typealias ImportKernel = ([Tensor?]) throws -> [Tensor]

/// The lookups over every registered op (the table is generated: OpTable.swift).
enum OpRegistry {
    /// Engine ops by name.
    static let byName: [String: OpDef] = {
        var d: [String: OpDef] = [:]
        for op in OpDef.registered where op.isEngineOp { d[op.name] = op }
        return d
    }()

    /// Importers by ONNX op type.
    nonisolated(unsafe) static let importers: [String: ONNXImporter] = {
        var d: [String: ONNXImporter] = [:]
        for op in OpDef.registered { for (type, f) in op.imports { d[type] = f } }
        return d
    }()

    /// Registration errors (a name or an ONNX type claimed twice), for the registry's test.
    static var conflicts: [String] {
        var names: [String: Int] = [:], types: [String: Int] = [:]
        for op in OpDef.registered {
            if op.isEngineOp { names[op.name, default: 0] += 1 }
            for t in op.imports.keys { types[t, default: 0] += 1 }
        }
        return names.filter { $0.value > 1 }.map { "op '\($0.key)' is declared \($0.value) times" }
            + types.filter { $0.value > 1 }.map { "ONNX type '\($0.key)' is imported by \($0.value) ops" }
    }
}

/// The ONNX op types SwiftNN's importer runs, for callers that select models.
public var onnxImportOps: Set<String> { Set(OpRegistry.importers.keys) }
