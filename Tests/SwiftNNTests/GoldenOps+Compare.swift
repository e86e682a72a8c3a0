// How each golden op of the "compare" area is called in Swift (isnan is OpDef(unary:) and needs
// no line). allclose and equal answer with a Bool: the table wraps it as a 0-d bool tensor, as
// the generator wraps torch's.
@testable import SwiftNN

private func boolTensor(_ v: Bool) throws -> Tensor {
    let t = try Tensor(empty: [], dtype: .bool)
    t.bytes[0] = v ? 1 : 0
    return t
}

private func comparison(_ op: Comparison) -> [String: GoldenOp] {
    [op.rawValue: { x, _ in [try compare(x[0], x[1], op)] },
     "\(op.rawValue)_scalar": { x, a in [try compare(x[0], a.double("other"), op)] }]
}

let compareOps: [String: GoldenOp] = {
    var ops: [String: GoldenOp] = [
        "isinf": { x, _ in [try isinf(x[0])] },
        "isfinite": { x, _ in [try isfinite(x[0])] },
        "isclose": { x, a in [try isclose(x[0], x[1], rtol: a.double("rtol"), atol: a.double("atol"), equalNan: a.bool("equal_nan"))] },
        "allclose": { x, a in
            [try boolTensor(try allclose(x[0], x[1], rtol: a.double("rtol", 1e-5), atol: a.double("atol", 1e-8), equalNan: a.bool("equal_nan")))]
        },
        "equal": { x, _ in [try boolTensor(try equal(x[0], x[1]))] },
        "logical_and": { x, _ in [try logicalAnd(x[0], x[1])] },
        "logical_or": { x, _ in [try logicalOr(x[0], x[1])] },
        "logical_xor": { x, _ in [try logicalXor(x[0], x[1])] },
        "logical_not": { x, _ in [try logicalNot(x[0])] },
        "bitwise_and": { x, _ in [try bitwiseAnd(x[0], x[1])] },
        "bitwise_or": { x, _ in [try bitwiseOr(x[0], x[1])] },
        "bitwise_xor": { x, _ in [try bitwiseXor(x[0], x[1])] },
        "bitwise_not": { x, _ in [try bitwiseNot(x[0])] },
        "where": { x, _ in [try SwiftNN.where(x[0], x[1], x[2])] },
        "masked_fill": { x, a in [try maskedFill(x[0], mask: x[1], value: a.double("value"))] },
        "any": { x, a in [try any(x[0], dims: a.ints("dims"), keepdim: a.bool("keepdim"))] },
        "all": { x, a in [try all(x[0], dims: a.ints("dims"), keepdim: a.bool("keepdim"))] },
        "nonzero": { x, _ in [try nonzero(x[0])] },
        "count_nonzero": { x, a in [try countNonzero(x[0], dims: a.ints("dims"))] },
        "sort": { x, a in
            let r = try sort(x[0], dim: a.int("dim"), descending: a.bool("descending"))
            return [r.values, r.indices]
        },
        "argsort": { x, a in [try argsort(x[0], dim: a.int("dim"), descending: a.bool("descending"))] },
        "topk": { x, a in
            let r = try topk(x[0], k: a.int("k"), dim: a.int("dim"), largest: a.bool("largest"))
            return [r.values, r.indices]
        },
        "gather": { x, a in [try gather(x[0], dim: a.int("dim"), index: x[1])] },
        "scatter": { x, a in [try scatter(x[0], dim: a.int("dim"), index: x[1], src: x[2])] },
        "scatter_value": { x, a in [try scatter(x[0], dim: a.int("dim"), index: x[1], value: a.double("value"))] },
        "scatter_add": { x, a in [try scatterAdd(x[0], dim: a.int("dim"), index: x[1], src: x[2])] },
        "index_add": { x, a in [try indexAdd(x[0], dim: a.int("dim"), index: x[1], source: x[2], alpha: a.double("alpha", 1))] },
        "maximum": { x, _ in [try maximum(x[0], x[1])] },
        "minimum": { x, _ in [try minimum(x[0], x[1])] },
        "clamp_tensor": { x, a in
            switch a.string("bounds", "both") {
            case "min": return [try clamp(x[0], min: x[1], max: nil)]
            case "max": return [try clamp(x[0], min: nil, max: x[1])]
            default: return [try clamp(x[0], min: x[1], max: x[2])]
            }
        },
    ]
    for op in Comparison.allCases { ops.merge(comparison(op)) { a, _ in a } }
    return ops
}()
