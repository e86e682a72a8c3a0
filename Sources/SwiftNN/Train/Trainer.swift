// The one training loop every model trains through (S4TF's generic loop): a model supplies its
// batches and their loss as a TrainingTask; the Trainer owns epochs, step and time budgets,
// backward, clipping, the optimizer and LR schedule, checkpoints, evaluation and progress.

/// What a progress callback receives. Times are seconds.
public struct TrainProgress: Sendable {
    public var epoch = 0              // 1-based
    public var epochs = 0
    public var step = 0               // 1-based within the epoch
    public var stepsPerEpoch = 0
    public var globalStep = 0
    public var loss = 0.0             // mean training loss over the steps since the last report
    public var samplesPerSecond = 0.0
    public var elapsedSeconds = 0.0
    public var etaSeconds = 0.0
    public var learningRate = 0.0
    public var endOfEpoch = false
}

/// A model's side of training: where its batches come from and how one becomes a loss.
/// Everything else (the optimizer, clipping, reports, budgets) is the Trainer's, so every
/// model reports and stops the same way.
public protocol TrainingTask: AnyObject {
    /// Steps in one epoch; 0 if not known in advance (the epoch ends when `nextLoss` says so).
    var stepsPerEpoch: Int { get }
    /// Prepares epoch `epoch` (1-based): reshuffle, reset carried state.
    func startEpoch(_ epoch: Int) throws
    /// The recorded scalar loss of the next batch and how many items (images, sequences,
    /// characters) it held, for items/s; nil ends the epoch.
    func nextLoss() throws -> (loss: Tensor, items: Int)?
}

/// How long and how a Trainer trains.
public struct TrainOptions: Sendable {
    public var epochs = 1
    /// Stop after this many steps in total (0: no limit).
    public var maxSteps = 0
    /// Stop after the first step that ends this many seconds after the start (0: no limit).
    public var maxSeconds = 0.0
    /// Clip the total gradient norm to this before each optimizer step (0: no clipping).
    public var maxGradNorm = 0.0
    /// Report progress every this many steps and at the end of each epoch.
    public var reportEvery = 50
    /// Write the model to `checkpointPath` every this many steps and when training ends
    /// (0: never).
    public var checkpointEvery = 0
    public var checkpointPath = ""
    public init() {}
}

public final class Trainer {
    public let model: Module
    public let optimizer: Optimizer
    /// Stepped after each epoch (not after a stopped one).
    public var scheduler: LRScheduler?
    /// Runs after each epoch, after the scheduler (a validation pass, say); throwing stops
    /// training with that error.
    public var evaluate: ((_ epoch: Int) throws -> Void)?
    /// Names the caller in errors ("seq2seq_fit", "CharRNN.fit").
    public let name: String
    /// Set for data-parallel training: gradients are averaged across ranks after each
    /// backward, progress reports the global throughput from rank 0, and only rank 0 writes
    /// checkpoints (Trainer+Distributed.swift).
    public var dataParallel: DataParallel?

    public init(model: Module, optimizer: Optimizer, scheduler: LRScheduler? = nil, name: String = "fit") {
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.name = name
    }

    /// One optimizer step on a recorded scalar `loss`: zero the gradients, backward, clip to
    /// `maxGradNorm` (> 0), step. Returns the loss's value. A non-finite loss throws before
    /// anything is touched, so the model and optimizer keep their last finite state.
    /// `context` (" at epoch 2 step 5") goes into that message.
    @discardableResult
    public func step(_ loss: Tensor, maxGradNorm: Double = 0, context: @autoclosure () -> String = "") throws -> Double {
        let v = Double(try loss.item())
        guard v.isFinite else { throw SNNError(.autograd, "\(name): loss became \(v)\(context()); lower the learning rate") }
        optimizer.zeroGrad(setToNone: true)
        try loss.backward()  // under data parallelism, gradients come back averaged
        if maxGradNorm > 0 { _ = try clipGradNorm(model.parameters, maxNorm: maxGradNorm) }
        try optimizer.step()
        return v
    }

    /// Trains on `task` until `options.epochs` epochs, `maxSteps` steps or `maxSeconds` are
    /// done, or `progress` returns false. `progress` runs every `reportEvery` steps and at each
    /// epoch's end. Returns every step's loss.
    @discardableResult
    public func fit(_ task: TrainingTask, options o: TrainOptions, progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        guard o.epochs >= 1 else { throw SNNError.invalid("\(name): epochs must be >= 1, got \(o.epochs)") }
        guard o.reportEvery >= 1 else { throw SNNError.invalid("\(name): report_every must be >= 1, got \(o.reportEvery)") }
        // Refused before the first epoch rather than failing after it: the loop has no metric to give.
        guard !(scheduler is ReduceLROnPlateau) else {
            throw SNNError.invalid("\(name): the scheduler is a ReduceLROnPlateau, which needs a metric each epoch; step it yourself with each epoch's metric (in Swift from `evaluate`; in C between one-epoch fit calls)")
        }
        guard o.maxSteps >= 0, o.maxSeconds >= 0, o.maxGradNorm >= 0, o.checkpointEvery >= 0 else {
            throw SNNError.invalid("\(name): max_steps, max_seconds, max_grad_norm and checkpoint_every must be >= 0")
        }
        guard o.checkpointEvery == 0 || !o.checkpointPath.isEmpty else {
            throw SNNError.invalid("\(name): checkpoint_every is \(o.checkpointEvery) but no checkpoint path was given")
        }
        let started = Clock.now()
        var history: [Double] = []
        var p = TrainProgress()
        p.epochs = o.epochs
        let perEpoch = task.stepsPerEpoch
        p.stepsPerEpoch = o.maxSteps > 0 && perEpoch > 0 ? min(perEpoch, o.maxSteps) : perEpoch
        var window = ProgressWindow()
        var checkpointed = 0
        func checkpoint() throws {
            try saveCheckpoint(o.checkpointPath)
            checkpointed = p.globalStep
        }
        func stepsDone() -> Bool { o.maxSteps > 0 && p.globalStep >= o.maxSteps }
        training: for epoch in 1...o.epochs {
            if stepsDone() { break }
            p.epoch = epoch
            p.step = 0
            try task.startEpoch(epoch)
            while !stepsDone() {  // (met here only when the budget ends with the epoch)
                // every step trains: a progress callback or the evaluation hook may have
                // switched the model to eval mode (evaluating does)
                model.train(true)
                guard let (loss, items) = try task.nextLoss() else { break }
                let v = try step(loss, maxGradNorm: o.maxGradNorm, context: " at epoch \(epoch) step \(p.step + 1)")
                history.append(v)
                p.step += 1
                p.globalStep += 1
                window.add(loss: v, samples: items * worldSize)
                let atEnd = p.stepsPerEpoch > 0 && p.step >= p.stepsPerEpoch
                if o.checkpointEvery > 0 && p.globalStep % o.checkpointEvery == 0 { try checkpoint() }
                if progress != nil || dataParallel != nil, p.step % o.reportEvery == 0 || atEnd {
                    // the ETA is to the step budget when there is one, else to the last epoch
                    window.report(into: &p, totalSteps: o.maxSteps > 0 ? o.maxSteps : o.epochs * max(p.stepsPerEpoch, p.step))
                    p.learningRate = (try? optimizer.learningRate(group: 0)) ?? 0
                    p.endOfEpoch = atEnd
                    if !(try report(&p, progress)) { break training }
                }
                // a budget that ends mid-epoch skips the end-of-epoch schedule and evaluation
                // (an epoch cut to the budget reports endOfEpoch, but it is not complete)
                if stepsDone() && !(perEpoch > 0 && p.step >= perEpoch) { break training }
                if o.maxSeconds > 0, try allRanks(Clock.now() - started >= o.maxSeconds) { break training }
            }
            // a first epoch without a single batch: the data is empty (a task that knows why
            // says so before training; this catches the others)
            if p.globalStep == 0 && !stepsDone() {
                throw SNNError.invalid("\(name): the training data is empty: epoch 1 produced no batch")
            }
            try scheduler?.step()
            try evaluate?(epoch)
        }
        if o.checkpointEvery > 0 && checkpointed != p.globalStep { try checkpoint() }
        return history
    }
}
