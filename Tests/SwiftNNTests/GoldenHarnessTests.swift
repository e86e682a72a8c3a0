// The golden comparison (GoldenSupport.swift's `mismatch`) can fail: dtype-exact, exact on
// integers and bools, tight on float64.
import Testing
@testable import SwiftNN

private func tensor(_ values: [Double], _ dtype: DType) throws -> Tensor {
    let t = try Tensor(empty: [values.count], dtype: dtype)
    for (i, v) in values.enumerated() {
        switch dtype {
        case .float32: t.floats[i] = Float(v)
        case .float64: t.doubles[i] = v
        case .int64: t.int64s[i] = Int64(v)
        case .int32: t.int32s[i] = Int32(v)
        case .uint8, .bool: t.bytes[i] = UInt8(v)
        }
    }
    return t
}

@Test func goldenComparisonIsDTypeExact() throws {
    #expect(mismatch(try tensor([1, 2], .int32), try tensor([1, 2], .int64)) != nil)
    #expect(mismatch(try tensor([1], .bool), try tensor([1], .uint8)) != nil)
    #expect(mismatch(try tensor([1], .float32), try tensor([1], .float64)) != nil)
    #expect(mismatch(try tensor([1, 0], .bool), try tensor([1, 0], .bool)) == nil)
}

@Test func goldenComparisonIsExactOnIntegersAndTightOnFloat64() throws {
    let big = try Tensor(int64: [1 << 62 + 1], shape: [1]), bigger = try Tensor(int64: [1 << 62], shape: [1])
    #expect(mismatch(big, bigger) != nil)  // equal as Doubles: the bytes decide
    #expect(mismatch(try tensor([7], .int32), try tensor([8], .int32)) != nil)
    #expect(mismatch(try tensor([2 + 2e-7], .float64), try tensor([2], .float64)) != nil)
    #expect(mismatch(try tensor([2 + 1e-9, .nan], .float64), try tensor([2, .nan], .float64)) == nil)
    #expect(mismatch(try tensor([2 + 2e-7], .float32), try tensor([2], .float32)) == nil)
}
