// einsum (swiftnn/ops.h) and ctc_loss (swiftnn/loss.h): the PyTorch-surface ops of issue 17
// that take a tensor list or several integer tensors.
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_einsum(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ equation: UnsafePointer<CChar>?,
                              _ operands: UnsafePointer<OpaquePointer?>?, _ count: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let eq = try stringArg(equation, fn, "equation")
        give(try einsum(eq, try tensorsArg(operands, count, fn, "operands")), o)
    }
}

@c @implementation
public func snn_loss_ctc(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ logProbs: OpaquePointer?, _ targets: OpaquePointer?,
                         _ inputLengths: OpaquePointer?, _ targetLengths: OpaquePointer?, _ blank: Int64,
                         _ reduction: snn_reduction, _ zeroInfinity: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let lp = try tensorArg(logProbs, fn, "log_probs"), t = try tensorArg(targets, fn, "targets")
        let il = try tensorArg(inputLengths, fn, "input_lengths"), tl = try tensorArg(targetLengths, fn, "target_lengths")
        give(try ctcLoss(lp, t, inputLengths: il, targetLengths: tl, blank: try intArg(blank, fn, "blank"),
                         reduction: try reductionArg(reduction, fn), zeroInfinity: zeroInfinity), o)
    }
}
