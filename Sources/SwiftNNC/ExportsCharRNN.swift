// The char-RNN language model's C API (swiftnn/charrnn.h): create, train with truncated BPTT,
// evaluate in bits per character, and the fused sampler.
import CSwiftNN
import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

private func charRNNArg(_ h: OpaquePointer?, _ fn: String, _ arg: String = "model") throws -> CharRNN {
    let m = try moduleArg(h, fn, arg)
    guard let c = m as? CharRNN else { throw SNNError(.invalidArgument, "\(fn): \(arg) is a \(m.typeName), expected a CharRNN (snn_charrnn_new)") }
    return c
}

/// text[0..length) as bytes; NULL is allowed only for length 0.
private func textArg(_ p: UnsafePointer<CChar>?, _ length: Int, _ fn: String, _ arg: String = "text") throws -> UnsafeRawBufferPointer {
    guard length >= 0, length <= CharRNN.maxTextLength else {
        throw SNNError(.invalidArgument, "\(fn): \(arg) length \(length) is too large (at most \(CharRNN.maxTextLength) bytes)")
    }
    guard let p else {
        if length == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL but length is \(length)")
    }
    return UnsafeRawBufferPointer(start: UnsafeRawPointer(p), count: length)
}

private func writeBytes(_ bytes: [UInt8], _ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, terminate: Bool,
                        _ outLen: UnsafeMutablePointer<Int>?, _ fn: String) throws {
    outLen?.pointee = bytes.count
    let need = bytes.count + (terminate ? 1 : 0)
    guard capacity >= need else { throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is too small; \(need) bytes needed") }
    guard let buf else { throw SNNError(.invalidArgument, "\(fn): the output buffer is NULL") }
    let raw = UnsafeMutableRawPointer(buf)
    for (i, b) in bytes.enumerated() { raw.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
    if terminate { raw.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self) }
}

@c @implementation
public func snn_charrnn_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ vocab: UnsafePointer<CChar>?, _ vocabLen: Int,
                            _ embed: Int64, _ hidden: Int64, _ layers: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        guard vocabLen >= 1, vocabLen <= 256 else { throw SNNError(.invalidArgument, "\(fn): vocab_len must be in 1...256, got \(vocabLen)") }
        let v = Array(try textArg(vocab, vocabLen, fn, "vocab"))
        guard embed >= 1, embed <= 1 << 16, hidden >= 1, hidden <= 1 << 14, layers >= 1, layers <= 64 else {
            throw SNNError(.invalidArgument, "\(fn): embed (\(embed)), hidden (\(hidden)) and layers (\(layers)) must be in 1...65536, 1...16384, 1...64")
        }
        o.pointee = Registry.shared.insert(try CharRNN(vocab: v, embeddingDim: Int(embed), hiddenSize: Int(hidden), numLayers: Int(layers)))
    }
}

@c @implementation
public func snn_charrnn_vocab_of(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                 _ text: UnsafePointer<CChar>?, _ length: Int) -> snn_status {
    boundary { fn in
        let t = try textArg(text, length, fn)
        try writeBytes(CharRNN.vocabulary(of: t), buf, capacity, terminate: false, outLen, fn)
    }
}

@c @implementation
public func snn_charrnn_vocab(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                              _ model: OpaquePointer?) -> snn_status {
    boundary { fn in
        try writeBytes(try charRNNArg(model, fn).vocab, buf, capacity, terminate: false, outLen, fn)
    }
}

extension snn_charrnn_fit_options {
    /// What snn_charrnn_fit_options_init writes and a NULL opts pointer means.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, seq_len: 100, batch_size: 32, epochs: 1, max_steps: 0, lr: 2e-3, clip: 5,
             report_every: 50, progress: nil, user_data: nil, loss_history: nil, loss_history_capacity: 0,
             loss_history_count: nil, ddp: nil)
    }
}

@c @implementation
public func snn_charrnn_fit_options_init(_ opts: UnsafeMutablePointer<snn_charrnn_fit_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = .defaults }
}

@c @implementation
public func snn_charrnn_fit(_ model: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int,
                            _ opts: UnsafePointer<snn_charrnn_fit_options>?) -> snn_status {
    boundary { fn in
        let m = try charRNNArg(model, fn)
        let t = try textArg(text, length, fn)
        let o = try optionsArg(opts, fn, arg: "opts") ?? .defaults
        func int(_ v: Int64, _ name: String, _ lo: Int64, _ hi: Int64) throws -> Int {
            guard v >= lo, v <= hi else { throw SNNError(.invalidArgument, "\(fn): opts->\(name) = \(v), expected \(lo)...\(hi)") }
            return Int(v)
        }
        var options = CharRNNTrainOptions()
        options.seqLen = try int(o.seq_len, "seq_len", 1, 1 << 20)
        options.batchSize = try int(o.batch_size, "batch_size", 1, 1 << 20)
        options.epochs = try int(o.epochs, "epochs", 1, 1_000_000)
        options.maxSteps = try int(o.max_steps, "max_steps", 0, Int64(Int32.max))
        options.reportEvery = try int(o.report_every, "report_every", 1, Int64(Int32.max))
        guard o.lr.isFinite, o.lr > 0 else { throw SNNError(.invalidArgument, "\(fn): opts->lr = \(o.lr), expected a finite value > 0") }
        guard o.clip.isFinite, o.clip >= 0 else { throw SNNError(.invalidArgument, "\(fn): opts->clip = \(o.clip), expected a finite value >= 0") }
        options.lr = o.lr
        options.clip = o.clip
        if o.loss_history_capacity > 0 && o.loss_history == nil {
            throw SNNError(.invalidArgument, "\(fn): opts->loss_history is NULL but loss_history_capacity is \(o.loss_history_capacity)")
        }
        if o.ddp != nil {
            let dp = try resolve(o.ddp, DataParallel.self, fn, "opts->ddp")
            guard dp.module === m else { throw SNNError(.invalidArgument, "\(fn): opts->ddp wraps another module than the model being trained") }
            options.dataParallel = dp
        }
        writeLossHistory(try m.fit(text: t, options: options, progress: progressBridge(o.progress, o.user_data)),
                         o.loss_history, o.loss_history_capacity, o.loss_history_count)
    }
}

@c @implementation
public func snn_charrnn_evaluate(_ outBpc: UnsafeMutablePointer<Double>?, _ model: OpaquePointer?, _ text: UnsafePointer<CChar>?,
                                 _ length: Int, _ seqLen: Int64, _ batchSize: Int64) -> snn_status {
    boundary { fn in
        let out = try outPointer(outBpc, fn, "out_bpc")
        let m = try charRNNArg(model, fn)
        let t = try textArg(text, length, fn)
        guard seqLen >= 1, seqLen <= 1 << 20, batchSize >= 1, batchSize <= 1 << 20 else {
            throw SNNError(.invalidArgument, "\(fn): seq_len (\(seqLen)) and batch_size (\(batchSize)) must be in 1...1048576")
        }
        out.pointee = try m.bitsPerCharacter(text: t, seqLen: Int(seqLen), batchSize: Int(batchSize))
    }
}

@c @implementation
public func snn_charrnn_sample(_ out: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                               _ model: OpaquePointer?, _ prime: UnsafePointer<CChar>?, _ n: Int64, _ temperature: Double,
                               _ seed: UInt64) -> snn_status {
    boundary { fn in
        let m = try charRNNArg(model, fn)
        var p: [UInt8] = []
        if let prime {
            let len = strnlen(prime, 1 << 20)
            guard len < 1 << 20 else { throw SNNError(.invalidArgument, "\(fn): prime is longer than 1 MiB (not NUL-terminated?)") }
            p = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(prime), count: len))
        }
        guard n >= 0, n <= 1 << 30 else { throw SNNError(.invalidArgument, "\(fn): n must be in 0...2^30, got \(n)") }
        guard capacity > p.count + Int(n) else {
            outLen?.pointee = p.count + Int(n)
            throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is too small; \(p.count + Int(n) + 1) bytes needed")
        }
        guard out != nil else { throw SNNError(.invalidArgument, "\(fn): out is NULL") }
        let text = try m.sample(prime: p, count: Int(n), temperature: temperature, seed: seed)
        try writeBytes(text, out, capacity, terminate: true, outLen, fn)
    }
}
