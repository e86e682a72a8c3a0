// The base of every layer and model: named parameters, buffers and children in registration
// order (so state-dict keys are PyTorch's: `conv1.weight`, `0.bias`, `bn.running_mean`),
// train/eval mode, freezing, and the architecture description checkpoints rebuild from.

open class Module {
    /// Training mode (dropout active, batch norm on batch statistics).
    public internal(set) var training = true
    public private(set) var children: [(name: String, module: Module)] = []
    public private(set) var ownParameters: [(name: String, tensor: Tensor)] = []
    public private(set) var ownBuffers: [(name: String, tensor: Tensor)] = []
    /// The containers this module is a child of, and the modules on its longest downward
    /// path (itself included): kept by `registerChild` so that ModuleTree.swift can refuse
    /// cycles and over-deep nesting without walking the whole tree.
    var parentLinks: [WeakModule] = []
    var height = 1

    public init() {}

    /// The layer's type name as PyTorch spells it (`Conv2d`), used in summaries and checkpoints.
    open var typeName: String { "Module" }

    /// Constructor arguments as JSON, so `ModuleRegistry.build` can make the module again.
    open var config: [(String, JSON)] { [] }

    /// The general forward: several inputs, several outputs. Layers with one input and one
    /// output override `forward(_:)` instead.
    open func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 else {
            throw SNNError.invalid("\(typeName).forward: expected 1 input tensor, got \(inputs.count)")
        }
        return [try forward(inputs[0])]
    }

    /// Forward with absent optional inputs as nil (the C API's NULL entries: an LSTM's
    /// `x, NULL, NULL, lengths`). Layers with optional inputs override; others need them all.
    open func forward(optional inputs: [Tensor?]) throws -> [Tensor] {
        let present = inputs.compactMap { $0 }
        guard present.count == inputs.count else {
            throw SNNError.invalid("\(typeName).forward: input \(inputs.firstIndex { $0 == nil } ?? 0) is absent (NULL), but \(typeName) has no optional inputs")
        }
        return try forward(present)
    }

    open func forward(_ input: Tensor) throws -> Tensor {
        throw SNNError(.unsupported, "\(typeName) does not implement forward")
    }

    /// `forward(input)`, reporting the output to a feature extraction running on this thread
    /// (`extractFeatures(_:names:)`): containers call their children this way.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let y = try forward(input)
        try FeatureCapture.report(self, y)
        return y
    }

    // MARK: Registration

    /// Adds a trainable parameter (a leaf that requires grad).
    @discardableResult
    public func registerParameter(_ name: String, _ t: Tensor) throws -> Tensor {
        try t.setRequiresGrad(true)
        ownParameters.append((name, t))
        return t
    }

    /// Adds a buffer: state saved in the state dict but not trained (running statistics).
    @discardableResult
    public func registerBuffer(_ name: String, _ t: Tensor) -> Tensor {
        ownBuffers.append((name, t))
        return t
    }

    @discardableResult
    public func registerChild<M: Module>(_ name: String, _ m: M) -> M {
        children.append((name, m))
        m.adopted(by: self)
        return m
    }

    // MARK: Traversal

    /// Parameters of this module and its descendants, depth first, each tensor once.
    public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var out: [(name: String, tensor: Tensor)] = []
        visit(prefix: prefix) { path, m in
            for (n, t) in m.ownParameters where seen.insert(ObjectIdentifier(t)).inserted { out.append((path + n, t)) }
        }
        return out
    }

    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// Parameters and buffers by PyTorch key, in PyTorch's order (a module's own parameters,
    /// then its buffers, then each child's entries).
    public func stateDict(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        visit(prefix: prefix) { path, m in
            for (n, t) in m.ownParameters { out.append((path + n, t)) }
            for (n, t) in m.ownBuffers { out.append((path + n, t)) }
        }
        return out
    }

    /// Pre-order walk with dotted paths (`""`, `"features."`, `"features.0."`).
    public func visit(prefix: String = "", _ body: (String, Module) throws -> Void) rethrows {
        try body(prefix, self)
        for (n, c) in children { try c.visit(prefix: prefix + n + ".", body) }
    }

    /// Copies values from `entries` into this module's parameters and buffers in place (so
    /// optimizers holding them see the new values). With `strict`, missing and unexpected keys
    /// are errors, as in PyTorch's `load_state_dict`. Every problem is reported at once in
    /// PyTorch's words (a list only when it is nonempty; a size mismatch names the key and both
    /// shapes), and nothing is copied then.
    public func loadStateDict(_ entries: [(name: String, tensor: Tensor)], strict: Bool = true) throws {
        let mine = stateDict()
        var given: [String: Tensor] = [:]
        for (n, t) in entries { given[n] = t }
        var errors: [String] = []
        func quoted(_ keys: [String]) -> String { keys.map { "\"\($0)\"" }.joined(separator: ", ") }
        if strict {
            let missing = mine.map(\.name).filter { given[$0] == nil }
            let known = Set(mine.map(\.name))
            let unexpected = entries.map(\.name).filter { !known.contains($0) }
            if !missing.isEmpty { errors.append("Missing key(s) in state_dict: \(quoted(missing)).") }
            if !unexpected.isEmpty { errors.append("Unexpected key(s) in state_dict: \(quoted(unexpected)).") }
        }
        var status = Status.format
        for (n, dst) in mine {
            guard let src = given[n] else { continue }
            if src.shape != dst.shape {
                status = .shapeMismatch
                errors.append("size mismatch for \(n): copying a param with shape \(fmt(src.shape)) from checkpoint, the shape in current model is \(fmt(dst.shape)).")
            } else if src.dtype != dst.dtype {
                if status == .format { status = .dtypeMismatch }
                errors.append("dtype mismatch for \(n): copying a param of dtype \(src.dtype.name) from checkpoint, the dtype in current model is \(dst.dtype.name).")
            }
        }
        if !errors.isEmpty {
            throw SNNError(status, "load_state_dict: Error(s) in loading state_dict for \(typeName): " + errors.joined(separator: " "))
        }
        for (n, dst) in mine {
            if let src = given[n] { try dst.copyValues(from: src) }
        }
    }

    // MARK: Modes

    /// Sets training mode on this module and every descendant (PyTorch's `train()`/`eval()`).
    public func train(_ on: Bool = true) {
        visit { _, m in m.training = on }
    }

    /// Freezes or unfreezes every parameter (PyTorch's `requires_grad_`).
    public func setRequiresGrad(_ on: Bool) throws {
        for (_, t) in namedParameters() { try t.setRequiresGrad(on) }
    }

    /// Number of parameter elements (optionally only those that require grad).
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        namedParameters().filter { !trainableOnly || $0.tensor.requiresGrad }.reduce(0) { $0 + $1.tensor.count }
    }

    public func child(_ name: String) -> Module? { children.first { $0.name == name }?.module }

    // MARK: Architecture

    /// `{"type": ..., "config": {...}, "children": [{"name": ..., ...}]}`: enough for
    /// `ModuleRegistry.build` to make an identical, freshly initialised module.
    open var architecture: JSON {
        var fields: [(String, JSON)] = [("type", .string(typeName)), ("config", .object(config))]
        if isContainer {
            fields.append(("children", .array(children.map { n, m in
                var a = m.architecture.object ?? []
                a.insert(("name", .string(n)), at: 0)
                return .object(a)
            })))
        }
        return .object(fields)
    }

    /// Containers describe their children; layers own theirs (an LSTM's cells, say).
    open var isContainer: Bool { false }
}
