// ImageCaptioner in Swift: the loss gradient against central differences, beam search against
// brute force over every caption (scored by the teacher-forced forward, a separate code path
// from the decoder step), beam width 1 equal to greedy, learning the C/Python tests' tiny
// synthetic set, checkpoints captioning identically, and bad options throwing.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

private let words = ["a", "bright", "dark", "square", "spot"]

/// Deterministic pseudo-random floats in [-scale, scale).
/// A captioner whose parameters come from `values`, not the shared global generator, so
/// tests running in parallel cannot change each other's weights.
private func captioner(embedDim: Int = 8, hiddenSize: Int = 16, baseChannels: Int = 4, convBlocks: Int = 2,
                       seed: UInt64 = 1, scale: Float = 0.4) throws -> ImageCaptioner {
    let m = try ImageCaptioner(words: words, inChannels: 1, embedDim: embedDim, hiddenSize: hiddenSize,
                               baseChannels: baseChannels, convBlocks: convBlocks)
    for (i, (name, p)) in m.namedParameters().enumerated() {
        // BatchNorm starts as the identity (weight 1, bias 0), as in PyTorch.
        let parts = name.split(separator: ".")
        let isNorm = parts[0] == "encoder" && Int(parts[1]).map { $0 % 4 == 1 && $0 < 4 * convBlocks } == true
        let v = isNorm ? [Float](repeating: name.hasSuffix("weight") ? 1 : 0, count: p.count) : values(p.count, seed: seed * 1000 + UInt64(i), scale: scale)
        for j in 0..<p.count { p.floats[j] = v[j] }
    }
    return m
}

/// `n` images [n, 1, size, size]: even ones bright (+1), odd ones dark (-1), with a pattern.
private func images(_ n: Int, size: Int = 8) throws -> Tensor {
    var v: [Float] = []
    for i in 0..<n {
        for j in 0..<(size * size) { v.append((i % 2 == 1 ? -1 : 1) + 0.1 * Float((i * 7 + j * 3) % 5 - 2)) }
    }
    return try Tensor(v, shape: [n, 1, size, size])
}

/// "<bos> a bright square <eos>" for even rows, "<bos> dark spot <eos> <pad>" for odd ones.
private func captions(_ n: Int) throws -> Tensor {
    let rows: [[Int64]] = [[1, 4, 5, 7, 2], [1, 6, 8, 2, 0]]
    return try Tensor(int64: (0..<n).flatMap { rows[$0 % 2] }, shape: [n, 5])
}

private func status(_ want: Status, _ body: () throws -> Void) -> Bool {
    do { try body() } catch let e as SNNError { return e.status == want } catch { return false }
    return false
}

@Test func captionerLossGradientMatchesCentralDifferences() throws {
    let m = try captioner(embedDim: 3, hiddenSize: 4, baseChannels: 2, convBlocks: 1, seed: 5, scale: 0.8)
    m.train(false)  // BatchNorm on running statistics: the loss is a fixed function of the weights
    let x = try images(2, size: 4), y = try captions(2)
    let loss = try m.loss(x, y)
    try loss.backward()
    // The decoder side and the state bridge: smooth in these (the encoder's ReLU and max pool
    // have kinks, so its weights are left to the layer-level gradient checks).
    let checked = ["init_h.weight", "init_c.bias", "embed.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0",
                   "lstm.bias_hh_l0", "out.weight", "out.bias"]
    let params = Dictionary(uniqueKeysWithValues: m.namedParameters().map { ($0.name, $0.tensor) })
    let h: Float = 4e-3
    for name in checked {
        let p = try #require(params[name]), grad = try #require(p.grad).scalars
        // The three largest gradient entries and one fixed one: never only zeros.
        let order = grad.indices.sorted { abs(grad[$0]) > abs(grad[$1]) }
        #expect(abs(grad[order[0]]) > 1e-3, "\(name): gradient \(grad[order[0]]) is too small to check anything")
        for j in Array(order.prefix(3)) + [p.count / 2] {
            let saved = p.floats[j]
            func lossAt(_ v: Float) throws -> Double {
                p.floats[j] = v
                return Double(try GradMode.withoutGrad { try m.loss(x, y).item() })
            }
            // Central differences, the difference and quotient taken in Double.
            let plus = try lossAt(saved + h), minus = try lossAt(saved - h)
            p.floats[j] = saved
            let numeric = (plus - minus) / (Double(saved + h) - Double(saved - h))
            let err = abs(numeric - Double(grad[j]))
            #expect(err <= 2e-4 + 2e-2 * abs(numeric), "\(name)[\(j)]: autograd \(grad[j]), central difference \(numeric)")
        }
    }
}

/// log p(tokens, then the end token | image) through the teacher-forced forward pass.
private func captionLogProb(_ m: ImageCaptioner, _ image: Tensor, _ tokens: [Int]) throws -> Double {
    let input = try Tensor(int64: ([ImageCaptioner.bos] + tokens).map { Int64($0) }, shape: [1, tokens.count + 1])
    let lp = try GradMode.withoutGrad { try logSoftmax(try m.logits(image, input), dim: 2) }.scalars
    let v = m.vocabulary.count
    var total = 0.0
    for (t, tok) in (tokens + [ImageCaptioner.eos]).enumerated() { total += Double(lp[t * v + tok]) }
    return total
}

@Test func captionerWideBeamIsExhaustiveAndWidthOneIsGreedy() throws {
    let m = try captioner(seed: 9, scale: 0.9)
    m.train(false)
    let x = try images(4)
    for i in 0..<4 {
        let image = try slice(x, dim: 0, start: i, end: i + 1)
        // Every caption of at most 2 words (ids 3...8) and <eos>: 1 + 6 + 36 = 43 of them, all
        // kept by a 256-wide beam with max_length 3 (6^3 = 216 live hypotheses at most).
        var all: [[Int]] = [[]], level: [[Int]] = [[]]
        for _ in 0..<2 {
            level = level.flatMap { p in (3...8).map { p + [$0] } }
            all += level
        }
        var best: (tokens: [Int], logProb: Double)? = nil
        for y in all {
            let lp = try captionLogProb(m, image, y)
            if best == nil || lp > best!.logProb { best = (y, lp) }
        }
        var o = CaptionDecoding()
        o.beamWidth = 256
        o.maxLength = 3
        let wide = try m.caption(image, o)
        #expect(wide.tokens == best!.tokens, "image \(i): beam \(wide.tokens), brute force \(best!.tokens)")
        #expect(abs(wide.logProbability - best!.logProb) < 1e-4)

        o.maxLength = 7
        o.beamWidth = 0
        let greedy = try m.caption(image, o)
        o.beamWidth = 1
        let one = try m.caption(image, o)
        #expect(one.tokens == greedy.tokens && one.logProbability == greedy.logProbability, "image \(i): beam 1 \(one.tokens) vs greedy \(greedy.tokens)")
        // Greedy's log-probability is the forward pass's for its caption when it ended.
        if greedy.tokens.count < 7 { #expect(abs(greedy.logProbability - (try captionLogProb(m, image, greedy.tokens))) < 1e-4) }
        #expect(greedy.tokens.allSatisfy { $0 >= 2 && $0 < m.vocabulary.count && $0 != ImageCaptioner.eos })
    }
}

@Test func captionerLearnsTheTinySetAndItsCheckpointCaptionsIdentically() throws {
    let m = try captioner()
    let x = try images(8), y = try captions(8)
    let opt = try Adam(m.parameters, Adam.Options(lr: 1e-2))
    var losses: [Double] = []
    for _ in 0..<40 {
        let loss = try m.loss(x, y)
        opt.zeroGrad(setToNone: true)
        try loss.backward()
        try opt.step()
        losses.append(Double(try loss.item()))
    }
    #expect(losses[39] < 0.5 * losses[0], "loss \(losses[0]) -> \(losses[39])")
    let first = try slice(x, dim: 0, start: 0, end: 1), second = try slice(x, dim: 0, start: 1, end: 2)
    #expect(try m.decode(m.caption(first).tokens) == "a bright square")
    #expect(try m.decode(m.caption(second).tokens) == "dark spot")

    let path = "/tmp/swiftnn-captioner-\(getpid()).safetensors"
    defer { unlink(path) }
    try Checkpoint.save(m, to: path)
    let back = try #require(try Checkpoint.load(from: path) as? ImageCaptioner)
    #expect(back.vocabulary == m.vocabulary && back.hiddenSize == 16 && back.convBlocks == 2)
    for image in [first, second] {
        for width in [0, 1, 3] {
            var o = CaptionDecoding()
            o.beamWidth = width
            o.lengthPenalty = width == 3 ? 0.7 : 0
            let a = try m.caption(image, o), b = try back.caption(image, o)
            #expect(a.tokens == b.tokens && a.logProbability == b.logProbability, "beam \(width)")
        }
    }
}

@Test func captionerBadOptionsAndInputsThrow() throws {
    let m = try captioner()
    let x = try images(2), y = try captions(2)
    let image = try slice(x, dim: 0, start: 0, end: 1)
    func caption(_ change: (inout CaptionDecoding) -> Void) throws {
        var o = CaptionDecoding()
        change(&o)
        _ = try m.caption(image, o)
    }
    #expect(status(.invalidArgument) { try caption { $0.beamWidth = -1 } })
    #expect(status(.invalidArgument) { try caption { $0.beamWidth = 257 } })
    #expect(status(.invalidArgument) { try caption { $0.beamWidth = .max } })
    #expect(status(.invalidArgument) { try caption { $0.maxLength = 0 } })
    #expect(status(.invalidArgument) { try caption { $0.maxLength = 10_001 } })
    #expect(status(.invalidArgument) { try caption { $0.lengthPenalty = -1 } })
    #expect(status(.invalidArgument) { try caption { $0.lengthPenalty = .infinity } })
    #expect(status(.outOfRange) { try caption { $0.endToken = ImageCaptioner.bos } })
    #expect(status(.outOfRange) { try caption { $0.endToken = ImageCaptioner.pad } })
    #expect(status(.outOfRange) { try caption { $0.endToken = 9 } })
    #expect(status(.shapeMismatch) { _ = try m.caption(x) })  // two images
    #expect(status(.shapeMismatch) { _ = try m.caption(try Tensor.zeros([3, 8, 8])) })  // three channels
    #expect(status(.dtypeMismatch) { _ = try m.caption(y) })
    #expect((try? m.caption(try Tensor.zeros([1, 1, 1]))) == nil, "a 1x1 image is too small for two pooling blocks")
    #expect(status(.dtypeMismatch) { _ = try m.loss(y, y) })
    #expect(status(.shapeMismatch) { _ = try m.loss(x, try Tensor(int64: [1, 2], shape: [1, 2])) })  // batch sizes differ
    #expect(status(.outOfRange) { _ = try m.loss(x, try Tensor(int64: [1, 99, 1, 2], shape: [2, 2])) })
    #expect(status(.shapeMismatch) { _ = try m.loss(x, try Tensor(int64: [1, 1], shape: [2, 1])) })  // no target
    #expect(status(.invalidArgument) { _ = try m.loss(x, try Tensor(int64: [1, 0, 1, 0], shape: [2, 2])) })  // all padding
    #expect(status(.outOfRange) { _ = try m.decode([9]) })
    #expect(status(.invalidArgument) { _ = try ImageCaptioner(words: ["a", "a"]) })
    #expect(status(.invalidArgument) { _ = try ImageCaptioner(words: ["two words"]) })
    #expect(status(.invalidArgument) { _ = try ImageCaptioner(words: words, hiddenSize: 0) })
}

/// conv_blocks 0: the captioner on a pretrained CNN's feature maps (examples/python/captioner.py
/// --encoder mobilenet_v2 gives it MobileNetV2's [1280, 4, 4]): the encoder is the grid pool,
/// Linear and ReLU, wide inputs are allowed only then, and it trains and round-trips.
@Test func captionerOnFeatureMapsHasNoConvolutions() throws {
    let m = try ImageCaptioner(words: words, inChannels: 1280, hiddenSize: 16, convBlocks: 0)
    #expect(!m.namedParameters().contains { $0.name.contains("running_mean") || $0.tensor.rank == 4 })
    #expect(m.namedParameters().first { $0.name == "encoder.2.weight" }?.tensor.shape == [16, 1280 * 4])
    let x = try Tensor.randn([2, 1280, 4, 4]), y = try captions(2)
    let loss = try m.loss(x, y)
    try loss.backward()
    #expect(m.parameters.allSatisfy { $0.grad != nil })
    let again = try #require(try ImageCaptioner.build(JSON.parse(Array(JSON.object(m.config).serialized.utf8))) as? ImageCaptioner)
    #expect(again.convBlocks == 0 && again.inChannels == 1280)
    #expect(status(.invalidArgument) { _ = try ImageCaptioner(words: words, inChannels: 1280, convBlocks: 1) })
    #expect(status(.invalidArgument) { _ = try ImageCaptioner(words: words, inChannels: 4097, convBlocks: 0) })
    #expect(status(.invalidArgument) { _ = try ImageCaptioner(words: words, convBlocks: -1) })
}

@Test func captionerPreprocessingIsSavedAndDefaultsForOldCheckpoints() throws {
    let m = try ImageCaptioner(words: words, inChannels: 1, embedDim: 8, hiddenSize: 16, baseChannels: 4, convBlocks: 2,
                               pixelMean: 0.13, pixelStd: 0.31, imageHeight: 8, imageWidth: 8)
    let cfg = JSON.object(m.config)
    let again = try #require(try ImageCaptioner.build(cfg) as? ImageCaptioner)
    #expect(again.pixelMean == 0.13 && again.pixelStd == 0.31 && again.imageHeight == 8 && again.imageWidth == 8)
    // Through the serialised text too: 0.13 and 0.31 must survive exactly.
    let text = try JSON.parse(Array(cfg.serialized.utf8))
    let parsed = try #require(try ImageCaptioner.build(text) as? ImageCaptioner)
    #expect(parsed.pixelMean == 0.13 && parsed.pixelStd == 0.31)
    // A config written before the preprocessing fields existed.
    let old = JSON.object(m.config.filter { !["pixel_mean", "pixel_std", "image_height", "image_width"].contains($0.0) })
    let legacy = try #require(try ImageCaptioner.build(old) as? ImageCaptioner)
    #expect(legacy.pixelMean == 0 && legacy.pixelStd == 1 && legacy.imageHeight == 0 && legacy.imageWidth == 0)

    // normalize is (x - mean) / std in float32, and refuses a size other than the training one.
    let x = try Tensor((0..<64).map { Float($0) / 63 }, shape: [1, 8, 8])
    let n = try m.normalize(x).scalars
    #expect(n == x.scalars.map { ($0 - Float(0.13)) / Float(0.31) })
    #expect(thrownStatus { try m.normalize(try Tensor(empty: [1, 16, 16], zeroed: true)) }?.0 == .shapeMismatch)
    #expect(thrownStatus { try ImageCaptioner(words: words, pixelStd: 0) }?.0 == .invalidArgument)
    #expect(thrownStatus { try ImageCaptioner(words: words, pixelMean: .nan) }?.0 == .invalidArgument)
    // Too small for the conv blocks: a message in the captioner's terms.
    let tiny = try Tensor(empty: [1, 1, 2, 2], zeroed: true)
    #expect(thrownStatus { try m.initialState(tiny) }?.1.contains("need at least 4 x 4") == true)
}
