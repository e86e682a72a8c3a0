// Module.convert(to:) (PyTorch's Module.to(dtype)) and as_strided: conversion in place keeps
// the Tensor objects, integer buffers and the version count; as_strided is bounds-checked and
// differentiable inside its input. PyTorch's values for the same cases are in
// bindings/python/tests/pytorch_idioms_module_dtype.py and test_zerocopy.py.
import Testing
@testable import SwiftNN

@Test func convertingAModuleKeepsItsTensorsAndConvertsOnlyFloatingOnes() throws {
    let lin = try Linear(inFeatures: 3, outFeatures: 2)
    let bn = try BatchNorm(numFeatures: 2, spatialDims: 1)
    let net = Sequential([lin, bn])
    let w = lin.weight
    let before = w.scalars.map(Double.init)
    let version = w.version
    try lin.weight.copyValues(from: try lin.weight.clone())  // a write: version + 1
    try net.convert(to: .float64)
    #expect(lin.weight === w && w.dtype == .float64 && lin.bias?.dtype == .float64)
    #expect((0..<w.count).map { w.doubles[$0] } == before)
    #expect(w.version > version + 1)  // the new storage continues the count
    let buffers = Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.name, $0.tensor.dtype) })
    #expect(buffers["1.running_mean"] == .float64 && buffers["1.num_batches_tracked"] == .int64)
    // a float64 forward and backward through the converted module
    let x = try to(try Tensor([1, 2, 3, -1, 0.5, 2], shape: [2, 3]), .float64)
    try sum(try net(x)).backward()
    #expect(w.grad?.dtype == .float64)
    try net.convert(to: .float32)
    #expect(w.dtype == .float32 && w.grad?.dtype == .float32 && w.scalars.map(Double.init) == before)
    #expect(throws: SNNError.self) { try net.convert(to: .int64) }
}

@Test func asStridedIsBoundsCheckedAndDifferentiableInsideItsInput() throws {
    let t = try Tensor((0..<12).map { Float($0) }, shape: [12])
    let v = try asStrided(t, size: [3, 2], stride: [4, 1], storageOffset: 1)
    #expect(v.scalars == [1, 2, 5, 6, 9, 10] && v.storage === t.storage)
    do {
        _ = try asStrided(t, size: [3, 4], stride: [4, 1], storageOffset: 1)
        Issue.record("a view past the storage's end must be refused")
    } catch let e as SNNError {
        #expect(e.message.contains("requiring a storage size of 52 are out of bounds for storage of size 48"))
    }
    #expect(throws: SNNError.self) { _ = try asStrided(t, size: [2], stride: [-1], storageOffset: 5) }
    let w = try Tensor([1, 2, 3, 4], shape: [4])
    try w.setRequiresGrad(true)
    // out[i][j] = w[i + j]: w[1] appears twice, so its gradient sums two entries
    let out = try asStrided(w, size: [2, 2], stride: [1, 1])
    try sum(try mul(out, try Tensor([1, 2, 3, 4], shape: [2, 2]))).backward()
    #expect(w.grad?.scalars == [1, 5, 4, 0])
}
