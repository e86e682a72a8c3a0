// Borrowed storage (Sources/SwiftNN/Core/Storage.swift, Tensor+Borrowed.swift): caller memory
// released exactly once by the last reference and never put into the buffer cache, alignment
// computed from the address, read-only memory refused for writes; and Checkpoint.rebuild, which
// copies a module (that it leaves the random stream alone is checked in Python's
// test_copying.py: here other tests draw from the global generator in parallel).
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SwiftNN

nonisolated(unsafe) private var releases = 0
private let countRelease: ReleaseCallback = { ctx in
    releases += 1
    free(ctx)
}
/// Only the test below releases through this one, so its count cannot race with the other
/// tests (Swift Testing runs tests in parallel; the buffer cache's byte count is shared too).
nonisolated(unsafe) private var bigReleases = 0
private let countBigRelease: ReleaseCallback = { ctx in
    bigReleases += 1
    free(ctx)
}

@Test func borrowedMemoryIsReleasedOnceByTheLastReferenceAndNeverCached() throws {
    let n = 600_000  // 2.4 MB: a size the buffer cache would keep if it were owned
    let p = malloc(n * 4)!.assumingMemoryBound(to: Float.self)
    for i in 0..<n { p[i] = Float(i % 7) }
    let before = bigReleases
    do {
        let t = try Tensor(borrowing: UnsafeMutableRawPointer(p), byteCount: n * 4, shape: [n], dtype: .float32,
                           writable: true, release: countBigRelease, context: UnsafeMutableRawPointer(p))
        let lent = try t.exportDataPointer("test")
        #expect(lent == UnsafeMutableRawPointer(p) && t.isExported)
        let view = try t.view(as: [n / 2, 2])
        #expect(try sum(view).item() == Float((0..<n).reduce(0) { $0 + $1 % 7 }))
        #expect(bigReleases == before)
    }
    // Released once, by the last reference; memory the cache kept would never reach the
    // release callback, so this also shows it was not cached.
    #expect(bigReleases == before + 1)
}

@Test func alignmentIsComputedAndReadOnlyMemoryRefusesWrites() throws {
    let raw = malloc(64 + 17)!
    let base = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: raw) + 63) & ~63)!
    let t = try Tensor(borrowing: base + 1, byteCount: 16, shape: [4], dtype: .float32, writable: false,
                       release: { _ in }, context: nil)
    #expect(t.dataAlignment == 1 && !t.isWritable)
    #expect(throws: SNNError.self) { try t.copyValues(from: try Tensor([1, 2, 3, 4], shape: [4])) }
    let owned = try Tensor(empty: [4])
    #expect(owned.dataAlignment >= 64 && owned.isWritable)
    free(raw)
}

@Test func borrowingValidatesBeforeTakingOwnership() throws {
    let before = releases
    let p = malloc(8)!
    #expect(throws: SNNError.self) {
        try Tensor(borrowing: p, byteCount: 8, shape: [3], dtype: .float32, writable: true,
                   release: countRelease, context: p)
    }
    #expect(throws: SNNError.self) {
        try Tensor(borrowing: nil, byteCount: 8, shape: [2], dtype: .float32, writable: true,
                   release: countRelease, context: p)
    }
    #expect(releases == before)  // a failed borrow leaves the memory to the caller
    free(p)
}

@Test func rebuildingAModuleCopiesItsState() throws {
    let m = try Linear(inFeatures: 3, outFeatures: 2)
    let copy = try Checkpoint.rebuild(architecture: m.architecture.serialized, state: m.stateDict())
    for ((_, a), (_, b)) in zip(m.stateDict(), copy.stateDict()) {
        #expect(a !== b && a.scalars == b.scalars)
    }
}
