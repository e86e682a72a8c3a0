// Every op in the registry with float64 inputs: each golden case (OpRegistryTests requires one
// for every registered op) runs again with its float32 inputs converted to float64. The op
// must compute in float64 (float64 outputs where PyTorch's would be float32) and agree with
// PyTorch's float32 values and gradients to float32's tolerance; an op that refuses float64
// must be listed in `float64Refusals` with the reason, and a listed op that no longer refuses
// fails the test too, so the list stays true. Exact float64 values and central differences
// in Double are the golden float64 cases' job (dtype area).
import Testing
@testable import SwiftNN

/// Ops that refuse float64 inputs, and why (empty: every registered op takes float64).
let float64Refusals: [String: String] = [:]

/// Cases whose float32 reference a float64 computation cannot match, and why: they must run
/// in float64, but their values are not compared.
let float64Inexact: [String: String] = [
    "dtype/remainder_int64_float32": "int64 values near 1e12 divided by float32 ones: PyTorch computes in float32, whose rounding of the quotient decides the remainder",
]

/// Whether `e` is an op's dtype refusal (rather than a wrong result or another error).
private func isDTypeRefusal(_ e: Error) -> Bool {
    guard let e = e as? SNNError else { return false }
    return e.status == .dtypeMismatch && e.message.contains("float64")
}

/// The value of `t` in `dtype` (float64 results compared with PyTorch's float32 ones).
private func asDType(_ t: Tensor, _ dtype: DType) throws -> Tensor {
    t.dtype == dtype ? t : try GradMode.withoutGrad { try t.detach().to(dtype) }
}

@Test(arguments: goldenAreas())
func everyOpComputesInFloat64(area: String) throws {
    var ran = 0
    for c in try loadGolden(area) where c.inputs.contains(where: { $0.dtype == .float32 }) {
        let op = try #require(goldenOp(c.op), "no Swift binding for golden op '\(c.op)'")
        let leaves = try c.inputs.map { try asDType($0, $0.dtype == .float32 ? .float64 : $0.dtype).clone() }
        for (i, t) in leaves.enumerated() where i < c.grads.count && c.grads[i] != nil { try t.setRequiresGrad(true) }
        let outs: [Tensor]
        do {
            outs = try op(leaves, c.attrs)
        } catch where isDTypeRefusal(error) {
            if float64Refusals[c.op] == nil { Issue.record("\(area)/\(c.name): \(c.op) refuses float64: \(error)") }
            continue
        }
        ran += 1
        if float64Inexact["\(area)/\(c.name)"] != nil { continue }
        for (o, e) in zip(outs, c.outputs) {
            if e.dtype == .float32 && o.dtype != .float64 {
                Issue.record("\(area)/\(c.name): output has dtype \(o.dtype.name), expected float64 from float64 inputs")
                continue
            }
            if let m = mismatch(try asDType(o, e.dtype), e) { Issue.record("\(area)/\(c.name) (float64) forward: \(m)") }
        }
        let pairs = try zip(outs, c.gouts).compactMap { o, g in try g.map { (o, try asDType($0, o.dtype)) } }
        guard !pairs.isEmpty, leaves.contains(where: { $0.requiresGrad }) else { continue }
        for (k, (o, g)) in pairs.enumerated() where o.requiresGrad { try o.backward(g, retainGraph: k < pairs.count - 1) }
        for (i, e) in c.grads.enumerated() {
            guard let e else { continue }
            guard let g = leaves[i].grad else { Issue.record("\(area)/\(c.name) (float64): no gradient for input \(i)"); continue }
            #expect(g.dtype == leaves[i].dtype, "\(area)/\(c.name): gradient of a \(leaves[i].dtype.name) input is \(g.dtype.name)")
            if let m = mismatch(try asDType(g, e.dtype), e) { Issue.record("\(area)/\(c.name) (float64) grad of input \(i): \(m)") }
        }
    }
    // A listed refusal must still refuse wherever its cases live (checked once, in any area).
    if area == goldenAreas().last {
        for (op, _) in float64Refusals where !(try refusesFloat64(op)) {
            Issue.record("\(op) is listed in float64Refusals but computes in float64: remove it from the list")
        }
    }
    if area != "dtype" && area != "compare" { #expect(ran > 0, "\(area): no case ran in float64; the test would prove nothing") }
}

/// Whether some golden case of `op` refuses float64 inputs.
private func refusesFloat64(_ op: String) throws -> Bool {
    for area in goldenAreas() {
        for c in try loadGolden(area) where c.op == op && c.inputs.contains(where: { $0.dtype == .float32 }) {
            guard let f = goldenOp(c.op) else { continue }
            let leaves = try c.inputs.map { try asDType($0, $0.dtype == .float32 ? .float64 : $0.dtype) }
            do { _ = try f(leaves, c.attrs) } catch where isDTypeRefusal(error) { return true }
        }
    }
    return false
}

/// The test can fail: an op made to refuse float64 is reported.
@Test func aFloat64RefusalIsRecognised() throws {
    let t = try Tensor(empty: [2], dtype: .float64, zeroed: true)
    #expect(throws: SNNError.self) { try t.requireFloat("probe") }
    do { try t.requireFloat("probe") } catch { #expect(isDTypeRefusal(error)) }
}
