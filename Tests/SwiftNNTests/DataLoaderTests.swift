// DataLoader: batch counts, drop_last, epochs and seeds, the documented shuffle rule, and the
// order written for the three-language agreement test (build/agreement/swift-dataloader.txt).
import Testing
@testable import SwiftNN

/// inputs[i] = [i, -i], targets[i] = i.
func indexDataset(_ n: Int) throws -> (Tensor, Tensor) {
    let x = try Tensor((0..<n).flatMap { [Float($0), -Float($0)] }, shape: [n, 2])
    let y = try Tensor(int64: (0..<n).map(Int64.init), shape: [n])
    return (x, y)
}

/// The targets of each batch of one epoch, checking inputs travel with their targets.
func epochBatches(_ dl: DataLoader) throws -> [[Int64]] {
    var out: [[Int64]] = []
    while let (x, y) = try dl.next() {
        #expect(x.shape == [y.count, 2])
        #expect(x.scalars == y.int64Scalars.flatMap { [Float($0), -Float($0)] })
        out.append(y.int64Scalars)
    }
    return out
}

@Test func batchCountsAndDropLast() throws {
    let (x, y) = try indexDataset(103)
    let dl = try DataLoader(inputs: x, targets: y, batchSize: 10)
    #expect(dl.count == 11)
    let b = try epochBatches(dl)
    #expect(b.count == 11 && b.last?.count == 3)
    #expect(b.flatMap { $0 } == (0..<103).map(Int64.init))
    let dropped = try DataLoader(inputs: x, targets: y, batchSize: 10, dropLast: true)
    #expect(dropped.count == 10)
    #expect(try epochBatches(dropped).allSatisfy { $0.count == 10 })
    let small = try DataLoader(inputs: x, targets: y, batchSize: 200, dropLast: true)
    #expect(small.count == 0)
    #expect(try small.next() == nil)
    #expect(try small.next() == nil)
}

@Test func shuffleIsAPermutationPerEpochAndDeterministic() throws {
    let (x, y) = try indexDataset(103)
    let a = try DataLoader(inputs: x, targets: y, batchSize: 10, shuffle: true, seed: 2024)
    let b = try DataLoader(inputs: x, targets: y, batchSize: 10, shuffle: true, seed: 2024)
    let e0 = try epochBatches(a), e1 = try epochBatches(a)
    #expect(a.epoch == 1)
    #expect(e0 == (try epochBatches(b)))
    #expect(e0.flatMap { $0 }.sorted() == (0..<103).map(Int64.init))
    #expect(e1.flatMap { $0 }.sorted() == (0..<103).map(Int64.init))
    #expect(e0 != e1, "a new epoch reshuffles")
    #expect(e0.flatMap { $0 } != (0..<103).map(Int64.init))
    a.reset()
    #expect(a.epoch == 0)
    #expect(try epochBatches(a) == e0)
    a.setEpoch(1)
    #expect(try epochBatches(a) == e1)
    let other = try DataLoader(inputs: x, targets: y, batchSize: 10, shuffle: true, seed: 2025)
    #expect(try epochBatches(other) != e0)
}

@Test func shuffleFollowsTheDocumentedRule() {
    // The rule in DataLoader.swift and swiftnn/data.h, written out independently.
    func reference(_ n: Int, _ seed: UInt64, _ epoch: UInt64) -> [Int] {
        var p = Array(0..<n)
        for k in 0..<(n - 1) {
            let i = n - 1 - k
            let w = philox4x32(epoch &* UInt64(n - 1) &+ UInt64(k), seed)
            let r = UInt64(w.0) | (UInt64(w.1) << 32)
            let j = Int((UInt64(i + 1).multipliedFullWidth(by: r)).high)
            p.swapAt(i, j)
        }
        return p
    }
    for (n, seed, epoch) in [(2, 0 as UInt64, 0 as UInt64), (10, 1, 0), (103, 2024, 5), (1000, .max, 1 << 40)] {
        #expect(DataLoader.order(count: n, shuffle: true, seed: seed, epoch: epoch) == reference(n, seed, epoch))
    }
    #expect(DataLoader.order(count: 1, shuffle: true, seed: 3, epoch: 9) == [0])
    #expect(DataLoader.order(count: 0, shuffle: true, seed: 3, epoch: 9) == [])
    #expect(DataLoader.order(count: 5, shuffle: false, seed: 3, epoch: 9) == [0, 1, 2, 3, 4])
    // Uniformity sanity check: position of element 0 after shuffling 4 items, over many seeds.
    var hits = [Int](repeating: 0, count: 4)
    for s in 0..<4000 { hits[DataLoader.order(count: 4, shuffle: true, seed: UInt64(s), epoch: 0).firstIndex(of: 0) ?? 0] += 1 }
    #expect(hits.allSatisfy { $0 > 850 && $0 < 1150 }, "\(hits)")
}

@Test func loaderValidatesItsArguments() throws {
    let (x, y) = try indexDataset(5)
    let (_, y4) = try indexDataset(4)
    #expect(thrownStatus { try DataLoader(inputs: x, targets: y4, batchSize: 2) }?.0 == .shapeMismatch)
    #expect(thrownStatus { try DataLoader(inputs: x, targets: y, batchSize: 0) }?.0 == .invalidArgument)
    #expect(thrownStatus { try DataLoader(inputs: try Tensor([1], shape: []), targets: y, batchSize: 1) }?.0 == .shapeMismatch)
    let empty = try DataLoader(inputs: try Tensor([], shape: [0, 3]), targets: try Tensor(int64: [], shape: [0]), batchSize: 4, shuffle: true)
    #expect(empty.count == 0)
    #expect(try empty.next() == nil)
    let huge = try DataLoader(inputs: x, targets: y, batchSize: .max, shuffle: true)
    #expect(huge.count == 1)
    #expect(try huge.next()?.targets.count == 5)
}

/// The configurations every language runs; the Python test compares the three files.
let agreementConfigs: [(name: String, n: Int, batch: Int, shuffle: Bool, seed: UInt64, dropLast: Bool, epochs: Int)] = [
    ("shuffle", 103, 10, true, 2024, false, 3),
    ("droplast", 103, 10, true, 2024, true, 2),
    ("maxseed", 50, 7, true, .max, false, 2),
    ("ordered", 5, 2, false, 0, false, 2),
]

@Test func writeLoaderAgreement() throws {
    var lines: [String] = []
    for c in agreementConfigs {
        let (x, y) = try indexDataset(c.n)
        let dl = try DataLoader(inputs: x, targets: y, batchSize: c.batch, shuffle: c.shuffle, seed: c.seed, dropLast: c.dropLast)
        for e in 0..<c.epochs {
            for (b, batch) in try epochBatches(dl).enumerated() {
                lines.append("\(c.name) epoch=\(e) batch=\(b) " + batch.map(String.init).joined(separator: ","))
            }
        }
    }
    try writeAgreement(area: "dataloader", lines: lines)
}
