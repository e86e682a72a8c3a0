// max_pool2d without indices (maxPool2dValues: each row's column maxima, then the rows')
// against the loop that keeps the argmax, bit for bit: ResNet's 3x3/2 with padding, dilation,
// ceil mode's partial windows, windows that miss the input, rows shorter and longer than a
// vector; inputs with ties of +0 and -0 (the first in scan order must win) and NaNs (the last
// must win); 1 and 2 threads; and through the op, with and without a gradient to route. The
// indexed loop itself (eight interior output columns a vector) against a scan written here.
import Testing
import SwiftNNKernels
@testable import SwiftNN

private func input(_ shape: [Int], seed: UInt64) throws -> Tensor {
    let t = try Tensor(empty: shape, dtype: .float32, zeroed: false, "test")
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    for i in 0..<t.count {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        switch s % 23 {
        case 0: t.floats[i] = Float(bitPattern: 0x7FC0_0000 | UInt32(truncatingIfNeeded: s >> 40) & 0xFFFF)  // NaN payloads
        case 1, 2, 3: t.floats[i] = 0
        case 4, 5, 6: t.floats[i] = -0.0
        default: t.floats[i] = Float(Int(s % 7) - 3)  // many ties
        }
    }
    return t
}

// (kernel, stride, padding, dilation, ceil mode, size)
@Test(arguments: [
    (3, 2, 1, 1, false, 112), (3, 2, 1, 1, false, 13), (3, 1, 1, 1, false, 9), (2, 2, 0, 1, true, 7),
    (3, 2, 0, 1, true, 10), (5, 3, 2, 1, true, 17), (3, 1, 1, 2, false, 11), (2, 1, 0, 3, false, 6),
    (7, 2, 3, 1, false, 20), (3, 3, 1, 4, true, 11),
])
func maxPoolValuesMatchTheIndexedLoopBitForBit(_ t: (Int, Int, Int, Int, Bool, Int)) throws {
    let (k, stride, pad, dil, ceil, size) = t
    let x = try input([3, 5, size, size + 3], seed: UInt64(size * 31 + k))
    let (want, _) = try maxPool2dWithIndices(x, kernelSize: (k, k), stride: (stride, stride), padding: (pad, pad),
                                             dilation: (dil, dil), ceilMode: ceil)
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    for threads in [1, 2] {
        EngineThreads.count = threads
        let got = try maxPool2d(x, kernelSize: (k, k), stride: (stride, stride), padding: (pad, pad),
                                dilation: (dil, dil), ceilMode: ceil)
        #expect(got.shape == want.shape)
        let differing = (0..<want.count).filter { got.floats[$0].bitPattern != want.floats[$0].bitPattern }.count
        #expect(differing == 0, "\(t), \(threads) threads: \(differing) of \(want.count) outputs differ")
    }
}

/// PyTorch's scan, element by element: the taps in row-major order, a tap replaces the
/// maximum when greater or NaN; -inf and index -1 when the window misses the input.
private func scan(_ x: Tensor, _ k: Int, _ stride: Int, _ pad: Int, _ dil: Int, outH: Int, outW: Int) -> ([Float], [Int64]) {
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    var values = [Float](), indices = [Int64]()
    for p in 0..<planes {
        for oh in 0..<outH {
            for ow in 0..<outW {
                var best = -Float.infinity, at = -1
                for ki in 0..<k {
                    for kj in 0..<k {
                        let ih = oh * stride - pad + ki * dil, iw = ow * stride - pad + kj * dil
                        guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                        let v = x.floats[p * h * w + ih * w + iw]
                        if at < 0 || v > best || v.isNaN { best = v; at = ih * w + iw }
                    }
                }
                values.append(best)
                indices.append(Int64(at))
            }
        }
    }
    return (values, indices)
}

@Test(arguments: [
    (3, 2, 1, 1, false, 112), (3, 1, 1, 1, false, 40), (2, 2, 0, 1, true, 37), (3, 3, 1, 1, false, 50),
    (3, 1, 1, 2, false, 29), (7, 2, 3, 1, false, 44), (3, 3, 1, 4, true, 11),
])
func maxPoolIndicesMatchAnElementScan(_ t: (Int, Int, Int, Int, Bool, Int)) throws {
    let (k, stride, pad, dil, ceil, size) = t
    let x = try input([2, 3, size, size + 3], seed: UInt64(size * 7 + k))
    let (values, indices) = try maxPool2dWithIndices(x, kernelSize: (k, k), stride: (stride, stride), padding: (pad, pad),
                                                     dilation: (dil, dil), ceilMode: ceil)
    let (want, wantIndices) = scan(x, k, stride, pad, dil, outH: values.shape[2], outW: values.shape[3])
    let differing = (0..<values.count).filter {
        values.floats[$0].bitPattern != want[$0].bitPattern || indices.int64s[$0] != wantIndices[$0]
    }.count
    #expect(differing == 0, "\(t): \(differing) of \(values.count) values or indices differ from the scan")
}

@Test func maxPoolKeepsItsIndexedPathWhenAGradientIsRouted() throws {
    let x = try input([2, 3, 12, 12], seed: 5)
    x.requiresGrad = true
    let y = try maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))
    try sum(y).backward()
    let (_, indices) = try maxPool2dWithIndices(x.detach(), kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))
    // every output's gradient (1) went to its argmax
    var expected = [Float](repeating: 0, count: x.count)
    let plane = 144, outPlane = indices.shape[2] * indices.shape[3]
    for p in 0..<6 { for o in 0..<outPlane { expected[p * plane + Int(indices.int64s[p * outPlane + o])] += 1 } }
    let grad = try #require(x.grad)
    #expect((0..<x.count).allSatisfy { grad.floats[$0] == expected[$0] })
}
