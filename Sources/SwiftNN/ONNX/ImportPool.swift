// ONNX MaxPool and AveragePool import, 1-D to 3-D. 1-D and 2-D windows run on the 2-D engine
// ops (max_pool2d's fast paths); 3-D windows, dilated averages and MaxPool's Indices output run
// on the 3-D ones (max_pool3d, avg_pool3d) with the lower-rank input seen as a volume of depth
// one. Padding PyTorch's ops cannot express (asymmetric, or beyond half the kernel) is applied
// explicitly first.

/// MaxPool (`isMax`) or AveragePool.
func compilePool(_ node: ONNXNode, opset: Int64, _ label: String, isMax: Bool) throws -> ImportKernel {
    let a = try NodeAttributes(node, label, known: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides",
                                                   isMax ? "storage_order" : "count_include_pad"])
    guard let kernel = try a.ints("kernel_shape") else { throw SNNError(.format, "\(label): kernel_shape is required") }
    let s = kernel.count
    guard (1...3).contains(s) else {
        throw SNNError(.unsupported, "\(label): \(s)-D windows are not supported (1-D, 2-D and 3-D are)")
    }
    _ = try windowParameter(a, "kernel_shape", spatial: s, 1)
    let strides = try windowParameter(a, "strides", spatial: s, 1)
    let dilations = try windowParameter(a, "dilations", spatial: s, 1)
    let pads = try WindowPads(a, spatial: s)
    let ceil = try a.int("ceil_mode", 0) != 0
    let includePad = try a.int("count_include_pad", 0) != 0
    let storageOrder = try a.int("storage_order", 0)
    guard storageOrder == 0 || storageOrder == 1 else {
        throw SNNError(.format, "\(label): storage_order is \(storageOrder), expected 0 (row major) or 1 (column major)")
    }
    let wantsIndices = isMax && node.outputs.count > 1 && !node.outputs[1].isEmpty
    let volume = s == 3 || wantsIndices || (!isMax && dilations.contains { $0 != 1 })
    return { xs in
        let x = try input(xs, 0)
        guard x.rank == s + 2 else {
            throw SNNError.shape("\(label): input has shape \(fmt(x.shape)); this node is \(s)-D, so it expects rank \(s + 2)")
        }
        let p = pads.resolve(Array(x.shape.suffix(s)), kernel: kernel, strides: strides, dilations: dilations)
        if volume {
            let window = PoolWindow(kernel: kernel, strides: strides, dilations: dilations, pads: p, ceil: ceil)
            return try poolVolume(x, window, isMax: isMax, includePad: includePad, indices: wantsIndices ? storageOrder : nil)
        }
        return [try windowed(x, spatial: s, label) { x4 in
            var p = p
            let k = s == 2 ? kernel : [1] + kernel, st = s == 2 ? strides : [1] + strides, di = s == 2 ? dilations : [1] + dilations
            if s == 1 { p.insert((0, 0), at: 0) }
            let symmetric = p[0].0 == p[0].1 && p[1].0 == p[1].1 && p[0].0 <= k[0] / 2 && p[1].0 <= k[1] / 2
            var xin = x4, pad = (p[0].0, p[1].0)
            if !symmetric {
                let v: Float = isMax ? -.infinity : 0
                if !isMax && !includePad {
                    // Window sums over the zero-padded input divided by the number of real
                    // elements in each window (the same pooling of a padded tensor of ones).
                    func pooled(_ t: Tensor) throws -> Tensor {
                        let tp = try padded(try padded(t, dim: 2, before: p[0].0, after: p[0].1, value: 0), dim: 3, before: p[1].0, after: p[1].1, value: 0)
                        return try avgPool2d(tp, kernelSize: (k[0], k[1]), stride: (st[0], st[1]), ceilMode: ceil, countIncludePad: true)
                    }
                    return try div(try pooled(x4), try pooled(try Tensor.full(x4.shape, 1)))
                }
                xin = try padded(try padded(x4, dim: 2, before: p[0].0, after: p[0].1, value: v), dim: 3, before: p[1].0, after: p[1].1, value: v)
                pad = (0, 0)
            }
            if isMax {
                return try maxPool2d(xin, kernelSize: (k[0], k[1]), stride: (st[0], st[1]), padding: pad, dilation: (di[0], di[1]), ceilMode: ceil)
            }
            return try avgPool2d(xin, kernelSize: (k[0], k[1]), stride: (st[0], st[1]), padding: pad, ceilMode: ceil, countIncludePad: includePad)
        }]
    }
}

/// A pooling window over the last `kernel.count` dimensions, pads resolved to (begin, end).
private struct PoolWindow {
    let kernel, strides, dilations: [Int]
    let pads: [(Int, Int)]
    let ceil: Bool

    /// The same window over three dimensions: missing leading ones are size-one windows.
    var lifted: PoolWindow {
        let m = 3 - kernel.count, ones = [Int](repeating: 1, count: m)
        return PoolWindow(kernel: ones + kernel, strides: ones + strides, dilations: ones + dilations,
                          pads: [(Int, Int)](repeating: (0, 0), count: m) + pads, ceil: ceil)
    }
}

/// MaxPool or AveragePool on the 3-D engine ops; with `indices` (MaxPool's storage_order) also
/// ONNX's Indices output.
private func poolVolume(_ x: Tensor, _ window: PoolWindow, isMax: Bool, includePad: Bool, indices storageOrder: Int?) throws -> [Tensor] {
    let s = window.kernel.count, w = window.lifted
    let spatial = Array(x.shape.suffix(s))
    let dims = [Int](repeating: 1, count: 3 - s) + spatial
    let x5 = try reshape(x, [x.shape[0], x.shape[1]] + dims)
    let symmetric = w.pads.enumerated().allSatisfy { i, p in p.0 == p.1 && p.0 <= w.kernel[i] / 2 }
    let fill: Float = isMax ? -.infinity : 0
    var xin = x5
    if !symmetric {
        for (i, p) in w.pads.enumerated() where p != (0, 0) { xin = try padded(xin, dim: i + 2, before: p.0, after: p.1, value: fill) }
    }
    let padding = symmetric ? w.pads.map { $0.0 } : [0, 0, 0]
    let y5: Tensor
    var onnxIndices: Tensor? = nil
    if isMax {
        let (v, i) = try maxPool3dWithIndices(xin, kernelSize: w.kernel, stride: w.strides, padding: padding, dilation: w.dilations, ceilMode: w.ceil)
        y5 = v
        if let order = storageOrder {
            let begin = symmetric ? [0, 0, 0] : w.pads.map { $0.0 }
            onnxIndices = try flattenedPoolIndices(i, padded: Array(xin.shape.suffix(3)), begin: begin, real: dims, columnMajor: order == 1)
        }
    } else if !symmetric && !includePad {
        // Sums over the zero-padded input divided by the count of real elements in each window
        // (the same pooling of a padded tensor of ones).
        func pooled(_ t: Tensor) throws -> Tensor {
            var tp = t
            for (i, p) in w.pads.enumerated() where p != (0, 0) { tp = try padded(tp, dim: i + 2, before: p.0, after: p.1, value: 0) }
            return try avgPool3d(tp, kernelSize: w.kernel, stride: w.strides, ceilMode: w.ceil, countIncludePad: true, dilation: w.dilations)
        }
        y5 = try div(try pooled(x5), try pooled(try Tensor.full(x5.shape, 1)))
    } else {
        y5 = try avgPool3d(xin, kernelSize: w.kernel, stride: w.strides, padding: padding, ceilMode: w.ceil,
                           countIncludePad: includePad, dilation: w.dilations)
    }
    let outShape = [x.shape[0], x.shape[1]] + Array(y5.shape.suffix(s))
    return [try reshape(y5, outShape)] + (try onnxIndices.map { [try reshape($0, outShape)] } ?? [])
}

/// ONNX MaxPool's Indices from max_pool3d's: max_pool3d numbers positions within each volume of
/// the (possibly padded) input; ONNX numbers them over the whole unpadded tensor, row major
/// (storage_order 0: ((plane * D + d) * H + h) * W + w) or with the spatial dimensions column
/// major (1: plane * D H W + (w * H + h) * D + d).
private func flattenedPoolIndices(_ indices: Tensor, padded: [Int], begin: [Int], real: [Int], columnMajor: Bool) throws -> Tensor {
    let fn = "MaxPool Indices"
    let out = try Tensor(empty: indices.shape, dtype: .int64, zeroed: false, fn)
    let src = indices.int64s, dst = out.int64s
    let outVolume = indices.shape.suffix(3).reduce(1, *), volume = real.reduce(1, *)
    for e in 0..<indices.count {
        let k = Int(src[e])
        // A window entirely in the padding has no position (-1), as max_pool3d.
        guard k >= 0 else { dst[e] = -1; continue }
        let d = k / (padded[1] * padded[2]) - begin[0], h = k / padded[2] % padded[1] - begin[1], w = k % padded[2] - begin[2]
        let within = columnMajor ? (w * real[1] + h) * real[0] + d : (d * real[1] + h) * real[2] + w
        dst[e] = Int64(e / outVolume * volume + within)
    }
    return out
}
