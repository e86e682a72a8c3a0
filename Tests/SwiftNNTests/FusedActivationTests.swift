// FusedActivation's ReLU and clamp (SwiftNNKernels/FusedActivation.swift, the eager convolutions'
// and the depthwise kernels' activation) against their scalar definitions, bit for bit: every
// length up to 40 (the 16-wide loop and each tail), NaN kept, infinities, -0 and the bounds.
import Testing
import SwiftNNKernels

@Test func fusedReLUAndClampEqualTheirScalarDefinitions() {
    let specials: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, 6, -1, 6.5, 3, -7.25, 1e-30, -1e-30]
    for (activation, reference) in [
        (FusedActivation.relu, { (x: Float) -> Float in x < 0 ? 0 : x }),
        (FusedActivation.clamp(0, 6), { (x: Float) -> Float in x < 0 ? 0 : (x > 6 ? 6 : x) }),
        (FusedActivation.clamp(-1, 1), { (x: Float) -> Float in x < -1 ? -1 : (x > 1 ? 1 : x) }),
    ] {
        for count in 0...48 {
            var values = (0..<count).map { i in i % 3 == 2 ? Float(i % 13) - 6.3 : specials[(i / 3 * 2 + i % 3) % specials.count] }
            let want = values.map(reference)
            values.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { activation.apply(p, count: count) } }
            let wrong = zip(values, want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(wrong == 0, "\(activation), \(count) values: \(wrong) differ from the scalar definition")
        }
    }
    // Past `count` nothing is written.
    var guarded: [Float] = [-1, -2, -3, -4, -5]
    guarded.withUnsafeMutableBufferPointer { FusedActivation.relu.apply($0.baseAddress!, count: 3) }
    #expect(guarded == [0, 0, 0, -4, -5])
}
