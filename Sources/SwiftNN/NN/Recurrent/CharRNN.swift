// CharRNN: a byte-level language model, Embedding -> LSTM (L layers) -> Linear over the
// vocabulary, with truncated-BPTT training, bits-per-character evaluation and a fused sampler
// that steps the cells on preallocated buffers (no autograd, no tensors per character).
import CBLAS
import SwiftNNKernels
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
    public init() {}
}

public final class CharRNN: Module {
    /// The byte each class index stands for (distinct).
    public let vocab: [UInt8]
    public let embeddingDim: Int, hiddenSize: Int, numLayers: Int
    let embed: Embedding
    let lstm: LSTM
    let head: Linear
    /// byte -> class index, -1 for bytes outside the vocabulary.
    private var index = [Int](repeating: -1, count: 256)
    /// Training state kept across `fit` calls: the optimizer (created on first use).
    private var optimizer: Adam?

    public init(vocab: [UInt8], embeddingDim: Int, hiddenSize: Int, numLayers: Int) throws {
        let fn = "CharRNN"
        guard !vocab.isEmpty, vocab.count <= 256 else {
            throw SNNError.invalid("\(fn): the vocabulary must have 1 to 256 distinct bytes, got \(vocab.count)")
        }
        guard embeddingDim >= 1, embeddingDim <= 1 << 16, hiddenSize >= 1, hiddenSize <= 1 << 14,
              numLayers >= 1, numLayers <= 64 else {
            throw SNNError.invalid("\(fn): embedding_dim (\(embeddingDim)), hidden_size (\(hiddenSize)) and num_layers (\(numLayers)) must be >= 1 (and at most 65536, 16384, 64)")
        }
        for (i, b) in vocab.enumerated() {
            guard index[Int(b)] < 0 else { throw SNNError.invalid("\(fn): byte \(b) appears twice in the vocabulary") }
            index[Int(b)] = i
        }
        self.vocab = vocab
        self.embeddingDim = embeddingDim
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        embed = try Embedding(numEmbeddings: vocab.count, embeddingDim: embeddingDim)
        lstm = try LSTM(inputSize: embeddingDim, hiddenSize: hiddenSize, numLayers: numLayers)
        head = try Linear(inFeatures: hiddenSize, outFeatures: vocab.count)
        super.init()
        registerChild("embed", embed)
        registerChild("lstm", lstm)
        registerChild("head", head)
    }

    /// The longest text `fit`, `bitsPerCharacter` and `sample` accept.
    public static let maxTextLength = 1 << 31

    /// The distinct bytes of `text`, sorted: a vocabulary for it.
    public static func vocabulary(of text: UnsafeRawBufferPointer) -> [UInt8] {
        var seen = [Bool](repeating: false, count: 256)
        for b in text { seen[Int(b)] = true }
        return (0..<256).filter { seen[$0] }.map { UInt8($0) }
    }

    /// Class indices of `text`; a byte outside the vocabulary is an error naming its offset.
    public func encode(_ text: UnsafeRawBufferPointer, _ fn: String) throws -> [UInt8] {
        guard text.count <= CharRNN.maxTextLength else {
            throw SNNError.invalid("\(fn): the text has \(text.count) bytes; at most \(CharRNN.maxTextLength) (2 GiB) are supported")
        }
        var out = [UInt8](repeating: 0, count: text.count)
        for (i, b) in text.enumerated() {
            let k = index[Int(b)]
            guard k >= 0 else {
                throw SNNError.range("\(fn): byte \(b) at offset \(i) is not in the model's vocabulary of \(vocab.count) characters")
            }
            out[i] = UInt8(truncatingIfNeeded: k)
        }
        return out
    }

    public override var typeName: String { "CharRNN" }
    public override var config: [(String, JSON)] {
        [("vocab", .ints(vocab.map { Int($0) })), ("embedding_dim", .int(embeddingDim)),
         ("hidden_size", .int(hiddenSize)), ("num_layers", .int(numLayers))]
    }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "CharRNN")
        let v = try r.ints("vocab")
        guard v.allSatisfy({ $0 >= 0 && $0 < 256 }) else { throw SNNError(.format, "architecture: CharRNN.vocab has a value outside 0...255") }
        return try CharRNN(vocab: v.map { UInt8($0) }, embeddingDim: try r.int("embedding_dim"),
                           hiddenSize: try r.int("hidden_size"), numLayers: try r.int("num_layers"))
    }

    /// indices int64 [T, B] (+ optional h0, c0) -> [logits [T*B, V], h_n, c_n].
    public override func forward(optional inputs: [Tensor?]) throws -> [Tensor] {
        guard let x = inputs.first ?? nil else { throw SNNError.invalid("CharRNN.forward: expected inputs x [, h0, c0]") }
        guard x.shape.count == 2 else { throw SNNError.shape("CharRNN.forward: x must be int64 [T, B], got shape \(x.shape)") }
        let e = try embed.forward(x)
        let outs = try lstm.forward(optional: [e, inputs.count > 1 ? inputs[1] : nil, inputs.count > 2 ? inputs[2] : nil])
        let flat = try reshape(outs[0], [x.shape[0] * x.shape[1], hiddenSize])
        return [try head.forward(flat), outs[1], outs[2]]
    }
    public override func forward(_ inputs: [Tensor]) throws -> [Tensor] { try forward(optional: inputs.map { $0 }) }
    public override func forward(_ input: Tensor) throws -> Tensor { try forward(optional: [input])[0] }

    /// `batch` streams of equal length cut from `ids` (the tail is dropped); nil if too short.
    private static func streams(_ ids: [UInt8], batch: Int, seqLen: Int) -> (len: Int, chunks: Int)? {
        let len = ids.count / batch
        guard len >= 2 else { return nil }
        return (len, (len - 1 + seqLen - 1) / seqLen)
    }

    /// Inputs [T, B] and targets [T*B] for chunk starting at `t0` of each stream.
    private static func chunk(_ ids: [UInt8], len: Int, batch: Int, t0: Int, seqLen: Int) throws -> (Tensor, Tensor) {
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
        let opt: Adam
        if let existing = optimizer {
            opt = existing
            try opt.setLearningRate(o.lr)
        } else {
            opt = try Adam(parameters, Adam.Options(lr: o.lr))
            optimizer = opt
        }
        train(true)
        let stepsPerEpoch = o.maxSteps > 0 ? min(chunks, o.maxSteps) : chunks
        var history: [Double] = []
        var p = TrainProgress()
        p.epochs = o.epochs
        p.stepsPerEpoch = stepsPerEpoch
        var window = ProgressWindow()
        for epoch in 1...o.epochs {
            p.epoch = epoch
            p.step = 0
            var h: Tensor? = nil, c: Tensor? = nil
            var t0 = 0
            while t0 < len - 1 {
                if o.maxSteps > 0 && p.globalStep >= o.maxSteps { return history }
                let (x, y) = try Self.chunk(ids, len: len, batch: o.batchSize, t0: t0, seqLen: o.seqLen)
                t0 += o.seqLen
                let outs = try forwardWithEmbeddedInput(x, h0: h, c0: c)
                h = outs[1].detach()
                c = outs[2].detach()
                let loss = try crossEntropy(outs[0], y)
                opt.zeroGrad()
                try loss.backward()
                if o.clip > 0 { _ = try clipGradNorm(parameters, maxNorm: o.clip) }
                try opt.step()
                let v = Double(try loss.item())
                guard v.isFinite else {
                    throw SNNError(.autograd, "\(fn): loss became \(v) at epoch \(epoch) step \(p.step + 1); lower the learning rate")
                }
                history.append(v)
                p.step += 1
                p.globalStep += 1
                window.add(loss: v, samples: x.count)
                let atEnd = p.step >= stepsPerEpoch || t0 >= len - 1
                if let progress, p.step % o.reportEvery == 0 || atEnd {
                    window.report(into: &p, totalSteps: o.maxSteps > 0 ? o.maxSteps : o.epochs * stepsPerEpoch)
                    p.learningRate = o.lr
                    p.endOfEpoch = atEnd
                    if !progress(p) { return history }
                }
            }
        }
        return history
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

    /// `prime` followed by `count` sampled bytes. The prime's bytes must be in the vocabulary
    /// (an empty prime starts from the first vocabulary byte, which is not echoed).
    /// temperature > 0 divides the logits; draws come from a Philox generator seeded with `seed`.
    public func sample(prime: [UInt8], count: Int, temperature: Double, seed: UInt64) throws -> [UInt8] {
        let fn = "CharRNN.sample"
        guard count >= 0, count <= 1 << 30 else { throw SNNError.invalid("\(fn): n must be in 0...2^30, got \(count)") }
        guard temperature.isFinite, temperature > 0 else {
            throw SNNError.invalid("\(fn): temperature must be finite and > 0, got \(temperature)")
        }
        let primeIds = try prime.withUnsafeBytes { try encode($0, fn) }.map { Int($0) }
        let sampler = try FusedSampler(self)
        var out = prime
        out.reserveCapacity(prime.count + count)
        // Uniforms in blocks of 4096 (a multiple of 4: the same stream as one long fill).
        let block = 4096
        let uniforms = UnsafeMutablePointer<Float>.allocate(capacity: block)
        defer { uniforms.deallocate() }
        let generator = Generator(seed: seed)
        var last = 0
        for k in primeIds.dropLast() { sampler.step(k, nil) }
        if let l = primeIds.last { last = l }
        let invT = Float(1 / temperature)
        // Two workers (when OpenBLAS may use two threads and the model is big enough) split
        // each step's hidden units and the head's rows, meeting at barriers; worker 0 draws.
        // Every product row and gate is computed exactly as by one worker: same text.
        let workers = hiddenSize >= 128 ? min(2, recurrentWorkerLimit ?? EngineThreads.count) : 1
        let drawn = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        defer { drawn.deallocate() }
        nonisolated(unsafe) let shared = (sampler, uniforms, drawn, generator)
        if workers > 1 { EngineThreads.shareOnePool() }
        StepTeam.shared.run(workers: workers) { ctx in
            let (sampler, uniforms, drawn, generator) = shared
            var token = last
            for i in 0..<count {
                if ctx.worker == 0, i % block == 0 { generator.fillUniform(uniforms, min(block, count - i)) }
                sampler.step(token, ctx)
                // only worker 0 reads the uniforms (it also writes them)
                token = sampler.draw(invTemperature: invT, uniform: ctx.worker == 0 ? uniforms[i % block] : 0, ctx, into: drawn + i)
            }
        }
        for i in 0..<count { out.append(vocab[drawn[i]]) }
        return out
    }
}

/// The sampler's copies of the weights and its state buffers, all preallocated: a step is
/// L matrix-vector products into the gates (layer 0's input part is a table lookup), the
/// fused LSTM gate kernel, and the head's matrix-vector product. The products are
/// single-threaded SIMD (`matVec`): at batch 1, waking BLAS threads costs more than it saves.
final class FusedSampler {
    let V: Int, H: Int, L: Int
    /// Layer 0: E W_ih0^T + b_ih0 + b_hh0 for each vocabulary entry, [V, 4H].
    let table: UnsafeMutablePointer<Float>
    /// Per layer: W_hh [4H, H]; layers >= 1 also W_ih [4H, H] and bias b_ih + b_hh [4H].
    var whh: [UnsafeMutablePointer<Float>] = [], wih: [UnsafeMutablePointer<Float>] = [], bias: [UnsafeMutablePointer<Float>] = []
    let zeroBias: UnsafeMutablePointer<Float>
    let headW: UnsafeMutablePointer<Float>, headB: UnsafeMutablePointer<Float>
    let h: UnsafeMutablePointer<Float>, hNext: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    let gates: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>

    private static func copy(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: t.count)
        p.update(from: t.floats, count: t.count)
        return p
    }

    init(_ m: CharRNN) throws {
        V = m.vocab.count; H = m.hiddenSize; L = m.numLayers
        let G = 4 * H, E = m.embeddingDim
        let w = m.lstm.flatWeights
        guard w.count == 4 * L, m.embed.weight.count == V * E, m.head.weight.count == V * H, let hb = m.head.bias,
              w.allSatisfy({ $0.dtype == .float32 }) else {
            throw SNNError(.internalError, "CharRNN.sample: unexpected parameter layout")
        }
        let emb = m.embed.weight, w0 = w[0]
        table = .allocate(capacity: V * G)
        sgemm(false, true, V, G, E, emb.floats, w0.floats, beta: 0, table)
        let b0i = w[2], b0h = w[3]
        for v in 0..<V { for j in 0..<G { table[v * G + j] += b0i.floats[j] + b0h.floats[j] } }
        for l in 0..<L {
            whh.append(Self.copy(w[4 * l + 1]))
            if l > 0 {
                wih.append(Self.copy(w[4 * l]))
                let b = UnsafeMutablePointer<Float>.allocate(capacity: G)
                let bi = w[4 * l + 2], bh = w[4 * l + 3]
                for j in 0..<G { b[j] = bi.floats[j] + bh.floats[j] }
                bias.append(b)
            }
        }
        zeroBias = .allocate(capacity: G); zeroBias.initialize(repeating: 0, count: G)
        headW = Self.copy(m.head.weight); headB = Self.copy(hb)
        h = .allocate(capacity: L * H); h.initialize(repeating: 0, count: L * H)
        c = .allocate(capacity: L * H); c.initialize(repeating: 0, count: L * H)
        hNext = .allocate(capacity: H); hNext.initialize(repeating: 0, count: H)
        gates = .allocate(capacity: G); gates.initialize(repeating: 0, count: G)
        logits = .allocate(capacity: V); logits.initialize(repeating: 0, count: V)
    }

    deinit {
        for p in whh + wih + bias + [table, zeroBias, headW, headB, h, hNext, c, gates, logits] { p.deallocate() }
    }

    /// Hidden units [lower, upper) that worker `w` of `n` owns (multiples of 8).
    private func units(_ ctx: StepTeam.Context?) -> Range<Int> {
        guard let ctx, ctx.workers > 1 else { return 0..<H }
        let blocks = (H + 7) / 8
        return min(H, blocks * ctx.worker / ctx.workers * 8)..<min(H, blocks * (ctx.worker + 1) / ctx.workers * 8)
    }

    /// Feeds class `k` (0..<V, from the caller's own encoding) through every layer; with a
    /// team context, this worker's hidden units only (all workers call it).
    func step(_ k: Int, _ ctx: StepTeam.Context?) {
        let G = 4 * H
        let cols = units(ctx), j0 = cols.lowerBound, n = cols.count
        let s = RecurrentStep(batch: 1, hidden: H, columns: cols, lengths: nil, t: 0)
        for l in 0..<L {
            let hl = h + l * H, cl = c + l * H
            let b: UnsafePointer<Float>
            for g in 0..<4 where n > 0 {
                let rows = g * H + j0
                if l == 0 {
                    (gates + rows).update(from: table + k * G + rows, count: n)
                } else {
                    matVec(m: n, n: H, w: wih[l - 1] + rows * H, x: h + (l - 1) * H, y: gates + rows, accumulate: false)
                }
                matVec(m: n, n: H, w: whh[l] + rows * H, x: hl, y: gates + rows, accumulate: true)
            }
            b = l == 0 ? UnsafePointer(zeroBias) : UnsafePointer(bias[l - 1])
            ctx?.barrier()  // every worker has read all of h before any overwrites its part
            if n > 0 {
                lstmForwardStep(s, pre: gates, ldPre: G, act: gates, ldAct: G, bias: b, hPrev: hl, hNext: hNext, c: cl, out: hl, ldOut: H,
                                savedH: nil, ldSavedH: H, prevC: nil, newC: nil, ldSaved: H)
            }
            ctx?.barrier()  // this layer's h is complete
        }
    }

    /// Softmax(logits / T) of the top layer's h and an inverse-CDF draw with `uniform` in [0, 1).
    /// The team's workers split the head's rows; worker 0 draws and stores the class in
    /// `into`, and every worker returns it.
    func draw(invTemperature: Float, uniform: Float, _ ctx: StepTeam.Context, into: UnsafeMutablePointer<Int>) -> Int {
        let workers = ctx.workers, w = ctx.worker
        let r0 = V * w / workers, r1 = V * (w + 1) / workers
        if r1 > r0 {
            (logits + r0).update(from: headB + r0, count: r1 - r0)
            matVec(m: r1 - r0, n: H, w: headW + r0 * H, x: h + (L - 1) * H, y: logits + r0, accumulate: true)
        }
        ctx.barrier()  // every logit is in place
        if w == 0 { into.pointee = drawFromLogits(invTemperature: invTemperature, uniform: uniform) }
        ctx.barrier()  // the class is published
        return into.pointee
    }

    private func drawFromLogits(invTemperature: Float, uniform: Float) -> Int {
        var mx = -Float.infinity
        for v in 0..<V { mx = max(mx, logits[v]) }
        var sum: Float = 0
        for v in 0..<V { let e = expf((logits[v] - mx) * invTemperature); logits[v] = e; sum += e }
        var target = uniform * sum, pick = V - 1
        for v in 0..<V {
            target -= logits[v]
            if target < 0 { pick = v; break }
        }
        return pick
    }
}
