// How each golden op of the "pool3d" area is called in Swift.
@testable import SwiftNN

extension Attrs {
    /// A (depth, height, width) attribute ("1,2,3"), or nil when absent or "none".
    func triple(_ k: String) -> [Int]? {
        let v = ints(k)
        return v.count == 3 ? v : nil
    }
}

let pool3dOps: [String: GoldenOp] = [
    "max_pool3d": { x, a in
        let (out, indices) = try maxPool3dWithIndices(x[0], kernelSize: a.triple("kernel") ?? [1, 1, 1], stride: a.triple("stride"),
                                                      padding: a.triple("padding") ?? [0, 0, 0], dilation: a.triple("dilation") ?? [1, 1, 1],
                                                      ceilMode: a.bool("ceil_mode"))
        return [out, indices]
    },
    "avg_pool3d": { x, a in
        let divisor = a.int("divisor_override", 0)
        return [try avgPool3d(x[0], kernelSize: a.triple("kernel") ?? [1, 1, 1], stride: a.triple("stride"),
                              padding: a.triple("padding") ?? [0, 0, 0], ceilMode: a.bool("ceil_mode"),
                              countIncludePad: a.bool("count_include_pad", true), divisorOverride: divisor > 0 ? divisor : nil)]
    },
]
