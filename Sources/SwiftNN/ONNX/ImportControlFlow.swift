// ONNX control flow: If and Loop. Each branch or body is a subgraph compiled once, at load, as
// its own ONNXModule whose graph inputs are the outer-scope values it reads (captured by name)
// followed by its own formal inputs; the node passes the captured values in at run time, so
// the subgraph runs on the same importer (fusion, checks, every op) as the main graph.

extension OpDef {
    static let onnxControlFlow = OpDef(onnxOnly: ["If": importIf, "Loop": importLoop])
}

/// The outer-scope names a node's subgraphs read, in first-use order: node inputs (at any
/// depth of nesting) that the subgraph defines nowhere (inputs, initializers, node outputs).
/// The importer passes these to the node after its own inputs.
func capturedNames(_ node: ONNXNode) -> [String] {
    var names: [String] = []
    for a in node.attributes { if case let .graph(g) = a.value { names += captured(g) } }
    return unique(names)
}

private func captured(_ g: ONNXGraph) -> [String] {
    var defined = Set(g.inputs.map(\.name) + g.initializers.map(\.name))
    var used: [String] = []
    for n in g.nodes {
        used += n.inputs.filter { !$0.isEmpty && !defined.contains($0) }
        used += capturedNames(n).filter { !defined.contains($0) }
        defined.formUnion(n.outputs)
    }
    used += g.outputs.map(\.name).filter { !defined.contains($0) }
    return unique(used)
}

private func unique(_ names: [String]) -> [String] {
    var seen = Set<String>()
    return names.filter { seen.insert($0).inserted }
}

/// A subgraph attribute compiled as a module taking `captures` then its formal inputs.
private func compileSubgraph(_ n: ImportNode, _ attribute: String, captures: [String]) throws -> (ONNXModule, formal: Int) {
    guard case let .graph(g)? = n.node.attribute(attribute) else {
        throw SNNError(.format, "\(n.label): the graph attribute '\(attribute)' is missing")
    }
    var sub = g
    sub.inputs = captures.map { ONNXValueInfo(name: $0, elemType: 0, shape: nil) } + g.inputs
    var model = ONNXModel()
    model.opsetImports = [("", n.opset)]
    model.graph = sub
    // Named by the attribute alone: at run time the node's step puts its own label in front
    // of the subgraph's messages; at load time it is added here.
    do {
        return (try ONNXModule(model, what: attribute), g.inputs.count)
    } catch let e as SNNError {
        throw SNNError(e.status, "\(n.label): \(e.message)")
    }
}

/// A condition (bool data is int64 in the engine) as a Swift Bool: its one element is nonzero.
private func truth(_ t: Tensor, _ what: String) throws -> Bool {
    guard t.count == 1 else { throw SNNError.shape("\(what) must hold one value, got shape \(fmt(t.shape))") }
    // Any dtype the engine has (comparisons give bool, bool data imports as int64). The
    // packed tensor is held while its element is read: its storage goes when it does.
    let c = try t.contiguous()
    return withExtendedLifetime(c) { c.element(0) != 0 }
}

/// If: runs then_branch or else_branch (no formal inputs) on the captured values.
private func importIf(_ n: ImportNode) throws -> ImportKernel {
    _ = try n.attrs(["then_branch", "else_branch"])
    let captures = capturedNames(n.node)
    let (thenBranch, thenFormal) = try compileSubgraph(n, "then_branch", captures: captures)
    let (elseBranch, elseFormal) = try compileSubgraph(n, "else_branch", captures: captures)
    guard thenFormal == 0, elseFormal == 0 else { throw SNNError(.format, "\(n.label): If branches take no inputs") }
    let outputs = n.node.outputs.count
    guard thenBranch.outputNames.count == outputs, elseBranch.outputNames.count == outputs else {
        throw SNNError(.format, "\(n.label): the branches have \(thenBranch.outputNames.count) and \(elseBranch.outputNames.count) outputs, the node \(outputs)")
    }
    let own = n.node.inputs.count
    return { xs in
        let branch = try truth(try input(xs, 0, "cond"), "If's cond") ? thenBranch : elseBranch
        return try branch.forward(try capturedValues(xs, from: own, count: captures.count, captures))
    }
}

/// The captured values the importer appended after the node's `from` own inputs.
private func capturedValues(_ xs: [Tensor?], from: Int, count: Int, _ names: [String]) throws -> [Tensor] {
    try (0..<count).map { k in
        guard from + k < xs.count, let t = xs[from + k] else { throw SNNError.invalid("the outer value '\(names[k])' is missing") }
        return t
    }
}

/// Most iterations a Loop without a trip count may run before it is called runaway.
let loopIterationLimit = 1 << 24

/// Loop: inputs M (trip count, optional), cond (optional), then the loop-carried values; the
/// body takes (iteration_num, cond, carried...) and returns (cond, carried..., scan...). The
/// node's outputs are the final carried values, then each scan output stacked along a new
/// first axis.
private func importLoop(_ n: ImportNode) throws -> ImportKernel {
    _ = try n.attrs(["body"])
    let captures = capturedNames(n.node)
    let (body, formal) = try compileSubgraph(n, "body", captures: captures)
    let own = n.node.inputs.count
    let carried = own - 2
    guard carried >= 0, formal == carried + 2 else {
        throw SNNError(.format, "\(n.label): the body takes \(formal) inputs; with \(max(carried, 0)) loop-carried values it needs \(max(carried, 0) + 2) (iteration_num, cond, values)")
    }
    let scans = body.outputNames.count - 1 - carried
    guard scans >= 0, n.node.outputs.count <= carried + scans else {
        throw SNNError(.format, "\(n.label): the body returns \(body.outputNames.count) values, expected cond, \(carried) loop-carried and any scan outputs")
    }
    return { xs in
        let limit = try optionalInput(xs, 0).map { t -> Int in
            guard t.dtype == .int64, t.count == 1 else { throw SNNError.shape("Loop's M must be one int64, got \(t.dtype.name) \(fmt(t.shape))") }
            return Int(t.int64s[0])
        }
        var go = try optionalInput(xs, 1).map { try truth($0, "Loop's cond") } ?? true
        var values = try (0..<carried).map { try input(xs, 2 + $0, "loop-carried value") }
        let outer = try capturedValues(xs, from: own, count: captures.count, captures)
        var scanned = [[Tensor]](repeating: [], count: scans)
        var k = 0
        while go && k < (limit ?? Int.max) {
            guard limit != nil || k < loopIterationLimit else {
                throw SNNError.invalid("no trip count and the condition still true after \(loopIterationLimit) iterations")
            }
            let step = try body.forward(outer + [try Tensor(int64: [Int64(k)], shape: []), try Tensor(int64: [go ? 1 : 0], shape: [])] + values)
            guard step.count == 1 + carried + scans else { throw SNNError(.internalError, "the body returned \(step.count) values") }
            go = try truth(step[0], "the body's cond output")
            values = Array(step[1..<(1 + carried)])
            for s in 0..<scans { scanned[s].append(step[1 + carried + s]) }
            k += 1
        }
        var results = values
        for s in 0..<scans {
            guard !scanned[s].isEmpty else {
                throw SNNError(.unsupported, "scan output \(s) after zero iterations is not supported (its element shape is unknown)")
            }
            results.append(try stack(scanned[s], dim: 0))
        }
        return results
    }
}
