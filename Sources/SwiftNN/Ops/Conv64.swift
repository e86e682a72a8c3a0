// conv2d and conv_transpose2d in float64, composed from a patch matrix (im2col) and float64
// matmul, so that double-precision gradient checks reach convolutions. The two patch ops are
// each other's adjoint, so each one's backward is the other. Plain loops: these forms exist
// for precision, not speed (the float32 forms keep their SIMD and BLAS kernels).
import SwiftNNKernels

/// The offset into an input plane of patch row (ki, kj) at output position (oh, ow), or nil
/// in the padding.
@inline(__always)
private func patchSource(_ g: WindowGeometry, _ ki: Int, _ kj: Int, _ oh: Int, _ ow: Int) -> Int? {
    let ih = oh * g.strideH - g.padH + ki * g.dilationH, iw = ow * g.strideW - g.padW + kj * g.dilationW
    guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { return nil }
    return ih * g.width + iw
}

/// Runs `body(image, row, column, source)` over every (patch row, output position) pair of
/// `n` images whose source lies inside the input: offsets into [N, C kh kw, L] and
/// [N, C, H, W] layouts.
private func forEachPatchElement(_ g: WindowGeometry, n: Int, _ body: (Int, Int) -> Void) {
    let rows = g.patchSize, plane = g.outPlane, inPlane = g.inPlane
    for i in 0..<n {
        for c in 0..<g.channels {
            for ki in 0..<g.kernelH {
                for kj in 0..<g.kernelW {
                    let row = (c * g.kernelH + ki) * g.kernelW + kj
                    let colBase = (i * rows + row) * plane, srcBase = (i * g.channels + c) * inPlane
                    for oh in 0..<g.outH {
                        for ow in 0..<g.outW {
                            if let s = patchSource(g, ki, kj, oh, ow) { body(colBase + oh * g.outW + ow, srcBase + s) }
                        }
                    }
                }
            }
        }
    }
}

/// F.unfold of a float64 x [N, C, H, W] (C = g.channels): [N, C kh kw, OH OW], zero where a
/// window reaches into the padding. Backward: `foldPatches64`.
func unfoldPatches64(_ x: Tensor, _ g: WindowGeometry) throws -> Tensor {
    let n = x.shape[0]
    let out = try Tensor(empty: [n, g.patchSize, g.outPlane], dtype: .float64, zeroed: true, "unfold")
    let px = x.doubles, po = out.doubles
    forEachPatchElement(g, n: n) { col, src in po[col] = px[src] }
    return out.recorded("Im2ColBackward", [x], saves: [], readsOutput: false) { gout in
        // forward: out[n, row, l] = x[n, c, ih, iw]  =>  dx = fold(gout)
        [try foldPatches64(gout, g, imageShape: x.shape)]
    }
}

/// F.fold, the adjoint of `unfoldPatches64`: sums each column of cols [N, C kh kw, OH OW]
/// back into the positions its window covers, giving [N, C, H, W].
func foldPatches64(_ cols: Tensor, _ g: WindowGeometry, imageShape: [Int]) throws -> Tensor {
    let n = cols.shape[0]
    let out = try Tensor(empty: imageShape, dtype: .float64, zeroed: true, "fold")
    let pc = cols.doubles, po = out.doubles
    forEachPatchElement(g, n: n) { col, dst in po[dst] += pc[col] }
    return out.recorded("Col2ImBackward", [cols], saves: [], readsOutput: false) { gout in
        // forward: out[n, c, ih, iw] = sum of cols over the windows covering it  =>  dcols = unfold(gout)
        [try unfoldPatches64(gout, g)]
    }
}

/// conv2d of float64 tensors (validated by ConvPlan): per group, weight [K/g, C/g kh kw] times
/// the group's patch rows, then the bias.
func conv2d64(_ input: Tensor, weight: Tensor, bias: Tensor?, _ plan: ConvPlan) throws -> Tensor {
    let x = input.rank == 3 ? try unsqueeze(input, dim: 0) : input
    var g = plan.geometry
    g.channels = plan.c
    let cols = try unfoldPatches64(x, g)
    let rows = plan.patchSize
    let w = try reshape(weight, [plan.k, rows])
    var parts: [Tensor] = []
    for i in 0..<plan.groups {
        let wg = try slice(w, dim: 0, start: i * plan.kg, end: (i + 1) * plan.kg)
        parts.append(try matmul(wg, try slice(cols, dim: 1, start: i * rows, end: (i + 1) * rows)))
    }
    var out = try reshape(plan.groups == 1 ? parts[0] : try cat(parts, dim: 1), plan.outShape)
    if let bias { out = try add(out, try reshape(bias, [1, plan.k, 1, 1])) }
    return input.rank == 3 ? try squeeze(out, dims: [0]) : out
}

/// conv_transpose2d of float64 tensors: the virtual convolution `plan` (from the output
/// [N, Cout, OH, OW] to the input) run backwards: per group, weight^T times the input's
/// columns, folded into the output.
func convTranspose2d64(_ input: Tensor, weight: Tensor, bias: Tensor?, _ plan: ConvPlan, outShape: [Int]) throws -> Tensor {
    let x = input.rank == 3 ? try unsqueeze(input, dim: 0) : input
    let n = x.shape[0], cin = plan.k
    var g = plan.geometry
    g.channels = plan.c
    let xs = try reshape(x, [n, cin, g.outPlane])
    let w = try reshape(weight, [cin, plan.patchSize])
    var parts: [Tensor] = []
    for i in 0..<plan.groups {
        let wg = try slice(w, dim: 0, start: i * plan.kg, end: (i + 1) * plan.kg)
        let xg = try slice(xs, dim: 1, start: i * plan.kg, end: (i + 1) * plan.kg)
        parts.append(try matmul(try transpose(wg, 0, 1), xg))
    }
    let cols = plan.groups == 1 ? parts[0] : try cat(parts, dim: 1)
    var out = try foldPatches64(cols, g, imageShape: [n, plan.c, plan.h, plan.w])
    if let bias { out = try add(out, try reshape(bias, [1, plan.c, 1, 1])) }
    return try reshape(out, outShape)
}
