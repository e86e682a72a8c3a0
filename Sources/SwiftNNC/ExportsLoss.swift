// Loss functions (swiftnn/loss.h).
import CSwiftNN
import SwiftNN

/// A C snn_reduction, validated (an enum argument from C or ctypes may hold any integer).
func reductionArg(_ r: snn_reduction, _ fn: String) throws -> Reduction {
    guard let v = Int32(exactly: r.rawValue), let red = Reduction(rawValue: v) else {
        throw SNNError(.invalidArgument, "\(fn): reduction \(r.rawValue) is not one of SNN_REDUCTION_NONE (0), SNN_REDUCTION_MEAN (1), SNN_REDUCTION_SUM (2)")
    }
    return red
}

/// Shared body of the `out = loss(input, target, ...)` exports.
func lossExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ target: OpaquePointer?,
                _ reduction: snn_reduction, _ inputName: String, caller: String = #function,
                _ op: (Tensor, Tensor, Reduction, _ fn: String) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(input, fn, inputName)
        let t = try tensorArg(target, fn, "target")
        give(try op(x, t, try reductionArg(reduction, fn), fn), o)
    }
}

@c @implementation
public func snn_loss_cross_entropy(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ logits: OpaquePointer?, _ target: OpaquePointer?,
                                   _ reduction: snn_reduction, _ ignoreIndex: Int64, _ labelSmoothing: Float) -> snn_status {
    lossExport(out, logits, target, reduction, "logits") { x, t, r, fn in
        try crossEntropy(x, t, reduction: r, ignoreIndex: try intArg(ignoreIndex, fn, "ignore_index"), labelSmoothing: labelSmoothing)
    }
}

@c @implementation
public func snn_loss_nll(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ logProbs: OpaquePointer?, _ target: OpaquePointer?,
                         _ reduction: snn_reduction, _ ignoreIndex: Int64) -> snn_status {
    lossExport(out, logProbs, target, reduction, "log_probs") { x, t, r, fn in
        try nllLoss(x, t, reduction: r, ignoreIndex: try intArg(ignoreIndex, fn, "ignore_index"))
    }
}

@c @implementation
public func snn_loss_cross_entropy_weighted(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ logits: OpaquePointer?,
                                            _ target: OpaquePointer?, _ weight: OpaquePointer?, _ reduction: snn_reduction,
                                            _ ignoreIndex: Int64, _ labelSmoothing: Float) -> snn_status {
    lossExport(out, logits, target, reduction, "logits") { x, t, r, fn in
        try crossEntropy(x, t, weight: try weight.map { try tensorArg($0, fn, "weight") }, reduction: r,
                         ignoreIndex: try intArg(ignoreIndex, fn, "ignore_index"), labelSmoothing: labelSmoothing)
    }
}

@c @implementation
public func snn_loss_nll_weighted(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ logProbs: OpaquePointer?, _ target: OpaquePointer?,
                                  _ weight: OpaquePointer?, _ reduction: snn_reduction, _ ignoreIndex: Int64) -> snn_status {
    lossExport(out, logProbs, target, reduction, "log_probs") { x, t, r, fn in
        try nllLoss(x, t, weight: try weight.map { try tensorArg($0, fn, "weight") }, reduction: r,
                    ignoreIndex: try intArg(ignoreIndex, fn, "ignore_index"))
    }
}

@c @implementation
public func snn_loss_mse(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ target: OpaquePointer?,
                         _ reduction: snn_reduction) -> snn_status {
    lossExport(out, input, target, reduction, "input") { x, t, r, _ in try mseLoss(x, t, reduction: r) }
}

@c @implementation
public func snn_loss_l1(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ target: OpaquePointer?,
                        _ reduction: snn_reduction) -> snn_status {
    lossExport(out, input, target, reduction, "input") { x, t, r, _ in try l1Loss(x, t, reduction: r) }
}

@c @implementation
public func snn_loss_smooth_l1(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ target: OpaquePointer?,
                               _ reduction: snn_reduction, _ beta: Double) -> snn_status {
    lossExport(out, input, target, reduction, "input") { x, t, r, _ in try smoothL1Loss(x, t, reduction: r, beta: beta) }
}

@c @implementation
public func snn_loss_huber(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ target: OpaquePointer?,
                           _ reduction: snn_reduction, _ delta: Double) -> snn_status {
    lossExport(out, input, target, reduction, "input") { x, t, r, _ in try huberLoss(x, t, reduction: r, delta: delta) }
}

@c @implementation
public func snn_loss_binary_cross_entropy(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                          _ target: OpaquePointer?, _ weight: OpaquePointer?,
                                          _ reduction: snn_reduction) -> snn_status {
    lossExport(out, input, target, reduction, "input") { x, t, r, fn in
        try binaryCrossEntropy(x, t, weight: try weight.map { try tensorArg($0, fn, "weight") }, reduction: r)
    }
}

@c @implementation
public func snn_loss_binary_cross_entropy_with_logits(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                                      _ target: OpaquePointer?, _ weight: OpaquePointer?,
                                                      _ posWeight: OpaquePointer?, _ reduction: snn_reduction) -> snn_status {
    lossExport(out, input, target, reduction, "input") { x, t, r, fn in
        try binaryCrossEntropyWithLogits(x, t, weight: try weight.map { try tensorArg($0, fn, "weight") },
                                         posWeight: try posWeight.map { try tensorArg($0, fn, "pos_weight") }, reduction: r)
    }
}

@c @implementation
public func snn_loss_kl_div(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ target: OpaquePointer?,
                            _ reduction: snn_reduction, _ batchmean: Bool, _ logTarget: Bool) -> snn_status {
    lossExport(out, input, target, reduction, "input") { x, t, r, _ in
        try klDiv(x, t, reduction: r, batchMean: batchmean, logTarget: logTarget)
    }
}
