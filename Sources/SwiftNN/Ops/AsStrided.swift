// torch.as_strided: a view of a tensor's storage with any sizes, strides and storage offset,
// bounds-checked against the storage (PyTorch's setStorage check and message), so no view can
// reach memory the storage does not own. Also the way to share strided foreign memory without
// a copy: wrap the whole range a numpy array or C buffer spans, then view it with its strides.

/// torch.as_strided(t, size, stride, storage_offset): shares t's storage. `storageOffset` nil
/// keeps t's. Negative strides are refused, as in PyTorch. Differentiable for a contiguous
/// input whose view stays inside the input's own elements: the gradient of each input element
/// is the sum of the gradients of the view elements that alias it (PyTorch's
/// AsStridedBackward for that case).
public func asStrided(_ t: Tensor, size: [Int], stride: [Int], storageOffset: Int? = nil) throws -> Tensor {
    let fn = "as_strided"
    guard size.count == stride.count else {
        throw SNNError.shape("\(fn): mismatch in length of strides and shape (shape \(fmt(size)) has \(size.count) dimensions, strides \(fmt(stride)) \(stride.count))")
    }
    if let bad = size.first(where: { $0 < 0 }) {
        throw SNNError.shape("\(fn): negative size \(bad) in shape \(fmt(size))")
    }
    guard stride.allSatisfy({ $0 >= 0 }) else {
        throw SNNError.invalid("\(fn): Negative strides are not supported at the moment, got strides: \(fmt(stride))")
    }
    let offset = storageOffset ?? t.storageOffset
    guard offset >= 0 else {
        throw SNNError.invalid("\(fn): Tensor: invalid storage offset \(offset)")
    }
    let count = try elementCount(size, fn)
    let itemSize = t.dtype.byteSize
    let capacity = t.storage.byteCount / itemSize
    // The storage needed: offset + 1 + sum((size_i - 1) * stride_i) elements (none when empty).
    var needed = 0
    if count > 0 {
        var last = offset
        for (n, s) in zip(size, stride) {
            let (step, o1) = (n - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(step)
            guard !o1, !o2 else { throw SNNError.range("\(fn): sizes \(fmt(size)) and strides \(fmt(stride)) overflow") }
            last = sum
        }
        let (n1, o3) = last.addingReportingOverflow(1)
        guard !o3 else { throw SNNError.range("\(fn): sizes \(fmt(size)) and strides \(fmt(stride)) overflow") }
        needed = n1
    }
    guard needed <= capacity else {
        // A huge offset must not overflow the message's byte count (it would trap, not throw).
        let (bytes, big) = needed.multipliedReportingOverflow(by: itemSize)
        throw SNNError.range("\(fn): setStorage: sizes \(fmt(size)), strides \(fmt(stride)), storage offset \(offset), and itemsize \(itemSize) requiring a storage size of \(big ? "more than \(Int.max)" : "\(bytes)") are out of bounds for storage of size \(capacity * itemSize)")
    }
    let v = t.restrided(size, stride, offset: offset)
    guard GradMode.isEnabled && t.requiresGrad else { return v.traced(.asStrided, [t]) }
    guard t.isContiguous else {
        throw SNNError(.unsupported, "\(fn): the input (shape \(fmt(t.shape)), strides \(fmt(t.strides))) requires grad and is not contiguous; differentiating as_strided needs a contiguous input (call contiguous() first)")
    }
    // Where each view element lies among t's elements (t is contiguous: element k at t.offset + k).
    let index = try Tensor(empty: size, dtype: .int64, zeroed: false, fn)
    var k = 0
    var failed = false
    forEachStridedIndex(size, stride, start: offset - t.storageOffset) { i in
        if i < 0 || i >= t.count { failed = true }
        index.int64s[k] = Int64(i)
        k += 1
    }
    guard !failed else {
        throw SNNError(.unsupported, "\(fn): the view (sizes \(fmt(size)), strides \(fmt(stride)), storage offset \(offset)) reaches outside the elements of its input (shape \(fmt(t.shape)), storage offset \(t.storageOffset)), which requires grad: only views inside the input are differentiable")
    }
    let inputShape = t.shape
    return v.traced(.asStrided, [t]).recorded("AsStridedBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out[j] = t.flat[index[j]]  =>  dt.flat[index[j]] += g[j]
        let dt = try Tensor(empty: inputShape, dtype: g.dtype, zeroed: true, "as_strided_backward")
        let gp = try g.packed("as_strided_backward")
        let ix = index.int64s, size = g.dtype.byteSize
        for j in 0..<g.count {
            let dst = dt.rawBytes + Int(ix[j]) * size, src = gp.rawBytes + j * size
            if g.dtype == .float64 {
                dst.assumingMemoryBound(to: Double.self).pointee += src.assumingMemoryBound(to: Double.self).pointee
            } else {
                dst.assumingMemoryBound(to: Float.self).pointee += src.assumingMemoryBound(to: Float.self).pointee
            }
        }
        return [dt]
    }
}

/// Calls `body` with start + sum(index_d * stride_d) for every index of `size`, row-major.
private func forEachStridedIndex(_ size: [Int], _ stride: [Int], start: Int, _ body: (Int) -> Void) {
    if size.contains(0) { return }
    var index = [Int](repeating: 0, count: size.count)
    var position = start
    while true {
        body(position)
        var d = size.count - 1
        while d >= 0 {
            index[d] += 1
            position += stride[d]
            if index[d] < size[d] { break }
            position -= stride[d] * size[d]
            index[d] = 0
            d -= 1
        }
        if d < 0 { return }
    }
}

extension OpDef {
    /// as_strided has no ONNX form (ONNX values have no storage); it is refused on export.
    static let asStrided = OpDef("as_strided", c: "snn_tensor_as_strided", python: "as_strided", golden: [],
                                 export: { _, _ in
                                     throw SNNError(.unsupported, "ONNX export: as_strided has no ONNX equivalent (ONNX tensors have no storage to view)")
                                 })
}
