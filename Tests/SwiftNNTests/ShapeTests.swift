// Shape ops beyond the golden cases: the strided-copy kernel against a naive reference on random
// permutations, which results share storage, Python's slice clamping, and extreme arguments
// that must come back as errors (never traps).
import Testing
@testable import SwiftNN

/// Deterministic xorshift so failures reproduce.
private struct Rng {
    var s: UInt64
    mutating func next(_ n: Int) -> Int {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Int(s % UInt64(n))
    }
}

private func ramp(_ shape: [Int]) throws -> Tensor {
    let n = shape.reduce(1, *)
    return try Tensor((0..<n).map { Float($0) }, shape: shape)
}

/// out[i_0..i_{r-1}] = t[j] with j_{perm[k]} = i_k, computed one element at a time.
private func naivePermute(_ t: Tensor, _ perm: [Int]) -> [Float] {
    let outShape = perm.map { t.shape[$0] }
    let inStrides = contiguousStrides(t.shape)
    let src = t.scalars
    var out: [Float] = []
    let n = outShape.reduce(1, *)
    for flat in 0..<n {
        var rem = flat, offset = 0
        for k in stride(from: outShape.count - 1, through: 0, by: -1) {
            offset += (rem % outShape[k]) * inStrides[perm[k]]
            rem /= outShape[k]
        }
        out.append(src[offset])
    }
    return out
}

@Test func permuteMatchesNaiveReferenceOnRandomShapes() throws {
    var rng = Rng(s: 0x9E37_79B9_7F4A_7C15)
    for _ in 0..<200 {
        let rank = 1 + rng.next(5)
        let shape = (0..<rank).map { _ in [1, 2, 3, 5, 33, 40][rng.next(6)] }
        guard shape.reduce(1, *) <= 20_000 else { continue }
        var perm = Array(0..<rank)
        for i in stride(from: rank - 1, to: 0, by: -1) { perm.swapAt(i, rng.next(i + 1)) }
        let t = try ramp(shape)
        let out = try permute(t, perm)
        #expect(out.shape == perm.map { shape[$0] })
        #expect(out.scalars == naivePermute(t, perm), "shape \(shape) perm \(perm)")
    }
}

@Test func largeTransposesAreExact() throws {
    for (r, c) in [(131, 97), (64, 64), (1, 300), (257, 33)] {
        let t = try ramp([r, c])
        #expect(try transpose(t, 0, 1).scalars == naivePermute(t, [1, 0]))
        let b = try ramp([3, r, c])
        #expect(try transpose(b, -1, -2).scalars == naivePermute(b, [0, 2, 1]))
    }
    let i = try Tensor(int64: (0..<(70 * 45)).map { Int64($0) * 3 - 7 }, shape: [70, 45])
    let ti = try transpose(i, 0, 1)
    #expect(ti.dtype == .int64)
    #expect(ti.int64Scalars == naivePermute(i, [1, 0]).map { Int64($0) })
}

@Test func viewsShareStorageAsInPyTorch() throws {
    let t = try ramp([4, 3, 2])
    for v in [try reshape(t, [2, -1]), try flatten(t), try unsqueeze(t, dim: 1),
              try squeeze(try unsqueeze(t, dim: 0)), try slice(t, dim: 0, start: 1, end: 3),
              try select(t, dim: 0, index: 2), try transpose(t, 1, 1), try expand(t, to: [4, 3, 2]),
              try transpose(t, 0, 1), try slice(t, dim: 1, start: 1), try slice(t, dim: 0, step: 2),
              try select(t, dim: 1, index: 0), try expand(t, to: [2, 4, 3, 2])] {
        #expect(v.storage === t.storage)
    }
    #expect(try select(t, dim: 0, index: 2).scalars == Array(t.scalars[12..<18]))
    #expect(try slice(t, dim: 0, start: 1, end: 3).scalars == Array(t.scalars[6..<18]))
    // strides and offsets as torch reports them (t.transpose(0, 1).stride() == (2, 6, 1), ...)
    #expect(try transpose(t, 0, 1).strides == [2, 6, 1])
    #expect(try slice(t, dim: 1, start: 1).strides == [6, 2, 1] && (try slice(t, dim: 1, start: 1)).storageOffset == 2)
    #expect(try slice(t, dim: 0, step: 2).strides == [12, 2, 1])
    #expect(try select(t, dim: 1, index: 2).strides == [6, 1] && (try select(t, dim: 1, index: 2)).storageOffset == 4)
    #expect(try expand(try slice(t, dim: 0, end: 1), to: [2, 4, 3, 2]).strides == [0, 0, 2, 1])
    #expect(try transpose(t, 0, 1).isContiguous == false && (try transpose(t, 1, 1)).isContiguous)
    // reshape of a strided view copies when no strides can show it; view refuses, as PyTorch
    let tt = try transpose(try reshape(t, [4, 6]), 0, 1)
    #expect(try reshape(tt, [24]).storage !== t.storage)
    #expect(try reshape(tt, [24]).scalars == tt.scalars)
    #expect(throws: SNNError.self) { try view(tt, [24]) }
    #expect(try view(tt, [2, 3, 4]).storage === t.storage)
}

/// Python's slice.indices(size) followed by range(...).
private func pythonSlice(_ start: Int, _ end: Int, _ step: Int, _ size: Int) -> [Int] {
    func clamp(_ v: Int) -> Int { v < 0 ? max(v + size, 0) : min(v, size) }
    return Array(stride(from: clamp(start), to: clamp(end), by: step))
}

@Test func sliceClampsLikePython() throws {
    let t = try ramp([10])
    let bounds = [Int.min, -100, -11, -10, -9, -3, -1, 0, 1, 3, 9, 10, 11, 100, Int.max]
    for s in bounds {
        for e in bounds {
            for step in [1, 2, 3, 7, 10, 11, Int.max] {
                let out = try slice(t, dim: 0, start: s, end: e, step: step)
                #expect(out.scalars == pythonSlice(s, e, step, 10).map { Float($0) }, "\(s):\(e):\(step)")
            }
        }
    }
}

@Test func repeatedIndicesAccumulate() throws {
    let t = try ramp([3, 2])
    try t.setRequiresGrad(true)
    let out = try indexSelect(t, dim: 0, index: try Tensor(int64: [2, 0, 2, 2], shape: [4]))
    #expect(out.scalars == [4, 5, 0, 1, 4, 5, 4, 5])
    try sum(out).backward()
    #expect(t.grad?.scalars == [1, 1, 0, 0, 3, 3])
}

private func expectError(_ status: Status, _ words: [String], _ body: () throws -> Tensor) {
    do {
        let r = try body()
        Issue.record("expected \(status), got a tensor of shape \(r.shape)")
    } catch let e as SNNError {
        #expect(e.status == status, "\(e.message)")
        for w in words { #expect(e.message.contains(w), "'\(w)' not in '\(e.message)'") }
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func extremeArgumentsAreErrorsNotTraps() throws {
    let t = try ramp([2, 3])
    let empty = try Tensor(empty: [0, 1 << 30, 1 << 30], dtype: .float32)  // valid: no elements
    expectError(.outOfRange, ["select", "[2, 3]"]) { try select(t, dim: 1, index: Int.min) }
    expectError(.outOfRange, ["select", "[2, 3]"]) { try select(t, dim: 0, index: Int.max) }
    expectError(.outOfRange, ["unsqueeze"]) { try unsqueeze(t, dim: Int.min) }
    expectError(.outOfRange, ["transpose"]) { try transpose(t, Int.max, 0) }
    expectError(.outOfRange, ["slice"]) { try slice(t, dim: Int.min) }
    expectError(.invalidArgument, ["slice", "step"]) { try slice(t, dim: 0, step: Int.min) }
    expectError(.shapeMismatch, ["reshape", "[2, 3]"]) { try reshape(t, [Int.max, 2]) }
    expectError(.shapeMismatch, ["reshape"]) { try reshape(t, [1 << 40, 1 << 40, -1]) }
    expectError(.invalidArgument, ["reshape", "rank 17"]) { try reshape(t, [Int](repeating: 1, count: 16) + [6]) }
    expectError(.outOfMemory, ["expand"]) { try expand(t, to: [1 << 40, 2, 3]) }
    expectError(.invalidArgument, ["expand", "rank 17"]) { try expand(t, to: [Int](repeating: 1, count: 15) + [2, 3]) }
    expectError(.outOfRange, ["index_select", "[2, 3]"]) { try indexSelect(t, dim: 1, index: try Tensor(int64: [Int64.min], shape: [1])) }
    expectError(.outOfMemory, ["flatten"]) { try flatten(empty, startDim: 1) }
    expectError(.invalidArgument, ["stack", "rank 17"]) {
        try stack([try reshape(t, [Int](repeating: 1, count: 14) + [2, 3])], dim: 0)
    }
    expectError(.invalidArgument, ["cat", "non-empty"]) { try cat([]) }
    // Empty inputs with huge (zero-product) shapes go through every op.
    #expect(try transpose(empty, 1, 2).shape == [0, 1 << 30, 1 << 30])
    #expect(try slice(empty, dim: 2, start: 5, end: 9).shape == [0, 1 << 30, 4])
    #expect(try cat([empty, empty], dim: 0).shape == [0, 1 << 30, 1 << 30])
    #expect(try cat([empty, empty], dim: 2).shape == [0, 1 << 30, 1 << 31])
    #expect(try indexSelect(empty, dim: 1, index: try Tensor(int64: [0, 7], shape: [2])).shape == [0, 2, 1 << 30])
    #expect(try cat([try Tensor(empty: [0], dtype: .float32), try Tensor(empty: [0], dtype: .float32)]).shape == [0])
}
