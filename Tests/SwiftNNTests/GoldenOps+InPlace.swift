// How each golden op of the "inplace" area is called in Swift: the first input copied into a
// non-leaf (x = a * 1), the in-place ops applied to x, x returned (tools/golden/inplace.py).
@testable import SwiftNN

private func one() throws -> Tensor { try Tensor([1], shape: []) }
private func copyOf(_ a: Tensor) throws -> Tensor { try mul(a, try one()) }

let inplaceOps: [String: GoldenOp] = [
    "add_": { x, a in [try addInPlace(try copyOf(x[0]), x[1], alpha: a.double("alpha", 1))] },
    "sub_": { x, a in [try subInPlace(try copyOf(x[0]), x[1], alpha: a.double("alpha", 1))] },
    "mul_": { x, _ in [try mulInPlace(try copyOf(x[0]), x[1])] },
    "div_": { x, _ in [try divInPlace(try copyOf(x[0]), x[1])] },
    "pow_": { x, _ in [try powInPlace(try copyOf(x[0]), x[1])] },
    "pow_scalar_": { x, a in [try powInPlace(try copyOf(x[0]), Float(a.double("exponent")))] },
    "clamp_": { x, a in [try clampInPlace(try copyOf(x[0]), min: Float(a.double("min")), max: Float(a.double("max")))] },
    "neg_": { x, _ in [try negInPlace(try copyOf(x[0]))] },
    "exp_": { x, _ in [try expInPlace(try copyOf(x[0]))] },
    "relu_": { x, _ in [try reluInPlace(try copyOf(x[0]))] },
    "sigmoid_": { x, _ in [try sigmoidInPlace(try copyOf(x[0]))] },
    "tanh_": { x, _ in [try tanhInPlace(try copyOf(x[0]))] },
    "fill_": { x, a in [try fillInPlace(try copyOf(x[0]), a.double("value"))] },
    "zero_": { x, _ in [try zeroInPlace(try copyOf(x[0]))] },
    "copy_": { x, _ in [try copyInPlace(try copyOf(x[0]), x[1])] },
    "chain": { x, _ in
        let t = try copyOf(x[0])
        try mulInPlace(t, try scalarTensor(2, "golden"))
        try addInPlace(t, try scalarTensor(1, "golden"))
        try mulInPlace(t, x[1])
        try subInPlace(t, x[1], alpha: 0.25)
        return [try tanhInPlace(t)]
    },
    "view_write": { x, _ in
        let t = try x[0].clone()
        try mulInPlace(try select(try transpose(t, 0, 1), dim: 0, index: 1), try scalarTensor(3, "golden"))
        try addInPlace(try slice(t, dim: 1, start: 0, end: .max, step: 2), x[1])
        try fillInPlace(try select(t, dim: 0, index: 2), -1)
        try copyInPlace(try select(try transpose(t, 0, 1), dim: 0, index: 0), try select(t, dim: 1, index: 3))
        return [t]
    },
    "view_contiguous": { x, _ in
        let t = try transpose(x[0], 0, 1)
        return [try t.contiguous(),
                try slice(try slice(t, dim: 0, start: 1), dim: 1, start: 0, end: .max, step: 2).contiguous(),
                try expand(x[0], to: [2, 3, 4]).contiguous()]
    },
]
