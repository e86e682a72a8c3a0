// How each golden op of the "conv_transpose" area is called in Swift (conv1d: a conv2d over a
// height of one, as the engine composes it).
@testable import SwiftNN

private func pair(_ a: Attrs, _ k: String) -> (Int, Int) { let v = a.ints(k); return (v[0], v[1]) }

let convTransposeOps: [String: GoldenOp] = [
    "conv_transpose2d": { x, a in
        [try convTranspose2d(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil, stride: pair(a, "stride"),
                             padding: pair(a, "padding"), outputPadding: pair(a, "output_padding"), groups: a.int("groups", 1),
                             dilation: pair(a, "dilation"))]
    },
    "conv_transpose3d": { x, a in
        [try convTranspose3d(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil, stride: a.ints("stride"),
                             padding: a.ints("padding"), outputPadding: a.ints("output_padding"), groups: a.int("groups", 1),
                             dilation: a.ints("dilation"))]
    },
    "conv1d": { x, a in
        let y = try conv2d(try unsqueeze(x[0], dim: -2), weight: try unsqueeze(x[1], dim: 2), bias: x.count > 2 ? x[2] : nil,
                           stride: (1, a.int("stride", 1)), padding: (0, a.int("padding", 0)), dilation: (1, a.int("dilation", 1)),
                           groups: a.int("groups", 1))
        return [try squeeze(y, dims: [-2])]
    },
]
