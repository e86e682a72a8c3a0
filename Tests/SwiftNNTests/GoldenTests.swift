// Runs every golden case: forward and every input gradient against PyTorch, then a central-
// difference check (loss accumulated in Double) of the same gradients, and records digests
// that the C and Python tests compare against (build/agreement/swift.txt).
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

/// Every area's op table. A new area adds its table here.
let goldenOps: [String: GoldenOp] = {
    var all: [String: GoldenOp] = [:]
    for table in [coreOps, elementwiseOps, shapeOps, reduceOps, lossOps, convOps, compositeOps, rnnOps, activationOps, compareOps,
                  lossPointwiseOps, normOps, resampleOps, convTransposeOps, inplaceOps, dtypeOps, surfaceOps, pool3dOps] { all.merge(table) { a, _ in a } }
    return all
}()

/// How a golden op is called: its area's table where one is written, else, for a one-input op
/// without attributes, the forward its registry entry carries (`OpDef(unary:...)`), so such an
/// op needs no table line.
func goldenOp(_ name: String) -> GoldenOp? {
    if let op = goldenOps[name] { return op }
    guard let forward = OpRegistry.byName[name]?.unaryForward else { return nil }
    nonisolated(unsafe) let f = forward  // the registry's closures are immutable once built
    return { x, a in
        guard x.count == 1, a.values.isEmpty else { throw SNNError.invalid("\(name): the registry's forward takes one input and no attributes") }
        return [try f(x[0])]
    }
}

/// Cases where central differences cannot measure the gradient, checked against PyTorch only:
/// the composite conv net (a +-0.01 perturbation of random inputs flips max-pool winners and
/// ReLU signs; each of its ops has its own kink-free check) and embedding_padded (the padding
/// row gets no gradient by definition, although the output depends on it).
let skipGradCheck: Set<String> = ["convnet_nll", "embedding_padded"]

/// Runs one case with fresh leaf copies of its inputs; returns outputs and input gradients.
func run(_ c: GoldenCase, withGrad: Bool) throws -> (outs: [Tensor], grads: [Tensor?], leaves: [Tensor]) {
    let op = try #require(goldenOp(c.op), "no Swift binding for golden op '\(c.op)' (a table entry, or OpDef(unary:))")
    let leaves = try c.inputs.map { try $0.clone() }
    if withGrad {
        for (i, t) in leaves.enumerated() where i < c.grads.count && c.grads[i] != nil { try t.setRequiresGrad(true) }
    }
    let outs = try op(leaves, c.attrs)
    var grads: [Tensor?] = []
    if withGrad {
        let pairs = zip(outs, c.gouts).compactMap { o, g in g.map { (o, $0) } }
        for (k, (o, g)) in pairs.enumerated() { try o.backward(g, retainGraph: k < pairs.count - 1) }
        grads = leaves.map { $0.grad }
    }
    return (outs, grads, leaves)
}

@Test(arguments: goldenAreas())
func goldenForwardAndBackward(area: String) throws {
    var lines: [String] = []
    for c in try loadGolden(area) {
        let hasGrad = c.grads.contains { $0 != nil }
        let (outs, grads, _) = try run(c, withGrad: hasGrad)
        #expect(outs.count == c.outputs.count, "\(c.name): \(outs.count) outputs, expected \(c.outputs.count)")
        for (o, e) in zip(outs, c.outputs) {
            if let m = mismatch(o, e) { Issue.record("\(area)/\(c.name) forward: \(m)") }
        }
        for (i, e) in c.grads.enumerated() {
            guard let e else { continue }
            guard i < grads.count, let g = grads[i] else { Issue.record("\(area)/\(c.name): no gradient for input \(i)"); continue }
            if let m = mismatch(g, e) { Issue.record("\(area)/\(c.name) grad of input \(i): \(m)") }
        }
        lines.append("\(area)/\(c.name) \(String(digest(outs + grads.compactMap { $0 }), radix: 16))")
    }
    if area == "core" {
        // Same seed, same random tensors in every language: C and Python add the same line.
        Generator.global.manualSeed(42)
        let r = try Tensor.rand([1000]), n = try Tensor.randn([1000])
        lines.append("random/seed42 \(String(digest([r, n]), radix: 16))")
    }
    try writeAgreement(area: area, lines: lines)
}

/// Central differences: d/dx_i of L = sum_j <out_j, gout_j>, L accumulated in Double. float32
/// leaves step by 1e-2 (the float32 forward's rounding allows no less); float64 leaves by
/// 1e-6, with a tolerance a thousand times tighter, so a float64 gradient is proven to about
/// six digits.
@Test(arguments: goldenAreas())
func goldenGradientsMatchCentralDifferences(area: String) throws {
    for c in try loadGolden(area) where !skipGradCheck.contains(c.op) && c.grads.contains(where: { $0 != nil }) {
        let (_, grads, leaves) = try run(c, withGrad: true)
        let op = try #require(goldenOp(c.op))
        func loss() throws -> Double {
            let outs = try GradMode.withoutGrad { try op(leaves, c.attrs) }
            var l = 0.0
            for (o, g) in zip(outs, c.gouts) {
                guard let g else { continue }
                for k in 0..<o.count { l += floatElement(o, k) * floatElement(g, k) }
            }
            return l
        }
        for (i, leaf) in leaves.enumerated() where i < grads.count && leaf.count <= 256 {
            guard let g = grads[i] else { continue }
            // Double steps only where the whole computation is float64: a float32 output's
            // rounding would swamp a 1e-6 step.
            let double = leaf.dtype == .float64 && c.outputs.allSatisfy { $0.dtype == .float64 }
            let eps = double ? 1e-6 : 1e-2, tol = double ? 2e-5 : 2e-2
            for k in 0..<leaf.count {
                let x0 = floatElement(leaf, k)
                setFloatElement(leaf, k, x0 + eps)
                let lp = try loss()
                setFloatElement(leaf, k, x0 - eps)
                let lm = try loss()
                setFloatElement(leaf, k, x0)
                let numeric = (lp - lm) / (2 * eps)
                let analytic = floatElement(g, k)
                if abs(numeric - analytic) > tol + tol * abs(analytic) {
                    Issue.record("\(area)/\(c.name) input \(i) element \(k): autograd \(analytic), central difference \(numeric)")
                }
            }
        }
    }
}

func writeAgreement(area: String, lines: [String]) throws {
    let dir = repoRoot + "/build/agreement"
    mkdir(repoRoot + "/build", 0o755)
    mkdir(dir, 0o755)
    try File.writeAtomically("\(dir)/swift-\(area).txt", [Array((lines.joined(separator: "\n") + "\n").utf8)])
}
