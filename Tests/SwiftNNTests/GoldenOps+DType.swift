// How each golden op of the "dtype" area is called in Swift: conversions, floor division and
// remainder, and arithmetic with a Python number (a wrapped number) on either side.
@testable import SwiftNN

/// The manifest's number: `kind` bool, int or float, `value` as Python printed it.
func goldenNumber(_ a: Attrs) throws -> Tensor {
    switch a.string("kind") {
    case "bool": return try Tensor.number(a.int("value") != 0)
    case "int": return try Tensor.number(Int64(a.int("value")))
    default: return try Tensor.number(a.double("value"))
    }
}

func goldenBinary(_ name: String) throws -> (Tensor, Tensor) throws -> Tensor {
    switch name {
    case "add": return add
    case "sub": return sub
    case "mul": return mul
    case "div": return div
    case "floor_divide": return floorDivideOp
    case "remainder": return remainder
    default: throw SNNError.invalid("golden: no binary op '\(name)'")
    }
}

let dtypeOps: [String: GoldenOp] = [
    "to": { x, a in
        guard let d = DType(name: a.string("dtype")) else { throw SNNError.invalid("golden: unknown dtype \(a.string("dtype"))") }
        return [try to(x[0], d)]
    },
    "floor_divide": { x, _ in [try floorDivideOp(x[0], x[1])] },
    "remainder": { x, _ in [try remainder(x[0], x[1])] },
    "scalar_binary": { x, a in
        let op = try goldenBinary(a.string("binary")), n = try goldenNumber(a)
        return [a.bool("reverse") ? try op(n, x[0]) : try op(x[0], n)]
    },
]
