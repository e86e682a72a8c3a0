// Caption generation: greedy and beam search over the decoder, one image at a time, without
// recording and without per-step tensors: the LSTM step and output layer run on preallocated
// Float buffers read straight from the trained weights.

/// How `ImageCaptioner.caption` decodes.
public struct CaptionDecoding: Sendable {
    /// 0 = greedy; >= 1 = beam search with this many hypotheses (1 gives greedy's caption).
    public var beamWidth = 0
    /// Most tokens generated, the end token included.
    public var maxLength = 20
    /// Beam scores are log p / ((5 + length) / 6)^lengthPenalty (GNMT); 0 = raw log p.
    public var lengthPenalty = 0.0
    /// The token that ends a caption; nil = `<eos>`.
    public var endToken: Int? = nil
    public init() {}
}

/// A generated caption: its tokens (without `<bos>` and the end token), log-probability and score.
public struct GeneratedCaption: Sendable {
    public var tokens: [Int]
    public var logProbability: Double
    public var score: Double
}

/// The decoder's weights and scratch buffers for one decoding call.
private struct DecoderStep {
    let e: Int, h: Int, v: Int
    let emb: UnsafeMutablePointer<Float>, wih: UnsafeMutablePointer<Float>, whh: UnsafeMutablePointer<Float>
    let bih: UnsafeMutablePointer<Float>?, bhh: UnsafeMutablePointer<Float>?
    let wout: UnsafeMutablePointer<Float>, bout: UnsafeMutablePointer<Float>?
    var gates: [Float]
    var logits: [Float]

    init(_ m: ImageCaptioner) throws {
        let w = m.lstm.flatWeights
        guard w.count >= 2 else { throw SNNError(.internalError, "ImageCaptioner.caption: the LSTM has no weights") }
        e = m.embedDim; h = m.hiddenSize; v = m.vocabulary.count
        emb = m.embed.weight.floats
        wih = w[0].floats; whh = w[1].floats
        bih = w.count >= 4 ? w[2].floats : nil
        bhh = w.count >= 4 ? w[3].floats : nil
        wout = m.out.weight.floats
        bout = m.out.bias?.floats
        gates = [Float](repeating: 0, count: 4 * h)
        logits = [Float](repeating: 0, count: v)
    }

    /// One LSTM step from `token` updating (hs, cs) in place, then the log-softmax of the
    /// output layer into `logits`. `token` is in 0..<v (the callers only pass ids they made).
    mutating func step(_ token: Int, _ hs: inout [Float], _ cs: inout [Float]) {
        let e = self.e, h = self.h, v = self.v
        let x = emb + token * e
        gates.withUnsafeMutableBufferPointer { g in
            hs.withUnsafeMutableBufferPointer { hp in
                cs.withUnsafeMutableBufferPointer { cp in
                    for j in 0..<(4 * h) {
                        var s: Float = (bih?[j] ?? 0) + (bhh?[j] ?? 0)
                        let wi = wih + j * e, wh = whh + j * h
                        for k in 0..<e { s += wi[k] * x[k] }
                        for k in 0..<h { s += wh[k] * hp[k] }
                        g[j] = s
                    }
                    for k in 0..<h {
                        let i = sigmoidf(g[k]), f = sigmoidf(g[h + k]), gg = tanhf(g[2 * h + k]), o = sigmoidf(g[3 * h + k])
                        let c = f * cp[k] + i * gg
                        cp[k] = c
                        hp[k] = o * tanhf(c)
                    }
                }
            }
        }
        logits.withUnsafeMutableBufferPointer { z in
            hs.withUnsafeBufferPointer { hp in
                var mx = -Float.infinity
                for t in 0..<v {
                    var s: Float = bout?[t] ?? 0
                    let w = wout + t * h
                    for k in 0..<h { s += w[k] * hp[k] }
                    z[t] = s
                    if s > mx { mx = s }
                }
                var sum: Float = 0
                for t in 0..<v { sum += expf(z[t] - mx) }
                let lse = mx + logf(sum)
                for t in 0..<v { z[t] -= lse }
                // Never generate padding or the start token.
                z[ImageCaptioner.pad] = -.infinity
                z[ImageCaptioner.bos] = -.infinity
            }
        }
    }
}

@inline(__always) private func sigmoidf(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

extension ImageCaptioner {
    /// Captions one image ([C, H, W] or [1, C, H, W]) in eval mode without recording (the
    /// module's mode is restored).
    public func caption(_ image: Tensor, _ options: CaptionDecoding = CaptionDecoding()) throws -> GeneratedCaption {
        let fn = "ImageCaptioner.caption"
        guard options.beamWidth >= 0, options.beamWidth <= 256 else {
            throw SNNError.invalid("\(fn): beam_width \(options.beamWidth), expected 0 (greedy) or 1...256")
        }
        guard options.maxLength >= 1, options.maxLength <= 10_000 else {
            throw SNNError.invalid("\(fn): max_length \(options.maxLength), expected 1...10000")
        }
        guard options.lengthPenalty.isFinite, options.lengthPenalty >= 0, options.lengthPenalty <= 10 else {
            throw SNNError.invalid("\(fn): length_penalty \(options.lengthPenalty), expected 0...10")
        }
        let end = options.endToken ?? ImageCaptioner.eos
        guard end >= 0, end < vocabulary.count, end != ImageCaptioner.pad, end != ImageCaptioner.bos else {
            throw SNNError.range("\(fn): end token \(end) must be in 2..<\(vocabulary.count)")
        }
        try image.requireFloat(fn, "image")
        let batched: Tensor
        if image.rank == 3 { batched = try unsqueeze(image, dim: 0) } else { batched = image }
        guard batched.rank == 4, batched.shape[0] == 1, batched.shape[1] == inChannels else {
            throw SNNError.shape("\(fn): image has shape \(fmt(image.shape)), expected [\(inChannels), H, W] or [1, \(inChannels), H, W]")
        }
        let wasTraining = training
        train(false)
        defer { train(wasTraining) }
        let (h0, c0) = try GradMode.withoutGrad { try initialState(batched) }
        guard h0.count == hiddenSize, c0.count == hiddenSize else { throw SNNError(.internalError, "\(fn): initial state has the wrong size") }
        var dec = try DecoderStep(self)
        let h = Array(UnsafeBufferPointer(start: h0.floats, count: hiddenSize))
        let c = Array(UnsafeBufferPointer(start: c0.floats, count: hiddenSize))
        if options.beamWidth == 0 { return greedy(&dec, h, c, end: end, maxLength: options.maxLength) }
        return beam(&dec, h, c, end: end, options: options)
    }

    private func greedy(_ dec: inout DecoderStep, _ h0: [Float], _ c0: [Float], end: Int, maxLength: Int) -> GeneratedCaption {
        var h = h0, c = c0, token = ImageCaptioner.bos, tokens: [Int] = [], logp = 0.0
        for _ in 0..<maxLength {
            dec.step(token, &h, &c)
            var best = 0
            for t in 1..<dec.v where dec.logits[t] > dec.logits[best] { best = t }
            logp += Double(dec.logits[best])
            if best == end { return GeneratedCaption(tokens: tokens, logProbability: logp, score: logp) }
            tokens.append(best)
            token = best
        }
        return GeneratedCaption(tokens: tokens, logProbability: logp, score: logp)
    }

    /// Beam search (BeamSearch's GNMT rule: each hypothesis offers its `beamWidth` best
    /// tokens, taken until `beamWidth` are live; at `maxLength`, live ones count only if none
    /// ended), each hypothesis stepped on its own copy of the state.
    private func beam(_ dec: inout DecoderStep, _ h0: [Float], _ c0: [Float], end: Int, options: CaptionDecoding) -> GeneratedCaption {
        let width = options.beamWidth, alpha = options.lengthPenalty, v = dec.v
        let search = BeamSearch(width: width, maxLength: options.maxLength, startToken: ImageCaptioner.bos, endToken: end, vocabulary: v,
                                selection: .fillLive, endAtMaxLength: false, stopWhenSettled: false,
                                score: { logp, length in alpha == 0 ? logp : logp / _pow((5 + Double(length)) / 6, alpha) })
        var hs = [h0], cs = [c0]
        let logProbs = UnsafeMutablePointer<Float>.allocate(capacity: width * v)
        defer { logProbs.deallocate() }
        let emittable = (0..<v).map { $0 != ImageCaptioner.pad && $0 != ImageCaptioner.bos }
        let best = search.run(emittable: emittable, step: { tokens in
            for (r, token) in tokens.enumerated() {
                dec.step(token, &hs[r], &cs[r])
                dec.logits.withUnsafeBufferPointer { (logProbs + r * v).update(from: $0.baseAddress!, count: v) }
            }
            return UnsafePointer(logProbs)
        }, reorder: { parents in
            hs = parents.map { hs[$0] }
            cs = parents.map { cs[$0] }
        })
        guard let best else { return GeneratedCaption(tokens: [], logProbability: 0, score: 0) }
        return GeneratedCaption(tokens: best.tokens, logProbability: best.logProb, score: best.score)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _pow(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
#else
import Darwin
@inline(__always) private func _pow(_ a: Double, _ b: Double) -> Double { Darwin.pow(a, b) }
#endif

extension ImageCaptioner {
    /// `image` [C, H, W] (or [1, C, H, W]) with values in [0, 1], as an image file reads,
    /// normalised as in training: (x - pixelMean) / pixelStd, in float32 like numpy's
    /// `(x - mean) / std` on a float32 array. Checks the training size when it is known.
    public func normalize(_ image: Tensor) throws -> Tensor {
        let fn = "ImageCaptioner.normalize"
        try image.requireFloat(fn, "image")
        guard (image.rank == 3 || (image.rank == 4 && image.shape[0] == 1)), image.shape[image.rank - 3] == inChannels else {
            throw SNNError.shape("\(fn): image has shape \(fmt(image.shape)), expected [\(inChannels), H, W] or [1, \(inChannels), H, W]")
        }
        let h = image.shape[image.rank - 2], w = image.shape[image.rank - 1]
        if imageHeight > 0 && (h != imageHeight || w != imageWidth) {
            throw SNNError.shape("\(fn): image is \(h) x \(w) pixels (H x W), but the captioner was trained on \(imageHeight) x \(imageWidth); resize it first")
        }
        let out = try Tensor(empty: image.shape, dtype: .float32, zeroed: false, fn)
        let mean = Float(pixelMean), std = Float(pixelStd)
        let src = image.floats, dst = out.floats
        for i in 0..<image.count { dst[i] = (src[i] - mean) / std }
        return out
    }

    /// Captions an image with values in [0, 1] (a file read by `ImageTensor.read`): `normalize`,
    /// then `caption`.
    public func captionImage(_ image: Tensor, _ options: CaptionDecoding = CaptionDecoding()) throws -> GeneratedCaption {
        try caption(try normalize(image), options)
    }
}
