// Graph fusion at ONNX load time: a Conv followed by an inference BatchNormalization (folded
// into the weights) and/or a Relu, Clip or HardSwish (applied inside the convolution) runs as
// one step (Ops/ConvInference.swift), so neither costs a pass of its own. The fused step runs
// the nodes one by one when a gradient or a trace is recorded.
import SwiftNNKernels

/// conv node index -> the nodes fused into it, in order: a BatchNormalization (inference mode,
/// folded into the weights), an activation (Relu, Clip, HardSwish), or both. Each fused node
/// is the only consumer of the previous one's output, which is not a graph output.
func convFusionChains(_ nodes: [ONNXNode], graphOutputs: [String]) -> [Int: [Int]] {
    var uses: [String: Int] = [:]
    for n in nodes { for i in n.inputs where !i.isEmpty { uses[i, default: 0] += 1 } }
    for o in graphOutputs { uses[o, default: 0] += 1 }
    var consumer: [String: Int] = [:]
    for (j, n) in nodes.enumerated() { for i in n.inputs where !i.isEmpty { consumer[i] = j } }
    let defaultDomain = { (n: ONNXNode) in n.domain.isEmpty || n.domain == "ai.onnx" }
    /// The node that alone consumes node k's only output as its first input.
    func next(_ k: Int) -> Int? {
        let n = nodes[k]
        guard n.outputs.count == 1 || (n.opType == "BatchNormalization" && n.outputs.dropFirst().allSatisfy(\.isEmpty)),
              let o = n.outputs.first, !o.isEmpty, uses[o] == 1, let j = consumer[o], j > k,
              nodes[j].inputs.first == o, defaultDomain(nodes[j]) else { return nil }
        return j
    }
    func isActivation(_ n: ONNXNode) -> Bool { ["Relu", "Clip", "HardSwish"].contains(n.opType) && n.outputs.count == 1 }
    var chains: [Int: [Int]] = [:]
    for (k, n) in nodes.enumerated() where n.opType == "Conv" && defaultDomain(n) && n.outputs.count == 1 {
        guard let j = next(k) else { continue }
        if foldableBatchNorm(nodes[j]) {
            if let a = next(j), isActivation(nodes[a]) { chains[k] = [j, a] } else { chains[k] = [j] }
        } else if isActivation(nodes[j]) {
            chains[k] = [j]
        }
    }
    return chains
}

/// A BatchNormalization in inference mode with its four parameter inputs and one output.
private func foldableBatchNorm(_ n: ONNXNode) -> Bool {
    guard n.opType == "BatchNormalization", n.inputs.count == 5, !n.inputs.contains(where: \.isEmpty),
          n.outputs.dropFirst().allSatisfy(\.isEmpty) else { return false }
    for a in n.attributes {
        switch (a.name, a.value) {
        case ("epsilon", .float), ("momentum", .float): continue
        case ("training_mode", .int(0)), ("spatial", .int(1)): continue
        default: return false
        }
    }
    return true
}

/// The epsilon of a BatchNormalization that `convFusionChains` chose.
func batchNormEpsilon(_ n: ONNXNode, _ label: String) throws -> Double {
    Double(try NodeAttributes(n, label, known: ["epsilon", "momentum", "training_mode", "spatial"]).float("epsilon", 1e-5))
}

/// The activation node's effect, read from its extra inputs (Clip's min and max) at run time.
func compileFusedActivation(_ node: ONNXNode, opset: Int64, label: String) throws -> ([Tensor?]) throws -> FusedActivation {
    switch node.opType {
    case "Relu":
        _ = try NodeAttributes(node, label, known: [])
        return { _ in .relu }
    case "HardSwish":
        _ = try NodeAttributes(node, label, known: [])
        return { _ in .hardswish }
    default:   // Clip
        if opset < 11 {
            let a = try NodeAttributes(node, label, known: ["min", "max"])
            let lo = try a.float("min", -.greatestFiniteMagnitude), hi = try a.float("max", .greatestFiniteMagnitude)
            return { _ in .clamp(lo, hi) }
        }
        _ = try NodeAttributes(node, label, known: [])
        return { extra in
            // extra: Clip's inputs after the first (min, max), either absent.
            let lo = try optionalInput(extra, 0).map { Float(try scalarValue($0, "min")) }
            let hi = try optionalInput(extra, 1).map { Float(try scalarValue($0, "max")) }
            if lo == nil && hi == nil { return .none }
            return .clamp(lo ?? -.greatestFiniteMagnitude, hi ?? .greatestFiniteMagnitude)
        }
    }
}
