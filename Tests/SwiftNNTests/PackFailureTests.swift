// A strided view whose packed copy cannot be allocated: the operation reading it fails with
// an out-of-memory error instead of trapping (PackFailure.swift), once, and later operations
// run normally. The allocation failure is injected on this test's thread only.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

@Test func aViewThatCannotBePackedFailsTheOperationInsteadOfTrapping() throws {
    let t = try Tensor((0..<12).map(Float.init), shape: [3, 4])
    let v = try transpose(t, 0, 1)
    #expect(!v.isContiguous)
    failNextPackForTesting = pthread_self()
    do {
        // The kernel reads zero pages; the next allocation on this thread reports the failure.
        let y = try exp(v)
        _ = try exp(y)
        Issue.record("an operation on a view that could not be packed must fail")
    } catch let e as SNNError {
        #expect(e.status == .outOfMemory)
        #expect(e.message.contains("cannot allocate 48 bytes to pack a strided view of shape [4, 3]"))
    }
    // Reported once; the view packs normally afterwards (the values, not the zero pages).
    try Tensor.throwPendingPackFailure()
    #expect(try exp(v).scalars == (try exp(try v.contiguous())).scalars)
    #expect(v.scalars == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
}
