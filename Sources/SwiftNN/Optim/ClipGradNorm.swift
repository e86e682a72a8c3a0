// Gradient clipping by total norm (torch.nn.utils.clip_grad_norm_): the p-norm of all
// gradients taken together, and an in-place rescale when it exceeds max_norm.
import SwiftNNKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gradients of `params` that exist, each once (a gradient shared by two parameters is
/// counted and scaled once).
private func existingGradients(_ params: [Tensor], _ fn: String) throws -> [Tensor] {
    var seen = Set<ObjectIdentifier>()
    var grads: [Tensor] = []
    for (i, p) in params.enumerated() {
        guard let g = p.grad else { continue }
        guard g.dtype == .float32 else {
            throw SNNError.dtype("\(fn): the grad of parameter \(i) has dtype \(g.dtype.name), expected float32")
        }
        if seen.insert(ObjectIdentifier(g)).inserted { grads.append(g) }
    }
    return grads
}

private func checkNormType(_ normType: Double, _ fn: String) throws {
    guard normType == .infinity || (normType.isFinite && normType > 0) else {
        throw SNNError.invalid("\(fn): norm_type \(normType) is not supported; expected a finite value > 0 or inf")
    }
}

/// The `normType`-norm of the concatenation of `grads` (inf: the largest absolute value).
private func totalNorm(_ grads: [Tensor], _ normType: Double) -> Float {
    if normType == .infinity {
        var m: Float = 0
        for g in grads {
            let x = maxAbsoluteValue(g.floats, count: g.count)
            if x.isNaN { return .nan }
            m = max(m, x)
        }
        return m
    }
    var acc = 0.0
    if normType == 2 {
        for g in grads { acc += sumOfSquaresInDouble(g.floats, count: g.count) }
        return Float(acc.squareRoot())
    }
    for g in grads {
        let x = g.floats
        for i in 0..<g.count { acc += pow(Double(abs(x[i])), normType) }
    }
    return Float(pow(acc, 1 / normType))
}

/// Total norm of the gradients of `params` (parameters without a gradient are skipped; 0 if
/// none has one), as `torch.nn.utils.get_total_norm` over their grads.
public func gradientNorm(_ params: [Tensor], normType: Double = 2) throws -> Float {
    let fn = "gradientNorm"
    try checkNormType(normType, fn)
    return totalNorm(try existingGradients(params, fn), normType)
}

/// Rescales the gradients of `params` in place so that their total norm is at most `maxNorm`
/// and returns the total norm before clipping, as `torch.nn.utils.clip_grad_norm_`:
/// every gradient is multiplied by min(1, maxNorm / (total + 1e-6)). A non-finite total
/// propagates into the gradients, as in PyTorch with `error_if_nonfinite=False`.
@discardableResult
public func clipGradNorm(_ params: [Tensor], maxNorm: Double, normType: Double = 2) throws -> Float {
    let fn = "clipGradNorm"
    try checkNormType(normType, fn)
    guard !maxNorm.isNaN, maxNorm >= 0 else { throw SNNError.invalid("\(fn): max_norm \(maxNorm) must be >= 0") }
    let grads = try existingGradients(params, fn)
    if grads.isEmpty { return 0 }
    let total = totalNorm(grads, normType)
    // PyTorch: clip_coef = max_norm * (1 / (total + 1e-6)), clamped to at most 1 (NaN stays NaN).
    let coef = Float(maxNorm) * (1 / (total + 1e-6))
    let clamped = coef.isNaN ? coef : min(coef, 1)
    for g in grads { try g.mutate(fn) { scaleInPlace($0.assumingMemoryBound(to: Float.self), count: g.count, by: clamped) } }
    return total
}
