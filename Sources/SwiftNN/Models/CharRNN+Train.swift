// CharRNN training and evaluation on a text: truncated BPTT over `batchSize` contiguous
// streams, trained through the engine's Trainer, and bits per character.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options of `CharRNN.fit`.
public struct CharRNNTrainOptions: Sendable {
    public var seqLen = 100
    public var batchSize = 32
    public var epochs = 1
    /// Stop after this many optimizer steps in total (0: no limit).
    public var maxSteps = 0
    public var lr = 2e-3
    /// Max total gradient norm (0: no clipping).
    public var clip = 5.0
    public var reportEvery = 50
    /// Data-parallel training: `batchSize` is the global number of streams, each rank trains
    /// on its own contiguous block of batchSize / ranks of them (so N ranks follow one process).
    public var dataParallel: DataParallel?
    public init() {}
}

extension CharRNN {
    /// `batch` streams of equal length cut from `ids` (the tail is dropped); nil if too short.
    fileprivate static func streams(_ ids: [UInt8], batch: Int, seqLen: Int) -> (len: Int, chunks: Int)? {
        let len = ids.count / batch
        guard len >= 2 else { return nil }
        return (len, (len - 1 + seqLen - 1) / seqLen)
    }

    /// Inputs [T, B] and targets [T*B] for chunk starting at `t0` of each stream.
    fileprivate static func chunk(_ ids: [UInt8], len: Int, batch: Int, t0: Int, seqLen: Int) throws -> (Tensor, Tensor) {
        let T = min(seqLen, len - 1 - t0)
        var x = [Int64](repeating: 0, count: T * batch), y = x
        for t in 0..<T {
            for b in 0..<batch {
                x[t * batch + b] = Int64(ids[b * len + t0 + t])
                y[t * batch + b] = Int64(ids[b * len + t0 + t + 1])
            }
        }
        return (try Tensor(int64: x, shape: [T, batch]), try Tensor(int64: y, shape: [T * batch]))
    }

    /// Trains on `text` with truncated BPTT: `batchSize` contiguous streams, `seqLen` steps per
    /// chunk, the LSTM state carried (detached) from chunk to chunk and reset each epoch; Adam
    /// with gradient clipping. Progress `loss` is in nats per character. Returns each step's loss.
    @discardableResult
    public func fit(text: UnsafeRawBufferPointer, options o: CharRNNTrainOptions,
                    progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        let fn = "CharRNN.fit"
        guard o.seqLen >= 1, o.seqLen <= 1 << 20, o.batchSize >= 1, o.batchSize <= 1 << 20 else {
            throw SNNError.invalid("\(fn): seq_len (\(o.seqLen)) and batch_size (\(o.batchSize)) must be in 1...1048576")
        }
        guard o.epochs >= 1, o.epochs <= 1_000_000, o.maxSteps >= 0 else {
            throw SNNError.invalid("\(fn): epochs (\(o.epochs)) must be in 1...1000000 and max_steps (\(o.maxSteps)) >= 0")
        }
        guard o.lr.isFinite, o.lr > 0, o.clip.isFinite, o.clip >= 0 else {
            throw SNNError.invalid("\(fn): lr (\(o.lr)) must be > 0 and clip (\(o.clip)) >= 0, both finite")
        }
        guard o.reportEvery >= 1 else { throw SNNError.invalid("\(fn): report_every must be >= 1, got \(o.reportEvery)") }
        let ids = try encode(text, fn)
        guard let (len, chunks) = Self.streams(ids, batch: o.batchSize, seqLen: o.seqLen) else {
            throw SNNError.invalid("\(fn): the text (\(text.count) bytes) is too short for batch_size \(o.batchSize): need at least \(2 * o.batchSize) bytes")
        }
        // The optimizer persists across calls (its moments carry on), at this call's rate.
        let opt: Adam
        if let existing = trainingOptimizer {
            opt = existing
            try opt.setLearningRate(o.lr)
        } else {
            opt = try Adam(parameters, Adam.Options(lr: o.lr))
            trainingOptimizer = opt
        }
        var t = TrainOptions()
        t.epochs = o.epochs
        t.maxSteps = o.maxSteps
        t.maxGradNorm = o.clip
        t.reportEvery = o.reportEvery
        var mine = ids, batch = o.batchSize
        if let dp = o.dataParallel, dp.group.size > 1 {
            let p = dp.group.size
            guard o.batchSize % p == 0 else {
                throw SNNError.invalid("\(fn): batch_size \(o.batchSize) (the global number of streams) must be a multiple of the \(p) ranks")
            }
            batch = o.batchSize / p  // stream b lives at ids[b * len ..< (b + 1) * len]
            mine = Array(ids[(dp.group.rank * batch * len)..<((dp.group.rank + 1) * batch * len)])
        }
        let streams = CharRNNStreams(self, ids: mine, length: len, chunks: chunks, batch: batch, seqLen: o.seqLen)
        let trainer = Trainer(model: self, optimizer: opt, name: fn)
        trainer.dataParallel = o.dataParallel
        return try trainer.fit(streams, options: t, progress: progress)
    }

    /// Mean cross-entropy on `text` in bits per character (state carried across chunks, no
    /// recording, eval mode; the mode is restored).
    public func bitsPerCharacter(text: UnsafeRawBufferPointer, seqLen: Int = 100, batchSize: Int = 16) throws -> Double {
        let fn = "CharRNN.evaluate"
        guard seqLen >= 1, seqLen <= 1 << 20, batchSize >= 1, batchSize <= 1 << 20 else {
            throw SNNError.invalid("\(fn): seq_len (\(seqLen)) and batch_size (\(batchSize)) must be in 1...1048576")
        }
        let ids = try encode(text, fn)
        guard let (len, _) = Self.streams(ids, batch: batchSize, seqLen: seqLen) else {
            throw SNNError.invalid("\(fn): the text (\(text.count) bytes) is too short for batch_size \(batchSize): need at least \(2 * batchSize) bytes")
        }
        let was = training
        train(false)
        defer { train(was) }
        return try GradMode.withoutGrad {
            var h: Tensor? = nil, c: Tensor? = nil
            var total = 0.0, count = 0, t0 = 0
            while t0 < len - 1 {
                let (x, y) = try Self.chunk(ids, len: len, batch: batchSize, t0: t0, seqLen: seqLen)
                t0 += seqLen
                let outs = try forwardWithEmbeddedInput(x, h0: h, c0: c)
                h = outs[1]; c = outs[2]
                total += Double(try crossEntropy(outs[0], y).item()) * Double(y.count)
                count += y.count
            }
            return total / Double(max(count, 1)) / log(2.0)
        }
    }
}

/// The text as `batch` contiguous streams read `seqLen` characters at a time, the LSTM state
/// carried (detached) from chunk to chunk and reset each epoch: truncated BPTT.
final class CharRNNStreams: TrainingTask {
    let model: CharRNN
    let ids: [UInt8]
    let length: Int, batch: Int, seqLen: Int
    let stepsPerEpoch: Int
    private var h: Tensor? = nil, c: Tensor? = nil
    private var t0 = 0

    init(_ model: CharRNN, ids: [UInt8], length: Int, chunks: Int, batch: Int, seqLen: Int) {
        self.model = model
        self.ids = ids
        self.length = length
        self.batch = batch
        self.seqLen = seqLen
        stepsPerEpoch = chunks
    }

    func startEpoch(_ epoch: Int) {
        h = nil
        c = nil
        t0 = 0
    }

    /// Cross-entropy in nats per character; items are characters (T * B).
    func nextLoss() throws -> (loss: Tensor, items: Int)? {
        guard t0 < length - 1 else { return nil }
        let (x, y) = try CharRNN.chunk(ids, len: length, batch: batch, t0: t0, seqLen: seqLen)
        t0 += seqLen
        let outs = try model.forwardWithEmbeddedInput(x, h0: h, c0: c)
        h = outs[1].detach()
        c = outs[2].detach()
        return (try crossEntropy(outs[0], y), x.count)
    }
}
