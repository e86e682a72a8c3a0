// The image captioner's C API (swiftnn/caption.h): construction, vocabulary, loss, fit and
// caption. The captioner is an snn_module handle whose object is an ImageCaptioner.
import CSwiftNN
import SwiftNN

private func captionerArg(_ h: OpaquePointer?, _ fn: String, _ arg: String = "m") throws -> ImageCaptioner {
    let m = try moduleArg(h, fn, arg)
    guard let c = m as? ImageCaptioner else {
        throw SNNError(.invalidHandle, "\(fn): \(arg) is a \(m.typeName) module, expected an ImageCaptioner (made by snn_captioner_new or loaded from a captioner checkpoint)")
    }
    return c
}

extension snn_captioner_options {
    /// What snn_captioner_options_init writes.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, in_channels: 3, embed_dim: 64, hidden_size: 256, base_channels: 32,
             conv_blocks: 3, pixel_mean: 0, pixel_std: 1, image_height: 0, image_width: 0, feature_grid: 2)
    }
}

extension snn_caption_options {
    /// What snn_caption_options_init writes: greedy, at most 20 tokens, ending at <eos>.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, beam_width: 0, max_length: 20, length_penalty: 0, end_token: -1)
    }
}

@c @implementation
public func snn_captioner_options_init(_ options: UnsafeMutablePointer<snn_captioner_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_captioner_get_options(_ out: UnsafeMutablePointer<snn_captioner_options>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        let c = try captionerArg(m, fn)
        o.pointee = snn_captioner_options(struct_size: MemoryLayout<snn_captioner_options>.stride, in_channels: Int64(c.inChannels),
                                          embed_dim: Int64(c.embedDim), hidden_size: Int64(c.hiddenSize),
                                          base_channels: Int64(c.baseChannels), conv_blocks: Int64(c.convBlocks),
                                          pixel_mean: c.pixelMean, pixel_std: c.pixelStd,
                                          image_height: Int64(c.imageHeight), image_width: Int64(c.imageWidth),
                                          feature_grid: Int64(c.featureGrid))
    }
}

@c @implementation
public func snn_caption_options_init(_ options: UnsafeMutablePointer<snn_caption_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_captioner_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<snn_captioner_options>?,
                              _ vocab: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let opts = try requiredOptionsArg(options, fn)
        let text = try stringArg(vocab, fn, "vocab")
        let words = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let trimmed = words.last == "" ? Array(words.dropLast()) : words
        func small(_ v: Int64, _ name: String) throws -> Int {
            guard v >= 0, v <= 1 << 20 else { throw SNNError(.invalidArgument, "\(fn): options->\(name) = \(v) is out of range") }
            return Int(v)
        }
        let m = try ImageCaptioner(words: trimmed, inChannels: try small(opts.in_channels, "in_channels"),
                                   embedDim: try small(opts.embed_dim, "embed_dim"), hiddenSize: try small(opts.hidden_size, "hidden_size"),
                                   baseChannels: try small(opts.base_channels, "base_channels"),
                                   convBlocks: try small(opts.conv_blocks, "conv_blocks"),
                                   pixelMean: opts.pixel_mean, pixelStd: opts.pixel_std,
                                   imageHeight: try small(opts.image_height, "image_height"),
                                   imageWidth: try small(opts.image_width, "image_width"),
                                   featureGrid: try small(opts.feature_grid, "feature_grid"))
        o.pointee = Registry.shared.insert(m)
    }
}

@c @implementation
public func snn_captioner_vocab_size(_ out: UnsafeMutablePointer<Int64>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = Int64(try captionerArg(m, fn).vocabulary.count)
    }
}

@c @implementation
public func snn_captioner_encode(_ tokens: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?,
                                 _ m: OpaquePointer?, _ text: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let c = try captionerArg(m, fn)
        let ids = c.encode(try stringArg(text, fn, "text"))
        outCount?.pointee = ids.count
        guard capacity >= ids.count else {
            throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is too small for \(ids.count) tokens")
        }
        if ids.isEmpty { return }
        guard let tokens else { throw SNNError(.invalidArgument, "\(fn): tokens is NULL") }
        for (i, t) in ids.enumerated() { tokens[i] = Int64(t) }
    }
}

@c @implementation
public func snn_captioner_decode(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                 _ m: OpaquePointer?, _ tokens: UnsafePointer<Int64>?, _ count: Int) -> snn_status {
    boundary { fn in
        let c = try captionerArg(m, fn)
        let ids = try intsArg(tokens, count, fn, "tokens")
        try writeString(try c.decode(ids), buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_captioner_loss(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?, _ images: OpaquePointer?,
                               _ captions: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let c = try captionerArg(m, fn)
        let l = try c.loss(try tensorArg(images, fn, "images"), try tensorArg(captions, fn, "captions"))
        give(l, o)
    }
}

@c @implementation
public func snn_captioner_fit(_ m: OpaquePointer?, _ optimizer: OpaquePointer?, _ train: OpaquePointer?,
                              _ options: UnsafePointer<snn_fit_options>?) -> snn_status {
    boundary { fn in
        let c = try captionerArg(m, fn)
        let opt = try resolve(optimizer, Optimizer.self, fn, "optimizer")
        let loader = try resolve(train, DataLoader.self, fn, "train")
        let f = try FitArgs(options, fn)
        f.record(try c.fit(loader: loader, optimizer: opt, epochs: f.epochs, scheduler: f.scheduler,
                           reportEvery: f.reportEvery, dataParallel: try f.dataParallel(for: c, fn),
                           checkpointEvery: f.checkpointEvery, checkpointPath: f.checkpointPath, progress: f.progress))
    }
}

@c @implementation
public func snn_captioner_caption(_ tokens: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?,
                                  _ outLogProb: UnsafeMutablePointer<Double>?, _ m: OpaquePointer?, _ image: OpaquePointer?,
                                  _ options: UnsafePointer<snn_caption_options>?) -> snn_status {
    boundary { fn in try captionExport(fn, tokens, capacity, outCount, outLogProb, m, image, options, normalize: false) }
}

@c @implementation
public func snn_captioner_caption_image(_ tokens: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?,
                                        _ outLogProb: UnsafeMutablePointer<Double>?, _ m: OpaquePointer?, _ image: OpaquePointer?,
                                        _ options: UnsafePointer<snn_caption_options>?) -> snn_status {
    boundary { fn in try captionExport(fn, tokens, capacity, outCount, outLogProb, m, image, options, normalize: true) }
}

/// The body of snn_captioner_caption and _caption_image (the latter normalises the image first).
private func captionExport(_ fn: String, _ tokens: UnsafeMutablePointer<Int64>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?,
                           _ outLogProb: UnsafeMutablePointer<Double>?, _ m: OpaquePointer?, _ image: OpaquePointer?,
                           _ options: UnsafePointer<snn_caption_options>?, normalize: Bool) throws {
    let c = try captionerArg(m, fn)
    let img = try tensorArg(image, fn, "image")
    var d = CaptionDecoding()
    if let o = try optionsArg(options, fn) {
        guard o.beam_width >= 0, o.beam_width <= 256, o.max_length >= 1, o.max_length <= 10_000 else {
            throw SNNError(.invalidArgument, "\(fn): options->beam_width \(o.beam_width) (0...256) or max_length \(o.max_length) (1...10000) out of range")
        }
        guard o.end_token >= -1, o.end_token < Int64(c.vocabulary.count) else {
            throw SNNError(.outOfRange, "\(fn): options->end_token \(o.end_token), expected -1 or 2..<\(c.vocabulary.count)")
        }
        d.beamWidth = Int(o.beam_width)
        d.maxLength = Int(o.max_length)
        d.lengthPenalty = o.length_penalty
        d.endToken = o.end_token == -1 ? nil : Int(o.end_token)
    }
    let g = normalize ? try c.captionImage(img, d) : try c.caption(img, d)
    outCount?.pointee = g.tokens.count
    outLogProb?.pointee = g.logProbability
    guard capacity >= g.tokens.count else {
        throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is too small for \(g.tokens.count) tokens")
    }
    if g.tokens.isEmpty { return }
    guard let tokens else { throw SNNError(.invalidArgument, "\(fn): tokens is NULL") }
    for (i, t) in g.tokens.enumerated() { tokens[i] = Int64(t) }
}
