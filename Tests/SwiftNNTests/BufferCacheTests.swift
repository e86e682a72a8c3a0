// The cache of freed large tensor buffers (Sources/SwiftNN/Core/BufferCache.swift): tensors
// reuse a freed buffer of their size (zeroed if asked), and a cache holds no more than its
// capacity, freeing the oldest first. Cache rules are checked on a private instance, since other
// tests allocate through the shared one in parallel.
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SwiftNN

@Test func aFreedLargeTensorBufferServesTheNextTensorOfItsSizeZeroedIfAsked() throws {
    let n = 1_234_567  // floats: a size no other test uses
    var first: UnsafeMutableRawPointer? = nil
    do {
        let t = try Tensor(empty: [n], dtype: .float32, zeroed: false)
        first = UnsafeMutableRawPointer(t.floats)
        t.floats.update(repeating: 7, count: n)
    }
    let again = try Tensor(empty: [n], dtype: .float32, zeroed: true)
    #expect(UnsafeMutableRawPointer(again.floats) == first)
    #expect((0..<n).allSatisfy { again.floats[$0] == 0 })
}

@Test func aCacheReturnsOnlyExactSizesAndHoldsAtMostItsCapacity() throws {
    let cache = BufferCache()
    let cap = cache.capacityBytes, each = 8 << 20
    func block() -> UnsafeMutableRawPointer { malloc(each)! }
    let a = block()
    cache.give(a, each)
    #expect(cache.held == each)
    #expect(cache.take(each + 4096) == nil)
    #expect(cache.take(each) == a)
    #expect(cache.held == 0)
    cache.give(a, each)
    // Fill past the capacity with a second size: `a`, given first, is the one freed for room.
    let other = each + 4096
    for _ in 0..<(cap / other + 2) { cache.give(malloc(other)!, other) }
    #expect(cache.held <= cap && cache.held > cap - other)
    #expect(cache.take(each) == nil)
    var taken: [UnsafeMutableRawPointer] = []
    while let p = cache.take(other) { taken.append(p) }
    #expect(taken.count == cap / other && cache.held == 0)
    for p in taken { free(p) }
    // A buffer above the capacity is never held.
    cache.give(malloc(cap + 4096)!, cap + 4096)
    #expect(cache.held == 0)
}

@Test func buffersBelowAMegabyteAreNotCached() {
    #expect(BufferCache.minimumBytes == 1 << 20)
    #expect(BufferCache.roundedSize(1) == 4096 && BufferCache.roundedSize(4096) == 4096 && BufferCache.roundedSize(4097) == 8192)
}
