// Data parallelism in one process (the MPI runs are in bindings/python/tests/test_distributed.py
// and `make test-dist`): the sampler against PyTorch's orders, sharded loaders covering an
// epoch, the one-process group's collectives, backward callbacks and DataParallel on one rank.
import Testing
@testable import SwiftNN

@Test func distributedSamplerMatchesPyTorch() throws {
    let json = try JSON.parse(try File.read(goldenDir + "/distributed_sampler.json"))
    let cases = try #require(json["cases"]?.array)
    #expect(cases.count > 500)
    for c in cases {
        func int(_ k: String) -> Int { Int(c[k]?.number ?? -1) }
        func bool(_ k: String) -> Bool { c[k] == .bool(true) }
        let want = (c["indices"]?.array ?? []).map { Int($0.number ?? -1) }
        let got = try DistributedSampler.indices(count: int("n"), numReplicas: int("num_replicas"), rank: int("rank"),
                                                 shuffle: bool("shuffle"), seed: UInt64(int("seed")), epoch: int("epoch"),
                                                 dropLast: bool("drop_last"))
        #expect(got == want, "n \(int("n")) replicas \(int("num_replicas")) rank \(int("rank")) seed \(int("seed")) epoch \(int("epoch"))")
    }
    #expect(throws: SNNError.self) { try DistributedSampler.indices(count: 5, numReplicas: 2, rank: 2) }
}

@Test func shardedLoadersCoverEachEpochOnce() throws {
    let n = 23
    let x = try Tensor((0..<n).map(Float.init), shape: [n, 1]), y = try Tensor(int64: (0..<n).map(Int64.init), shape: [n])
    for epoch: UInt64 in [0, 1] {
        var seen: [Int64] = []
        for rank in 0..<3 {
            let dl = try DataLoader(inputs: x, targets: y, batchSize: 4, shuffle: true, seed: 5)
            try dl.shard(replicas: 3, rank: rank)
            dl.setEpoch(epoch)
            #expect(dl.count == 2)  // ceil(23 / 3) = 8 samples per rank in batches of 4
            while let b = try dl.next() { seen += (0..<b.targets.count).map { b.targets.int64s[$0] } }
        }
        #expect(seen.count == 24 && Set(seen) == Set((0..<Int64(n))))  // one sample repeated as padding
        let order = try DistributedSampler.indices(count: n, numReplicas: 1, rank: 0, seed: 5, epoch: Int(epoch))
        #expect(Set(order) == Set(0..<n))
    }
}

@Test func oneProcessGroupWithoutMPIRun() throws {
    // `swift test` is not started by mpirun: a one-process group, MPI never loaded
    let g = try ProcessGroup.initialize(timeout: 5, "test")
    defer { try? ProcessGroup.finalize("test") }
    #expect(g.rank == 0 && g.size == 1 && g.backend == "local")
    let t = try Tensor([1, 2, 3], shape: [3])
    try g.allreduce(t, op: .mean)
    try g.broadcast(t, root: 0)
    #expect(Array(UnsafeBufferPointer(start: t.floats, count: 3)) == [1, 2, 3])
    let all = try g.allgather(t)
    #expect(all.shape == [1, 3])
    #expect(throws: SNNError.self) { try g.broadcast(t, root: 1) }
    #expect(throws: SNNError.self) { try ProcessGroup.initialize(timeout: 5, "test") }
    // DataParallel on one rank leaves backward's gradients as they are
    Generator.global.manualSeed(3)
    let m = try Linear(inFeatures: 3, outFeatures: 2)
    let dp = try DataParallel(m, group: g, bucketCapMB: 1e-5)
    #expect(dp.bucketSizes.count == 2)  // 24 + 8 bytes, the cap splits them
    try sum(try m.forward(try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]))).backward()
    let w = try #require(m.parameters.first?.grad)
    #expect(Array(UnsafeBufferPointer(start: w.floats, count: 3)) == [5, 7, 9])
}

@Test func backwardRunsQueuedCallbacksAfterTheLastGradient() throws {
    let a = try Tensor([1, 2], shape: [2])
    try a.setRequiresGrad(true)
    var seen: [String] = []
    a.postAccumulateGradHooks.append { t in
        seen.append("hook \(t.grad?.floats[0] ?? -1)")
        #expect(BackwardCallbacks.queue { seen.append("end") })
    }
    try sum(try mul(a, a)).backward()
    #expect(seen == ["hook 2.0", "end"])
    #expect(!BackwardCallbacks.queue { })  // outside backward: nothing to queue on
}
