// PyTorch's "int to float" one-input ops (exp, log, sqrt, the trigonometric and hyperbolic
// functions, erf, tanh, sigmoid, reciprocal): an integer or bool input is computed in the
// default float dtype, float32, as torch.exp(torch.tensor([1, 2])) is.

/// `t` itself when it is floating point; else its values converted to float32 (through `to`,
/// so an ONNX trace records the Cast). Integer tensors never require grad: nothing to record.
@inline(__always)
func intToFloat(_ t: Tensor) throws -> Tensor {
    t.dtype.isFloatingPoint ? t : try to(t, .float32)
}
