// A convolution and the ReLU after it as one recorded node, for Sequential's Conv2d + ReLU
// pairs in training (SequentialInference.swift fuses them where nothing records). The ReLU is
// applied to each output block inside the convolution, as the inference path does, so the
// separate relu's pass over the output and its second buffer are gone; the backward gates the
// gradient by the output, then runs the convolution's own. The same bits as the two ops.

/// relu(conv2d(input, weight, bias, ...)) as one node named as PyTorch's output of the pair
/// ("ReluBackward"). In float64, or while a tracer records (an exported graph has both nodes),
/// the two ops one after the other.
func conv2dReLU(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
                dilation: (Int, Int), groups: Int) throws -> Tensor {
    guard input.dtype == .float32, weight.dtype == .float32, bias.map({ $0.dtype == .float32 }) ?? true, Tracer.current == nil else {
        return try relu(try conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups))
    }
    let (out, plan) = try convolved(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                                    groups: groups, activation: .relu)  // ConvInference.swift
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    let saved = out.savedForBackward  // not `out`, which owns the node (a cycle)
    return out.recorded("ReluBackward", inputs) { g in
        // forward: out = max(conv, 0): the convolution's gradient is g where out > 0
        try convolutionGradients(plan, try rectifierGradient(g, saved, hi: nil, "relu_backward"), input, weight, bias)
    }
}
