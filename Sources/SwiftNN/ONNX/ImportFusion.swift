// Graph fusion at ONNX load time: a Conv whose only consumer is a Relu, Clip or HardSwish runs
// as one step, the activation applied inside the convolution (Ops/ConvInference.swift), so
// the activation costs no pass of its own. The fused step falls back to the two ops when a
// gradient or a trace is recorded.
import SwiftNNKernels

/// conv node index -> index of the activation node fused into it.
func convActivationFusions(_ nodes: [ONNXNode], graphOutputs: [String]) -> [Int: Int] {
    var uses: [String: Int] = [:]
    for n in nodes { for i in n.inputs where !i.isEmpty { uses[i, default: 0] += 1 } }
    for o in graphOutputs { uses[o, default: 0] += 1 }
    var consumer: [String: Int] = [:]
    for (j, n) in nodes.enumerated() { for i in n.inputs where !i.isEmpty { consumer[i] = j } }
    var fusions: [Int: Int] = [:]
    for (k, n) in nodes.enumerated() where n.opType == "Conv" && (n.domain.isEmpty || n.domain == "ai.onnx") {
        guard n.outputs.count == 1, let o = n.outputs.first, !o.isEmpty, uses[o] == 1, let j = consumer[o], j > k else { continue }
        let a = nodes[j]
        guard ["Relu", "Clip", "HardSwish"].contains(a.opType), a.domain.isEmpty || a.domain == "ai.onnx",
              a.inputs.first == o, a.outputs.count == 1 else { continue }
        fusions[k] = j
    }
    return fusions
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
