// The stride-2 depthwise kernel for narrow outputs (CDepthwise/depthwise_pairs.h, two output rows
// a vector; ConvDepthwisePairs.swift): the phase kernels' bits and a Double reference, 1 and 2
// threads the same bits, on MobileNet's 14x14 -> 7x7 and on geometries the benchmarks do not
// include: odd planes, no padding, several passes of 8 rows, row stride 1 with row dilation,
// one-row planes, 5-tall taps; the rule declines what the kernel cannot take.
import Testing
import SwiftNNKernels
@testable import SwiftNN

/// (batch, channels, height, width, row stride, row padding, column padding, row dilation, kernel height)
typealias DepthwisePairsCase = (Int, Int, Int, Int, Int, Int, Int, Int, Int)

@Test(arguments: [
    (2, 5, 14, 14, 2, 1, 1, 1, 3),   // MobileNetV2's 14x14 -> 7x7
    (1, 3, 13, 13, 2, 1, 1, 1, 3),   // odd plane: 7x7, the last column read by the right tap only
    (3, 2, 14, 14, 2, 0, 0, 1, 3),   // no padding: 6x6, the last input column unread
    (1, 2, 40, 13, 2, 1, 1, 1, 3),   // 20 output rows: three passes, the last one short
    (2, 2, 9, 12, 1, 2, 1, 2, 3),    // row stride 1, row padding 2, row dilation 2: 9x6
    (1, 4, 1, 11, 2, 1, 1, 1, 3),    // one row: the taps above and below outside the plane
    (2, 3, 15, 13, 2, 2, 1, 1, 5),   // 5x3 taps: 8 output rows, one full pass
    (1, 2, 5, 3, 2, 1, 1, 1, 3),     // a 5x3 plane: 3x2 outputs, most lanes masked off
] as [DepthwisePairsCase])
func depthwisePairsGiveThePhaseKernelsBits(_ t: DepthwisePairsCase) throws {
    guard DepthwisePairs.supported else { return }   // AVX-512 only; elsewhere the rule never picks it
    let (n, c, h, w, sh, ph, pw, dh, kh) = t
    let x = try noise([n, c, h, w], seed: 71), wt = try noise([c, 1, kh, 3], seed: 72), b = try noise([c], seed: 73)
    let p = try ConvPlan(x, wt, b, stride: (sh, 2), padding: (ph, pw), dilation: (dh, 1), groups: c, "test")
    #expect(p.depthwise && p.depthwisePairsFits, "\(t): the pairs kernel takes it")
    func run(pairs: Bool, threads: Int) throws -> Tensor {
        let saved = EngineThreads.count
        defer { EngineThreads.count = saved }
        EngineThreads.count = threads
        let out = try Tensor(empty: p.outShape, dtype: .float32, zeroed: false, "test")
        if pairs {
            // into a buffer with 32 sentinels past the output: the masked stores write nothing beyond it
            let count = out.count, guarded = try Tensor(empty: [count + 32], dtype: .float32, zeroed: false, "test")
            guarded.floats.update(repeating: 12345, count: count + 32)
            try p.forwardDepthwisePairs(x.floats, wt.floats, b.floats, guarded.floats, activation: .clamp(-1, 1), "test")
            #expect((count..<(count + 32)).allSatisfy { guarded.floats[$0] == 12345 }, "\(t): a store past the output")
            out.floats.update(from: guarded.floats, count: count)
        } else {
            try p.forwardDepthwise(x.floats, wt.floats, b.floats, out.floats, activation: .clamp(-1, 1), "test", byRows: false)
        }
        return out
    }
    let out = try run(pairs: true, threads: 1), phases = try run(pairs: false, threads: 1)
    let differ = (0..<out.count).filter { out.floats[$0].bitPattern != phases.floats[$0].bitPattern }.count
    #expect(differ == 0, "\(t): \(differ) of \(out.count) outputs differ from the phase kernels' bits")
    let two = try run(pairs: true, threads: 2)
    #expect((0..<out.count).allSatisfy { out.floats[$0].bitPattern == two.floats[$0].bitPattern }, "\(t): 1 and 2 threads differ")
    // Against Double sums, clamped as the fused activation does.
    let geo = p.geometry
    var worst = 0.0
    for ni in 0..<n { for ch in 0..<c { for i in 0..<geo.outH { for j in 0..<geo.outW {
        var sum = Double(b.floats[ch])
        for a in 0..<kh { for bb in 0..<3 {
            let y = i * sh - ph + a * dh, xx = j * 2 - pw + bb
            guard y >= 0 && y < h && xx >= 0 && xx < w else { continue }
            sum += Double(wt.floats[(ch * kh + a) * 3 + bb]) * Double(x.floats[((ni * c + ch) * h + y) * w + xx])
        } }
        let got = Double(out.floats[((ni * c + ch) * geo.outH + i) * geo.outW + j])
        worst = max(worst, abs(got - min(max(sum, -1), 1)))
    } } } }
    #expect(worst < 1e-5, "\(t): off the Double sums by \(worst)")
}

@Test func depthwisePairsRuleDeclinesWhatTheKernelCannotTake() throws {
    func plan(_ h: Int, _ w: Int, k: (Int, Int), stride: (Int, Int), pad: Int = 1, dil: Int = 1) throws -> ConvPlan {
        let x = try noise([2, 4, h, w], seed: 74), wt = try noise([4, 1, k.0, k.1], seed: 75)
        return try ConvPlan(x, wt, nil, stride: stride, padding: (pad, pad), dilation: (dil, dil), groups: 4, "test")
    }
    // (the geometry alone: other tests turn the AVX-512 kernels off and on while this runs)
    #expect(try plan(14, 14, k: (3, 3), stride: (2, 2)).depthwisePairsFits)
    #expect(try !plan(16, 16, k: (3, 3), stride: (2, 2)).depthwisePairsFits, "8 output columns: past one load")
    #expect(try !plan(14, 14, k: (5, 5), stride: (2, 2), pad: 2).depthwisePairsFits, "5-wide taps")
    #expect(try !plan(7, 7, k: (3, 3), stride: (1, 1)).depthwisePairsFits, "column stride 1")
    #expect(try !plan(14, 14, k: (3, 3), stride: (2, 2), pad: 2, dil: 2).depthwisePairsFits, "column dilation 2")
}
