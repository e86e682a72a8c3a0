// The SIMD exp, tanh and sigmoid (Sources/SwiftNNKernels/Transcendental.swift) against glibc:
// within 1e-6 relative error wherever libm's result is a normal float, within two subnormal
// steps below that, and exactly equal for inf, 0 and nan. Floats are swept by bit pattern.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

/// About 400k floats spread evenly over the bit patterns of [-110, 110], plus special values.
let sweep: [Float] = {
    var xs: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude,
                       0.625, -0.625, Float(0.625).nextDown, 88.72, 88.73, -87.34, -103.97, -104]
    var b: UInt32 = 0
    while b < 0xFF80_0000 {
        let x = Float(bitPattern: b)
        if x.magnitude <= 110 { xs.append(x) }
        b &+= 5701
    }
    return xs
}()

func checkAgainstLibm(_ name: String, _ op: (Tensor) throws -> Tensor, _ reference: (Float) -> Float) throws {
    let x = try Tensor(sweep, shape: [sweep.count])
    let y = try op(x).scalars
    var failures = 0
    for (i, v) in sweep.enumerated() {
        let r = reference(v), a = y[i]
        let ok: Bool
        if r.isNaN { ok = a.isNaN }
        else if r.isInfinite || r == 0 { ok = a == r || (r == 0 && a.magnitude <= 2 * .leastNonzeroMagnitude) }
        else if r.magnitude < .leastNormalMagnitude { ok = (a - r).magnitude <= 2 * .leastNonzeroMagnitude }
        else { ok = (a - r).magnitude <= 1e-6 * r.magnitude }
        if !ok {
            failures += 1
            if failures <= 5 { Issue.record("\(name)(\(v)) = \(a), libm gives \(r)") }
        }
    }
    #expect(failures == 0, "\(name): \(failures) of \(sweep.count) values off by more than 1e-6 relative")
}

@Test func simdExpMatchesLibm() throws {
    try checkAgainstLibm("exp", { try exp($0) }, { expf($0) })
}

@Test func simdTanhMatchesLibm() throws {
    try checkAgainstLibm("tanh", { try tanh($0) }, { tanhf($0) })
}

@Test func simdSigmoidMatchesLibm() throws {
    try checkAgainstLibm("sigmoid", { try sigmoid($0) }, { 1 / (1 + expf(-$0)) })
}

/// A value gives the same result at every position (vector body or padded tail).
@Test func simdResultsDoNotDependOnPosition() throws {
    let values: [Float] = (0..<19).map { Float($0) * 0.37 - 3 }
    let whole = try tanh(try Tensor(values, shape: [19])).scalars
    for (i, v) in values.enumerated() {
        #expect(try tanh(try Tensor([v], shape: [1])).scalars == [whole[i]])
    }
}
