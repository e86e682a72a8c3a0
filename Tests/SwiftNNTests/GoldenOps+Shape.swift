// How each golden op of the "shape" area is called in Swift.
@testable import SwiftNN

let shapeOps: [String: GoldenOp] = [
    "reshape": { x, a in [try reshape(x[0], a.ints("shape"))] },
    "view": { x, a in [try view(x[0], a.ints("shape"))] },
    "flatten": { x, a in [try flatten(x[0], startDim: a.int("start"), endDim: a.int("end", -1))] },
    "squeeze": { x, a in [try squeeze(x[0], dims: a.ints("dims"))] },
    "unsqueeze": { x, a in [try unsqueeze(x[0], dim: a.int("dim"))] },
    "transpose": { x, a in [try transpose(x[0], a.int("dim0"), a.int("dim1"))] },
    "permute": { x, a in [try permute(x[0], a.ints("dims"))] },
    "slice": { x, a in
        [try slice(x[0], dim: a.int("dim"), start: a.int("start"), end: a.int("end", .max), step: a.int("step", 1))]
    },
    "select": { x, a in [try select(x[0], dim: a.int("dim"), index: a.int("index"))] },
    "index_select": { x, a in [try indexSelect(x[0], dim: a.int("dim"), index: x[1])] },
    "cat": { x, a in [try cat(x, dim: a.int("dim"))] },
    "stack": { x, a in [try stack(x, dim: a.int("dim"))] },
    "expand": { x, a in [try expand(x[0], to: a.ints("shape"))] },
]
