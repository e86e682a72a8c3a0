// How each golden op of the "conv" area is called in Swift.
@testable import SwiftNN

extension Attrs {
    /// A (height, width) attribute ("2,3"), or nil when absent or "none".
    func pair(_ k: String) -> (Int, Int)? {
        let v = ints(k)
        return v.count == 2 ? (v[0], v[1]) : nil
    }

    /// A float32 vector attribute ("0.5,-1.25") as a 1-D tensor, or nil when absent or "none".
    func vector(_ k: String) throws -> Tensor? {
        guard let v = values[k], v != "none" else { return nil }
        let xs = v.split(separator: ",").compactMap { Double($0) }.map { Float($0) }
        return try Tensor(xs, shape: [xs.count])
    }
}

let convOps: [String: GoldenOp] = [
    "conv2d": { x, a in
        [try conv2d(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil, stride: a.pair("stride") ?? (1, 1),
                    padding: a.pair("padding") ?? (0, 0), dilation: a.pair("dilation") ?? (1, 1), groups: a.int("groups", 1))]
    },
    "max_pool2d": { x, a in
        let (out, indices) = try maxPool2dWithIndices(x[0], kernelSize: a.pair("kernel") ?? (1, 1), stride: a.pair("stride"),
                                                      padding: a.pair("padding") ?? (0, 0), dilation: a.pair("dilation") ?? (1, 1),
                                                      ceilMode: a.bool("ceil_mode"))
        return [out, indices]
    },
    "avg_pool2d": { x, a in
        let divisor = a.int("divisor_override", 0)
        return [try avgPool2d(x[0], kernelSize: a.pair("kernel") ?? (1, 1), stride: a.pair("stride"),
                              padding: a.pair("padding") ?? (0, 0), ceilMode: a.bool("ceil_mode"),
                              countIncludePad: a.bool("count_include_pad", true), divisorOverride: divisor > 0 ? divisor : nil)]
    },
    "adaptive_avg_pool2d": { x, a in [try adaptiveAvgPool2d(x[0], outputSize: a.pair("output_size") ?? (1, 1))] },
    "batch_norm": { x, a in
        let affine = a.bool("affine")
        // Running statistics in the input's dtype (written as float32 values).
        let rm = try a.vector("running_mean")?.to(x[0].dtype), rv = try a.vector("running_var")?.to(x[0].dtype)
        let y = try batchNorm(x[0], runningMean: rm, runningVar: rv, weight: affine ? x[1] : nil, bias: affine ? x[2] : nil,
                              training: a.bool("training"), momentum: a.double("momentum", 0.1), eps: a.double("eps", 1e-5))
        return [y] + [rm, rv].compactMap { $0 }
    },
    "dropout": { x, a in [try dropout(x[0], p: a.double("p", 0.5), training: a.bool("training", true))] },
    "linear": { x, _ in [try linear(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil)] },
]
