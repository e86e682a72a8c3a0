// Training loops with progress callbacks, and evaluation (swiftnn/train.h).
import CSwiftNN
import SwiftNN

/// The C progress callback as the engine's closure (nil when the host passed none): every fit
/// export reports through this one conversion.
func progressBridge(_ callback: snn_progress_fn?, _ user: UnsafeMutableRawPointer?) -> ((TrainProgress) -> Bool)? {
    callback.map { cb in
        { p in
            var c = snn_progress(struct_size: MemoryLayout<snn_progress>.size, epoch: Int64(p.epoch), epochs: Int64(p.epochs),
                                 step: Int64(p.step), steps_per_epoch: Int64(p.stepsPerEpoch), global_step: Int64(p.globalStep),
                                 loss: p.loss, samples_per_second: p.samplesPerSecond, elapsed_seconds: p.elapsedSeconds,
                                 eta_seconds: p.etaSeconds, learning_rate: p.learningRate, end_of_epoch: p.endOfEpoch)
            return cb(&c, user)
        }
    }
}

@c @implementation
public func snn_fit_classifier(_ model: OpaquePointer?, _ optimizer: OpaquePointer?, _ train: OpaquePointer?,
                               _ options: UnsafePointer<snn_fit_options>?) -> snn_status {
    boundary {
        let fn = "snn_fit_classifier"
        let m = try moduleArg(model, fn, "model")
        let opt = try resolve(optimizer, Optimizer.self, fn, "optimizer")
        let loader = try resolve(train, DataLoader.self, fn, "train")
        guard let options else { throw SNNError(.invalidArgument, "\(fn): options is NULL") }
        guard options.pointee.struct_size >= MemoryLayout<snn_fit_options>.size else {
            throw SNNError(.invalidArgument, "\(fn): options->struct_size is \(options.pointee.struct_size), expected sizeof(snn_fit_options) = \(MemoryLayout<snn_fit_options>.size)")
        }
        let o = options.pointee
        guard o.epochs >= 1, o.epochs <= 1_000_000 else { throw SNNError(.invalidArgument, "\(fn): epochs = \(o.epochs), expected 1...1000000") }
        guard o.report_every >= 0 else { throw SNNError(.invalidArgument, "\(fn): report_every = \(o.report_every) is negative") }
        let scheduler = o.scheduler == nil ? nil : try resolve(o.scheduler, LRScheduler.self, fn, "options->scheduler")
        if o.loss_history_capacity > 0 && o.loss_history == nil {
            throw SNNError(.invalidArgument, "\(fn): loss_history is NULL but loss_history_capacity is \(o.loss_history_capacity)")
        }
        let callback = o.progress, user = o.user_data
        let history = try Trainer.classifier(model: m, optimizer: opt).fit(
            loader: loader, epochs: Int(o.epochs), scheduler: scheduler,
            reportEvery: o.report_every == 0 ? 50 : Int(o.report_every),
            progress: progressBridge(callback, user))
        if let buf = o.loss_history {
            for (i, v) in history.prefix(o.loss_history_capacity).enumerated() { buf[i] = v }
        }
        o.loss_history_count?.pointee = history.count
    }
}

@c @implementation
public func snn_evaluate_classifier(_ outLoss: UnsafeMutablePointer<Double>?, _ outAccuracy: UnsafeMutablePointer<Double>?,
                                    _ model: OpaquePointer?, _ inputs: OpaquePointer?, _ labels: OpaquePointer?,
                                    _ batchSize: Int) -> snn_status {
    boundary {
        let fn = "snn_evaluate_classifier"
        let m = try moduleArg(model, fn, "model")
        let (loss, acc) = try evaluateClassifier(m, inputs: try tensorArg(inputs, fn, "inputs"),
                                                 labels: try tensorArg(labels, fn, "labels"), batchSize: batchSize)
        outLoss?.pointee = loss
        outAccuracy?.pointee = acc
    }
}
