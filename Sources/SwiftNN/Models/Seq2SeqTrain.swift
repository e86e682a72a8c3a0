// Seq2Seq training: one step (loss, backward, clipping, optimizer step) and a shuffled
// mini-batch loop over padded pairs with TrainProgress reports (epoch, loss, samples/s, ETA).

extension Seq2Seq {
    /// Loss, backward, optional clipping (`maxGradNorm` > 0), optimizer step. Returns the loss.
    @discardableResult
    public func trainStep(src: Tensor, tgt: Tensor, optimizer: Optimizer, maxGradNorm: Double = 0) throws -> Double {
        train(true)
        let l = try loss(src: src, tgt: tgt)
        let v = Double(try l.item())
        guard v.isFinite else { throw SNNError(.autograd, "seq2seq_train_step: loss became \(v); lower the learning rate") }
        optimizer.zeroGrad(setToNone: true)
        try l.backward()
        if maxGradNorm > 0 { _ = try clipGradNorm(parameters, maxNorm: maxGradNorm) }
        try optimizer.step()
        return v
    }

    /// Trains on the rows of `src` [N, S] and `tgt` [N, T] in batches of `batchSize`, shuffled
    /// each epoch by a generator seeded with `seed`. Returns every step's loss.
    @discardableResult
    public func fit(src: Tensor, tgt: Tensor, optimizer: Optimizer, epochs: Int, batchSize: Int, seed: UInt64 = 0,
                    maxGradNorm: Double = 0, scheduler: LRScheduler? = nil, reportEvery: Int = 50,
                    progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        let fn = "seq2seq_fit"
        guard epochs >= 1, epochs <= 1_000_000 else { throw SNNError.invalid("\(fn): epochs must be in 1...1000000, got \(epochs)") }
        guard batchSize >= 1 else { throw SNNError.invalid("\(fn): batch_size must be >= 1, got \(batchSize)") }
        guard reportEvery >= 1 else { throw SNNError.invalid("\(fn): report_every must be >= 1, got \(reportEvery)") }
        _ = try rowLengths(src, vocab: srcVocab, fn, "src", allowEmpty: false)
        _ = try rowLengths(tgt, vocab: tgtVocab, fn, "tgt", allowEmpty: true)
        let n = src.shape[0]
        guard tgt.shape[0] == n else { throw SNNError.shape("\(fn): src \(fmt(src.shape)) and tgt \(fmt(tgt.shape)) must have the same number of rows") }
        let steps = (n + batchSize - 1) / batchSize
        var rng = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {  // splitmix64
            rng = rng &+ 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var order = Array(0..<n)
        var history: [Double] = []
        var p = TrainProgress()
        p.epochs = epochs
        p.stepsPerEpoch = steps
        var window = ProgressWindow()
        for epoch in 1...epochs {
            p.epoch = epoch
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(next() % UInt64(i + 1))) }
            for s in 0..<steps {
                let rows = Array(order[(s * batchSize)..<min(n, (s + 1) * batchSize)])
                let idx = try Tensor(int64: rows.map { Int64($0) }, shape: [rows.count])
                let (bs, bt) = try GradMode.withoutGrad { (try trimmed(try indexSelect(src, dim: 0, index: idx)),
                                                             try trimmed(try indexSelect(tgt, dim: 0, index: idx))) }
                let v = try trainStep(src: bs, tgt: bt, optimizer: optimizer, maxGradNorm: maxGradNorm)
                history.append(v)
                p.step = s + 1
                p.globalStep += 1
                window.add(loss: v, samples: rows.count)
                let atEnd = s + 1 == steps
                if let progress, p.step % reportEvery == 0 || atEnd {
                    window.report(into: &p, totalSteps: epochs * steps)
                    p.learningRate = (try? optimizer.learningRate(group: 0)) ?? 0
                    p.endOfEpoch = atEnd
                    if !progress(p) { return history }
                }
            }
            try scheduler?.step()
        }
        return history
    }

    /// Drops trailing all-padding columns of a [B, L] batch (at least one column stays).
    func trimmed(_ t: Tensor) throws -> Tensor {
        let b = t.shape[0], l = t.shape[1]
        var used = 1
        for i in 0..<b { for j in stride(from: l - 1, through: used, by: -1) where t.int64s[i * l + j] != Int64(padIdx) { used = j + 1; break } }
        return used == l ? t : try slice(t, dim: 1, start: 0, end: used)
    }
}
