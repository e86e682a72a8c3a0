// Seq2Seq training through the engine's Trainer: one step (loss, backward, clipping, optimizer
// step) and shuffled mini-batches of padded pairs as a TrainingTask.

extension Seq2Seq {
    /// Loss, backward, optional clipping (`maxGradNorm` > 0), optimizer step. Returns the loss.
    @discardableResult
    public func trainStep(src: Tensor, tgt: Tensor, optimizer: Optimizer, maxGradNorm: Double = 0) throws -> Double {
        train(true)
        let l = try loss(src: src, tgt: tgt)
        return try Trainer(model: self, optimizer: optimizer, name: "seq2seq_train_step").step(l, maxGradNorm: maxGradNorm)
    }

    /// Trains on the rows of `src` [N, S] and `tgt` [N, T] in batches of `batchSize`, shuffled
    /// each epoch by a generator seeded with `seed`. Returns every step's loss.
    @discardableResult
    public func fit(src: Tensor, tgt: Tensor, optimizer: Optimizer, epochs: Int, batchSize: Int, seed: UInt64 = 0,
                    maxGradNorm: Double = 0, scheduler: LRScheduler? = nil, reportEvery: Int = 50,
                    dataParallel: DataParallel? = nil, checkpointEvery: Int = 0, checkpointPath: String = "",
                    progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        let fn = "seq2seq_fit"
        guard epochs >= 1, epochs <= 1_000_000 else { throw SNNError.invalid("\(fn): epochs must be in 1...1000000, got \(epochs)") }
        guard batchSize >= 1 else { throw SNNError.invalid("\(fn): batch_size must be >= 1, got \(batchSize)") }
        guard reportEvery >= 1 else { throw SNNError.invalid("\(fn): report_every must be >= 1, got \(reportEvery)") }
        _ = try rowLengths(src, vocab: srcVocab, fn, "src", allowEmpty: false)
        _ = try rowLengths(tgt, vocab: tgtVocab, fn, "tgt", allowEmpty: true)
        guard tgt.shape[0] == src.shape[0] else { throw SNNError.shape("\(fn): src \(fmt(src.shape)) and tgt \(fmt(tgt.shape)) must have the same number of rows") }
        var o = TrainOptions()
        o.epochs = epochs
        o.maxGradNorm = maxGradNorm
        o.reportEvery = reportEvery
        o.checkpointEvery = checkpointEvery
        o.checkpointPath = checkpointPath
        let trainer = Trainer(model: self, optimizer: optimizer, scheduler: scheduler, name: fn)
        trainer.dataParallel = dataParallel
        let batches = Seq2SeqBatches(self, src: src, tgt: tgt, batchSize: batchSize, seed: seed)
        if let g = dataParallel?.group, g.size > 1 {
            // batchSize is global: every rank draws the same order, each takes every size-th row
            guard batchSize >= g.size else { throw SNNError.invalid("\(fn): batch_size \(batchSize) (global) is smaller than the \(g.size) ranks") }
            batches.shard = (g.rank, g.size)
        }
        return try trainer.fit(batches, options: o, progress: progress)
    }

    /// Drops trailing all-padding columns of a [B, L] batch (at least one column stays).
    func trimmed(_ t: Tensor) throws -> Tensor {
        let b = t.shape[0], l = t.shape[1]
        var used = 1
        for i in 0..<b { for j in stride(from: l - 1, through: used, by: -1) where t.int64s[i * l + j] != Int64(padIdx) { used = j + 1; break } }
        return used == l ? t : try slice(t, dim: 1, start: 0, end: used)
    }
}

/// The rows of (src, tgt) in batches, reshuffled each epoch (Fisher-Yates over splitmix64, so
/// a seed gives the same batches on every platform), trimmed of all-padding columns.
final class Seq2SeqBatches: TrainingTask {
    let model: Seq2Seq
    let src: Tensor, tgt: Tensor
    let batchSize: Int
    let stepsPerEpoch: Int
    private var rng: UInt64
    private var order: [Int]
    private var step = 0
    /// Under data parallelism: this rank's rows of each global batch are rows[rank::size].
    var shard = (rank: 0, size: 1)

    init(_ model: Seq2Seq, src: Tensor, tgt: Tensor, batchSize: Int, seed: UInt64) {
        self.model = model
        self.src = src
        self.tgt = tgt
        self.batchSize = batchSize
        let n = src.shape[0]
        stepsPerEpoch = (n + batchSize - 1) / batchSize
        rng = seed &+ 0x9E37_79B9_7F4A_7C15
        order = Array(0..<n)
    }

    private func next() -> UInt64 {  // splitmix64
        rng = rng &+ 0x9E37_79B9_7F4A_7C15
        var z = rng
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func startEpoch(_ epoch: Int) {
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(next() % UInt64(i + 1))) }
        step = 0
    }

    func nextLoss() throws -> (loss: Tensor, items: Int)? {
        guard step < stepsPerEpoch else { return nil }
        let global = Array(order[(step * batchSize)..<min(order.count, (step + 1) * batchSize)])
        let rows = stride(from: shard.rank, to: global.count, by: shard.size).map { global[$0] }
        step += 1
        // a last batch too short for every rank to get a row ends the epoch on all ranks alike
        if global.count < shard.size { return nil }
        let idx = try Tensor(int64: rows.map { Int64($0) }, shape: [rows.count])
        let (bs, bt) = try GradMode.withoutGrad { (try model.trimmed(try indexSelect(src, dim: 0, index: idx)),
                                                     try model.trimmed(try indexSelect(tgt, dim: 0, index: idx))) }
        return (try model.loss(src: bs, tgt: bt), rows.count)
    }
}
