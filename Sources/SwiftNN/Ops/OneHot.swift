// torch.nn.functional.one_hot: int64 class indices [*] -> int64 [*, num_classes] with a 1 at
// each index; num_classes = -1 means max(index) + 1. Not differentiable (integers).

public func oneHot(_ indices: Tensor, numClasses: Int = -1) throws -> Tensor {
    let fn = "one_hot"
    guard indices.dtype == .int64 else {
        throw SNNError.dtype("\(fn): one_hot is only applicable to index tensor of type int64, got \(indices.dtype.name)")
    }
    let v = indices.int64s
    var classes = numClasses
    if numClasses == -1 {
        guard indices.count > 0 else { throw SNNError.invalid("\(fn): Can not infer total number of classes from empty tensor.") }
        classes = Int((0..<indices.count).map { v[$0] }.max()!) + 1
    }
    guard classes >= 1, classes <= maxElementCount else {
        throw SNNError.invalid("\(fn): num_classes is \(numClasses); expected -1 or a positive number")
    }
    for i in 0..<indices.count where v[i] < 0 || v[i] >= Int64(classes) {
        throw SNNError.range(v[i] < 0 ? "\(fn): Class values must be non-negative (element \(i) is \(v[i]))"
                                      : "\(fn): Class values must be smaller than num_classes (element \(i) is \(v[i]), num_classes \(classes))")
    }
    let out = try Tensor(empty: indices.shape + [classes], dtype: .int64, zeroed: true, fn)
    for i in 0..<indices.count { out.int64s[i * classes + Int(v[i])] = 1 }
    return out.traced(.oneHot, [indices], [("num_classes", .int(classes))])
}

extension OpDef {
    /// ONNX OneHot(indices, depth, values [off, on]) on the last axis.
    static let oneHot = OpDef("one_hot", c: "snn_tensor_one_hot", python: "one_hot", differentiable: false,
                              export: { b, r in
                                  let x = try b.value(try r.input(0))
                                  let depth = b.constInts([try r.int("num_classes")], scalar: true, "depth")
                                  let values = b.constInts([0, 1], "onehot_values")
                                  b.define(r.outputs[0], b.node1("OneHot", [x.name, depth, values], [ONNXAttribute("axis", .int(-1))]),
                                           batch: x.batch)
                              })
}
