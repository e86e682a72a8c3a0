// Training loops with progress callbacks, and evaluation (swiftnn/train.h).
import CSwiftNN
import SwiftNN

/// The C progress callback as the engine's closure (nil when the host passed none): every fit
/// export reports through this one conversion.
func progressBridge(_ callback: snn_progress_fn?, _ user: UnsafeMutableRawPointer?) -> ((TrainProgress) -> Bool)? {
    callback.map { cb in
        { p in
            var c = snn_progress(struct_size: MemoryLayout<snn_progress>.stride, epoch: Int64(p.epoch), epochs: Int64(p.epochs),
                                 step: Int64(p.step), steps_per_epoch: Int64(p.stepsPerEpoch), global_step: Int64(p.globalStep),
                                 loss: p.loss, samples_per_second: p.samplesPerSecond, elapsed_seconds: p.elapsedSeconds,
                                 eta_seconds: p.etaSeconds, learning_rate: p.learningRate, end_of_epoch: p.endOfEpoch)
            return cb(&c, user)
        }
    }
}

extension snn_fit_options {
    /// What snn_fit_options_init writes.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, epochs: 1, report_every: 50, progress: nil, user_data: nil,
             scheduler: nil, loss_history: nil, loss_history_capacity: 0, loss_history_count: nil, ddp: nil,
             checkpoint_path: nil, checkpoint_every: 0)
    }
}

@c @implementation
public func snn_fit_options_init(_ options: UnsafeMutablePointer<snn_fit_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

/// The loop settings of every _fit export (classifier, captioner, seq2seq), read and checked
/// from its snn_fit_options.
struct FitArgs {
    let epochs: Int
    let reportEvery: Int
    let scheduler: LRScheduler?
    let progress: ((TrainProgress) -> Bool)?
    /// options->ddp: data-parallel training (ExportsDistributed.swift).
    let dataParallel: DataParallel?
    /// options->checkpoint_every and checkpoint_path ("" when NULL).
    let checkpointEvery: Int
    let checkpointPath: String
    private let options: snn_fit_options

    init(_ p: UnsafePointer<snn_fit_options>?, _ fn: String) throws {
        let o = try requiredOptionsArg(p, fn)
        guard o.epochs >= 1, o.epochs <= 1_000_000 else {
            throw SNNError(.invalidArgument, "\(fn): options->epochs = \(o.epochs), expected 1...1000000")
        }
        guard o.report_every >= 1, o.report_every <= Int64(Int32.max) else {
            throw SNNError(.invalidArgument, "\(fn): options->report_every = \(o.report_every), expected 1...\(Int32.max)")
        }
        if o.loss_history_capacity > 0 && o.loss_history == nil {
            throw SNNError(.invalidArgument, "\(fn): options->loss_history is NULL but loss_history_capacity is \(o.loss_history_capacity)")
        }
        guard o.checkpoint_every >= 0 else {
            throw SNNError(.invalidArgument, "\(fn): options->checkpoint_every = \(o.checkpoint_every), expected >= 0 (0: no checkpoints)")
        }
        guard o.checkpoint_every == 0 || o.checkpoint_path != nil else {
            throw SNNError(.invalidArgument, "\(fn): options->checkpoint_every is \(o.checkpoint_every) but options->checkpoint_path is NULL")
        }
        checkpointEvery = Int(o.checkpoint_every)
        checkpointPath = o.checkpoint_path.map { String(cString: $0) } ?? ""
        guard checkpointEvery == 0 || !checkpointPath.isEmpty else {
            throw SNNError(.invalidArgument, "\(fn): options->checkpoint_every is \(o.checkpoint_every) but options->checkpoint_path is empty")
        }
        epochs = Int(o.epochs)
        reportEvery = Int(o.report_every)
        scheduler = o.scheduler == nil ? nil : try resolve(o.scheduler, LRScheduler.self, fn, "options->scheduler")
        progress = progressBridge(o.progress, o.user_data)
        dataParallel = o.ddp == nil ? nil : try resolve(o.ddp, DataParallel.self, fn, "options->ddp")
        options = o
    }

    /// options->ddp after checking that it wraps `model`.
    func dataParallel(for model: Module, _ fn: String) throws -> DataParallel? {
        guard let dp = dataParallel else { return nil }
        guard dp.module === model else {
            throw SNNError(.invalidArgument, "\(fn): options->ddp wraps another module than the model being trained")
        }
        return dp
    }

    /// Hands the per-step losses back through loss_history and loss_history_count.
    func record(_ history: [Double]) {
        writeLossHistory(history, options.loss_history, options.loss_history_capacity, options.loss_history_count)
    }
}

/// Writes up to `capacity` losses into `buf` and their total count into `count` (either may be NULL).
func writeLossHistory(_ history: [Double], _ buf: UnsafeMutablePointer<Double>?, _ capacity: Int,
                      _ count: UnsafeMutablePointer<Int>?) {
    if let buf {
        for (i, v) in history.prefix(capacity).enumerated() { buf[i] = v }
    }
    count?.pointee = history.count
}

@c @implementation
public func snn_classifier_fit(_ model: OpaquePointer?, _ optimizer: OpaquePointer?, _ train: OpaquePointer?,
                               _ options: UnsafePointer<snn_fit_options>?) -> snn_status {
    boundary { fn in
        let m = try moduleArg(model, fn, "model")
        let opt = try resolve(optimizer, Optimizer.self, fn, "optimizer")
        let loader = try resolve(train, DataLoader.self, fn, "train")
        guard loader.count > 0 else { throw SNNError(.invalidArgument, "\(fn): train: \(emptyLoaderText(loader))") }
        let f = try FitArgs(options, fn)
        let trainer = Trainer.classifier(model: m, optimizer: opt)
        trainer.dataParallel = try f.dataParallel(for: m, fn)
        f.record(try trainer.fit(
            loader: loader, epochs: f.epochs, scheduler: f.scheduler, reportEvery: f.reportEvery,
            checkpointEvery: f.checkpointEvery, checkpointPath: f.checkpointPath, progress: f.progress))
    }
}

@c @implementation
public func snn_classifier_evaluate(_ outLoss: UnsafeMutablePointer<Double>?, _ outAccuracy: UnsafeMutablePointer<Double>?,
                                    _ model: OpaquePointer?, _ inputs: OpaquePointer?, _ labels: OpaquePointer?,
                                    _ batchSize: Int) -> snn_status {
    boundary { fn in
        let m = try moduleArg(model, fn, "model")
        let (loss, acc) = try evaluateClassifier(m, inputs: try tensorArg(inputs, fn, "inputs"),
                                                 labels: try tensorArg(labels, fn, "labels"), batchSize: batchSize)
        outLoss?.pointee = loss
        outAccuracy?.pointee = acc
    }
}
