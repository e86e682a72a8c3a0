// col2im, the input gradient's scatter of a convolution's patch matrix, against plain scalar
// loops in the same order, bit for bit: maps narrower than a vector (the DQN's 7 and 9 wide),
// padding, dilation, strides 1 and 2, several images in one patch matrix (rows longer than an
// image's columns), and signed zeros. (A masked 8-lane add for rows under 8 floats kept these
// bits but made a 3x3 backward 3x slower: each add's load overlapped the previous add's store,
// which the CPU cannot forward. Not kept.)
import Testing
import SwiftNNKernels

private func values(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        let v = Int(s % 2001) - 1000
        return v % 7 == 0 ? -0.0 : Float(v) / 1000  // some negative zeros
    }
}

/// The scatter-add as col2im defines it, one element at a time in its loop order.
private func reference(_ src: [Float], ld: Int, _ g: WindowGeometry, _ dst: inout [Float], at base: Int, column c0: Int) {
    for c in 0..<g.channels {
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                let row = ((c * g.kernelH + ki) * g.kernelW + kj) * ld + c0
                for oh in 0..<g.outH {
                    let ih = oh * g.strideH - g.padH + ki * g.dilationH
                    guard ih >= 0 && ih < g.height else { continue }
                    for ow in 0..<g.outW {
                        let iw = ow * g.strideW - g.padW + kj * g.dilationW
                        guard iw >= 0 && iw < g.width else { continue }
                        dst[base + c * g.inPlane + ih * g.width + iw] += src[row + oh * g.outW + ow]
                    }
                }
            }
        }
    }
}

@Test(arguments: [
    // (channels, size, kernel, stride, pad, dilation)
    (3, 9, 3, 1, 0, 1), (4, 9, 3, 1, 1, 1), (2, 11, 3, 1, 0, 2), (3, 9, 4, 2, 0, 1), (2, 20, 4, 2, 1, 1),
    (2, 8, 1, 1, 0, 1), (3, 5, 5, 1, 2, 1), (2, 16, 3, 1, 1, 1),
])
func col2imMatchesScalarLoopsBitForBit(_ t: (Int, Int, Int, Int, Int, Int)) {
    let (channels, size, k, stride, pad, dilation) = t
    let out = (size + 2 * pad - dilation * (k - 1) - 1) / stride + 1
    let g = WindowGeometry(channels: channels, height: size, width: size, kernelH: k, kernelW: k, strideH: stride,
                           strideW: stride, padH: pad, padW: pad, dilationH: dilation, dilationW: dilation, outH: out, outW: out)
    let images = 3, plane = out * out, ld = images * plane
    let src = values(g.patchSize * ld, seed: 7)
    var got = values(images * g.channels * g.inPlane, seed: 9), want = got
    for i in 0..<images {
        src.withUnsafeBufferPointer { s in
            got.withUnsafeMutableBufferPointer { d in
                col2im(s.baseAddress! + i * plane, ld: ld, g, d.baseAddress! + i * g.channels * g.inPlane)
            }
        }
        reference(src, ld: ld, g, &want, at: i * g.channels * g.inPlane, column: i * plane)
    }
    let differing = zip(got, want).filter { $0.0.bitPattern != $0.1.bitPattern }.count
    #expect(differing == 0, "\(t): \(differing) of \(got.count) elements differ")
}
