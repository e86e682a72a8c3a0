// Memory-mapped safetensors (IO/FileMapping.swift) and the storage adoption a mapped load
// uses: which tensors view the mapping, which are copied, and that a parameter something else
// still views is copied into rather than replaced. (Sessions, threads and fork: Tests/c.)
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

private func isBorrowed(_ t: Tensor) -> Bool {
    if case .borrowed = t.storage.origin { return true }
    return false
}

@Test func mappedTensorsViewTheFileUnlessMisaligned() throws {
    let path = "/tmp/snn-mapped-\(UInt32.random(in: 0...UInt32.max)).safetensors"
    defer { unlink(path) }
    // "a" (3 bytes) first, so "b" starts 3 bytes into the data: not float-aligned, copied.
    let a = try Tensor(empty: [3], dtype: .uint8)
    for i in 0..<3 { a.bytes[i] = UInt8(7 + i) }
    let b = try Tensor([1.5, -2, 3.25, 4, 5], shape: [5])
    let c = try Tensor([9, 8, 7, 6], shape: [2, 2])
    try SafeTensors(tensors: [("a", a), ("b", b), ("c", c)]).write(path: path)
    let mapped = try SafeTensors.map(path: path)
    let read = try SafeTensors.read(path: path)
    for name in ["a", "b", "c"] {
        let m = try #require(mapped[name]), r = try #require(read[name])
        #expect(m.shape == r.shape && m.dtype == r.dtype)
        #expect(Array(UnsafeRawBufferPointer(start: m.elements, count: m.count * m.dtype.byteSize)) ==
                Array(UnsafeRawBufferPointer(start: r.elements, count: r.count * r.dtype.byteSize)))
    }
    let aMapped = isBorrowed(try #require(mapped["a"]))
    let bMapped = isBorrowed(try #require(mapped["b"]))
    #expect(aMapped, "a uint8 tensor is always aligned: it views the mapping")
    #expect(!bMapped, "a float tensor 3 bytes into the data cannot be read in place: it is copied")
    #expect(!isBorrowed(try #require(read["a"])), "a read file's tensors are owned")
}

@Test func adoptingReplacesStorageOrCopiesWhenViewed() throws {
    let layer = try Linear(inFeatures: 3, outFeatures: 2)
    let source = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    try layer.weight.adoptStorage(of: source, "test")
    #expect(layer.weight.sharesStorage(with: source), "a weight nothing else views takes the source's memory")
    #expect(layer.weight.scalars == [1, 2, 3, 4, 5, 6] && layer.weight.requiresGrad)

    let other = try Linear(inFeatures: 3, outFeatures: 2)
    let kept = try transpose(other.weight, 0, 1)  // something still views the weight's storage
    let source2 = try Tensor([6, 5, 4, 3, 2, 1], shape: [2, 3])
    try other.weight.adoptStorage(of: source2, "test")
    #expect(!other.weight.sharesStorage(with: source2), "a viewed weight is copied into, not replaced")
    #expect(other.weight.sharesStorage(with: kept) && other.weight.scalars == [6, 5, 4, 3, 2, 1])
    #expect(try kept.contiguous().scalars == [6, 3, 5, 2, 4, 1])

    #expect(throws: SNNError.self) { try layer.weight.adoptStorage(of: try Tensor([1, 2], shape: [2]), "test") }
}

@Test func mappedCheckpointLoadsTheSameModelAndTrainsWithoutWritingTheFile() throws {
    let path = "/tmp/snn-mapped-model-\(UInt32.random(in: 0...UInt32.max)).safetensors"
    defer { unlink(path) }
    let model = try lenet5()
    model.train(false)
    try Checkpoint.save(model, to: path)
    let before = try File.read(path)
    let mapped = try Checkpoint.load(from: path, mmap: true)
    mapped.train(false)
    let x = try Tensor.rand([2, 1, 28, 28])
    let want = try GradMode.withoutGrad { try model.forward(x) }
    #expect(try GradMode.withoutGrad { try mapped.forward(x) }.scalars == want.scalars)
    #expect(mapped.parameters.allSatisfy(isBorrowed), "every parameter views the mapping")
    let fromBuffer = try before.withUnsafeBytes { try Checkpoint.load(buffer: $0) }
    fromBuffer.train(false)
    #expect(try GradMode.withoutGrad { try fromBuffer.forward(x) }.scalars == want.scalars)
    // a step of SGD writes every mapped parameter: private pages, the file unchanged
    mapped.train(true)
    let loss = try sum(try mapped.forward(x))
    try loss.backward()
    let opt = try SGD(mapped.parameters, SGD.Options(lr: 0.1))
    try opt.step()
    #expect(try GradMode.withoutGrad { try mapped.forward(x) }.scalars != want.scalars)
    #expect(try File.read(path) == before)
}
