// The depthwise row kernels (SwiftNNKernelsAVX512/DepthwiseRowBodies.swift, used by
// ConvDepthwise.swift for 3x3 kernels): the forward and the input gradient give the phase
// kernels' bits, the weight gradient matches them and a Double reference; 1 and 2 threads give
// the same bits; AVX-512 and AVX2 give the same bits; planes at the tensor's ends (read from
// copies with margins), rows narrower than a vector (spilled stores), several column blocks
// (the last one overlapping), rows outside the image (the zero row).
import Testing
import SwiftNNKernels
@testable import SwiftNN

/// (batch, channels, height, width, stride, padding, dilation), 3x3 taps
typealias DepthwiseRowsCase = (Int, Int, Int, Int, Int, Int, Int)

private func bitsDiffer(_ a: Tensor, _ b: Tensor) -> Int {
    (0..<a.count).filter { a.floats[$0].bitPattern != b.floats[$0].bitPattern }.count
}

private func apart(_ a: Tensor, _ b: Tensor) -> Float {
    (0..<a.count).map { abs(a.floats[$0] - b.floats[$0]) / (1 + abs(b.floats[$0])) }.max() ?? 0
}

@Test(arguments: [
    (2, 5, 14, 14, 1, 1, 1),    // MobileNetV2's 14x14: one 16-lane block a row, stores spill into the next row
    (2, 5, 14, 14, 2, 1, 1),    // 14x14 -> 7x7 at stride 2: eight outputs a vector
    (1, 3, 28, 28, 2, 1, 1),    // 28 -> 14 at stride 2: two blocks, the last overlapping
    (2, 3, 7, 7, 1, 1, 1),      // rows of 7: a store spills over two rows
    (1, 2, 37, 45, 1, 2, 2),    // dilation 2, padding 2, three blocks (backward by phases: 45 columns)
    (3, 2, 9, 23, 2, 0, 1),     // no padding at stride 2: the last input column unread
    (2, 3, 1, 40, 1, 1, 1),     // one row: the taps above and below read the zero row
    (1, 2, 4, 5, 1, 2, 1),      // padding 2 on a 4x5 plane: outputs 6x7, whole rows outside
    (2, 4, 17, 32, 1, 1, 1),    // 32 columns, two full blocks
] as [DepthwiseRowsCase])
func depthwiseRowsGiveThePhaseKernelsBits(_ t: DepthwiseRowsCase) throws {
    let (n, c, h, w, s, pad, dil) = t
    let x = try noise([n, c, h, w], seed: 61), wt = try noise([c, 1, 3, 3], seed: 62), b = try noise([c], seed: 63)
    let p = try ConvPlan(x, wt, b, stride: (s, s), padding: (pad, pad), dilation: (dil, dil), groups: c, "test")
    #expect(p.depthwise && p.depthwiseByRows, "\(t): 3x3 at stride \(s) goes by rows")
    let g = try noise(p.outShape, seed: 64)
    func run(rows: Bool, threads: Int) throws -> (Tensor, Tensor, Tensor) {
        let saved = EngineThreads.count
        defer { EngineThreads.count = saved }
        EngineThreads.count = threads
        let out = try Tensor(empty: p.outShape, dtype: .float32, zeroed: false, "test")
        try p.forwardDepthwise(x.floats, wt.floats, b.floats, out.floats, activation: .clamp(-1, 1), "test", byRows: rows)
        let gx = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, "test")
        let gw = try Tensor(empty: wt.shape, dtype: .float32, zeroed: false, "test")
        try p.backwardDepthwise(g.floats, x.floats, wt.floats, gx: gx.floats, gw: gw.floats, "test",
                                byRows: rows && p.canBackwardByRows(gx: true))
        return (out, gx, gw)
    }
    let (out, gx, gw) = try run(rows: true, threads: 1)
    let (pout, pgx, pgw) = try run(rows: false, threads: 1)
    #expect(bitsDiffer(out, pout) == 0, "\(t): the forward's bits differ from the phase kernels'")
    #expect(bitsDiffer(gx, pgx) == 0, "\(t): the input gradient's bits differ from the phase kernels'")
    #expect(apart(gw, pgw) < 2e-6, "\(t): the weight gradient is off the phase kernels' by \(apart(gw, pgw))")
    // the weight gradient against Double; also alone (no input gradient asked, as for a first
    // layer), which goes by rows at stride 2 too
    let gwAlone = try Tensor(empty: wt.shape, dtype: .float32, zeroed: false, "test")
    #expect(p.canBackwardByRows(gx: false))
    try p.backwardDepthwise(g.floats, x.floats, wt.floats, gx: nil, gw: gwAlone.floats, "test", byRows: true)
    let geo = p.geometry
    var worst = 0.0, worstAlone = 0.0
    for ch in 0..<c { for a in 0..<3 { for bb in 0..<3 {
        var sum = 0.0
        for ni in 0..<n { for i in 0..<geo.outH { for j in 0..<geo.outW {
            let y = i * s - pad + a * dil, xx = j * s - pad + bb * dil
            guard y >= 0 && y < h && xx >= 0 && xx < w else { continue }
            sum += Double(g.floats[((ni * c + ch) * geo.outH + i) * geo.outW + j]) * Double(x.floats[((ni * c + ch) * h + y) * w + xx])
        } } }
        worst = max(worst, abs(Double(gw.floats[(ch * 3 + a) * 3 + bb]) - sum) / (1 + abs(sum)))
        worstAlone = max(worstAlone, abs(Double(gwAlone.floats[(ch * 3 + a) * 3 + bb]) - sum) / (1 + abs(sum)))
    } } }
    #expect(worst < 1e-5, "\(t): the weight gradient is off the Double sums by \(worst)")
    #expect(worstAlone < 1e-5, "\(t): the weight gradient alone by rows is off the Double sums by \(worstAlone)")
    let (out2, gx2, gw2) = try run(rows: true, threads: 2)
    #expect(bitsDiffer(out, out2) + bitsDiffer(gx, gx2) + bitsDiffer(gw, gw2) == 0, "\(t): 1 and 2 threads differ")
}

@Test func depthwiseRowKernelsGiveTheSameBitsWithAVX2AndAVX512() throws {
    // One 13x19 plane between margins of noise (the kernels load and mask them off), forward at
    // stride 1 and 2, the input gradient's geometry, and the weight gradient's lanes.
    let h = 13, w = 19, plane = h * w
    let fwd1 = DepthwiseRowsGeometry(h: h, w: w, oh: h, ow: w, kh: 3, kw: 3, sh: 1, sw: 1, rowStep: 1, colStep: 1, rowOrigin: -1, colOrigin: -1)
    let fwd2 = DepthwiseRowsGeometry(h: h, w: w, oh: 7, ow: 10, kh: 3, kw: 3, sh: 2, sw: 2, rowStep: 1, colStep: 1, rowOrigin: -1, colOrigin: -1)
    let back = DepthwiseRowsGeometry(h: h, w: w, oh: h, ow: w, kh: 3, kw: 3, sh: 1, sw: 1, rowStep: -1, colStep: -1, rowOrigin: 1, colOrigin: 1)
    let margin = max(fwd1.margin, fwd2.margin, back.margin)
    let buf = try noise([2 * margin + plane], seed: 65), g = try noise([2 * margin + plane], seed: 66)
    let wts = try noise([9], seed: 67), zeros = [Float](repeating: 0, count: w + 2 * margin)
    let saved = PackedGemmKernels.useAVX512
    defer { PackedGemmKernels.useAVX512 = saved }
    var results: [[Float]] = []
    for avx512 in [true, false] {
        PackedGemmKernels.useAVX512 = avx512 && PackedGemmKernels.avx512Supported
        var out = [Float](repeating: 0, count: 3 * plane + 2 * 9 * 16)
        zeros.withUnsafeBufferPointer { z in
            out.withUnsafeMutableBufferPointer { o in
                let zp = z.baseAddress! + margin, x = UnsafePointer(buf.floats + margin), gp = UnsafePointer(g.floats + margin)
                depthwiseRows(x, fwd1, wts.floats, initial: 0.25, zeros: zp, o.baseAddress!)
                depthwiseRows(x, fwd2, wts.floats, initial: -0.5, zeros: zp, o.baseAddress! + plane)
                depthwiseRows(gp, back, wts.floats, initial: 0, zeros: zp, o.baseAddress! + 2 * plane)
                depthwiseRowsWeightGradient(gp, x, fwd1, zeros: zp, o.baseAddress! + 3 * plane)
                depthwiseRowsWeightGradient(gp, x, fwd2, zeros: zp, o.baseAddress! + 3 * plane + 9 * 16)
            }
        }
        results.append(out)
    }
    let differing = zip(results[0], results[1]).filter { $0.0.bitPattern != $0.1.bitPattern }.count
    #expect(differing == 0, "\(differing) of \(results[0].count) values differ between AVX-512 and AVX2")
    #expect(results[0][0] != 0 && results[0][3 * plane] != 0, "the kernels wrote nothing")
}

@Test(arguments: [(14, 14), (7, 7), (3, 40), (1, 11), (17, 32), (9, 5)])
func depthwiseRowsWriteOnlyTheirPlane(_ hw: (Int, Int)) throws {
    // The row kernels' stores are masked or spill only into rows written later: 32 sentinels on
    // either side of the output plane stay as they were, forward and input gradient, with the
    // kernels this machine runs.
    let (h, w) = hw, plane = h * w
    let fwd = DepthwiseRowsGeometry(h: h, w: w, oh: h, ow: w, kh: 3, kw: 3, sh: 1, sw: 1, rowStep: 1, colStep: 1, rowOrigin: -1, colOrigin: -1)
    let back = DepthwiseRowsGeometry(h: h, w: w, oh: h, ow: w, kh: 3, kw: 3, sh: 1, sw: 1, rowStep: -1, colStep: -1, rowOrigin: 1, colOrigin: 1)
    let margin = max(fwd.margin, back.margin)
    let x = try noise([2 * margin + plane], seed: 68), wts = try noise([9], seed: 69)
    let zeros = [Float](repeating: 0, count: w + 2 * margin)
    for g in [fwd, back] {
        var out = [Float](repeating: 12345, count: plane + 64)
        zeros.withUnsafeBufferPointer { z in
            out.withUnsafeMutableBufferPointer { o in
                depthwiseRows(UnsafePointer(x.floats + margin), g, wts.floats, initial: 0, zeros: z.baseAddress! + margin,
                              o.baseAddress! + 32)
            }
        }
        #expect(out[..<32].allSatisfy { $0 == 12345 } && out[(32 + plane)...].allSatisfy { $0 == 12345 },
                "\(hw), steps \(g.rowStep): a store outside the output plane")
        #expect(out[32..<(32 + plane)].allSatisfy { $0 != 12345 }, "\(hw): an output left unwritten")
    }
}
