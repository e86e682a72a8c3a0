// Sequential: children applied in order, named "0", "1", ... as in PyTorch (or given names).

public final class Sequential: Module {
    public init(_ layers: [Module]) {
        super.init()
        for (i, l) in layers.enumerated() { registerChild(String(i), l) }
    }

    public init(named layers: [(String, Module)]) throws {
        super.init()
        var seen = Set<String>()
        for (n, l) in layers {
            // a new container is nobody's child yet: only the nesting limit can be exceeded
            try checkCanAdopt(l, "Sequential")
            guard !n.isEmpty, !n.contains("."), seen.insert(n).inserted else {
                throw SNNError.invalid("Sequential: child name '\(n)' is empty, contains '.', or repeats")
            }
            registerChild(n, l)
        }
    }

    public override var typeName: String { "Sequential" }
    public override var isContainer: Bool { true }

    public override func forward(_ input: Tensor) throws -> Tensor {
        if !training, let y = try inferenceForward(input) { return y }  // fused (SequentialInference.swift)
        var x = input
        for (_, m) in children { x = try m(x) }
        return x
    }

    /// Appends a layer named by its position. Refuses this Sequential itself, a module that
    /// contains it (a cycle) and nesting deeper than `Module.maxNesting`.
    /// `caller` names the function in messages (the C export passes its own name).
    public func append(_ m: Module, caller: String = "Sequential.append") throws {
        try Module.treeLock.withLock {
            try checkCanAdopt(m, caller)
            registerChild(String(children.count), m)
        }
    }
}
