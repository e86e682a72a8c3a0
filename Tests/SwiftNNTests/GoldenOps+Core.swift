// How each golden op of the "core" area is called in Swift.
@testable import SwiftNN

typealias GoldenOp = @Sendable (_ inputs: [Tensor], _ attrs: Attrs) throws -> [Tensor]

let coreOps: [String: GoldenOp] = [
    "add": { x, _ in [try add(x[0], x[1])] },
    "sub": { x, _ in [try sub(x[0], x[1])] },
    "mul": { x, _ in [try mul(x[0], x[1])] },
    "div": { x, _ in [try div(x[0], x[1])] },
    "matmul": { x, _ in [try matmul(x[0], x[1])] },
    "sum": { x, a in [try sum(x[0], dims: a.ints("dims"), keepdim: a.bool("keepdim"))] },
    "mean": { x, a in [try mean(x[0], dims: a.ints("dims"), keepdim: a.bool("keepdim"))] },
]
