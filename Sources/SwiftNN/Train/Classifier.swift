// Classification on the Trainer: fit with cross-entropy over a DataLoader (and an optional
// per-epoch scheduler), and evaluation (loss, accuracy).

extension Trainer {
    /// A trainer for `model` minimising mean cross-entropy with `optimizer`.
    public static func classifier(model: Module, optimizer: Optimizer) -> Trainer {
        Trainer(model: model, optimizer: optimizer)
    }

    /// Trains on `loader` for `epochs` with mean cross-entropy of `model(inputs)` against the
    /// targets; steps `scheduler` after each epoch; writes the model to `checkpointPath` every
    /// `checkpointEvery` steps and at the end (0: never).
    @discardableResult
    public func fit(loader: DataLoader, epochs: Int, scheduler: LRScheduler? = nil, reportEvery: Int = 50,
                    checkpointEvery: Int = 0, checkpointPath: String = "",
                    progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        let model = self.model
        // PyTorch's loop would silently do nothing; here an empty loader is a mistake to report
        guard loader.count > 0 else { throw SNNError.invalid("fit_classifier: \(emptyLoaderText(loader))") }
        self.scheduler = scheduler
        // data-parallel: each rank trains on its DistributedSampler share of every epoch
        if let dp = dataParallel, dp.group.size > 1 { try loader.shard(replicas: dp.group.size, rank: dp.group.rank) }
        var o = TrainOptions()
        o.epochs = epochs
        o.reportEvery = reportEvery
        o.checkpointEvery = checkpointEvery
        o.checkpointPath = checkpointPath
        return try fit(DataLoaderTask(loader) { b in try crossEntropy(try model.forward(b.inputs), b.targets) }, options: o, progress: progress)
    }
}

/// Why `loader` has no batch, for the messages of every fit that takes one.
public func emptyLoaderText(_ loader: DataLoader) -> String {
    "the data loader is empty: it holds \(loader.sampleCount) samples (batch_size \(loader.batchSize), drop_last \(loader.dropLast)), so there is no batch to train on"
}

/// Mean cross-entropy and accuracy of `model` on (inputs, labels) in eval mode without
/// recording, in batches of `batchSize`. Restores the model's mode afterwards.
public func evaluateClassifier(_ model: Module, inputs: Tensor, labels: Tensor, batchSize: Int = 256) throws -> (loss: Double, accuracy: Double) {
    let fn = "evaluate_classifier"
    guard batchSize >= 1 else { throw SNNError.invalid("\(fn): batch_size must be >= 1, got \(batchSize)") }
    guard labels.dtype == .int64, labels.rank == 1 else {
        throw SNNError.dtype("\(fn): labels must be an int64 tensor of shape [N], got \(labels.dtype.name) \(fmt(labels.shape))")
    }
    guard let n = inputs.shape.first, n == labels.count, n > 0 else {
        throw SNNError.shape("\(fn): inputs \(fmt(inputs.shape)) and labels \(fmt(labels.shape)) must have the same, non-zero first dimension")
    }
    let wasTraining = model.training
    model.train(false)
    defer { model.train(wasTraining) }
    var lossSum = 0.0, correct = 0
    try GradMode.withoutGrad {
        var start = 0
        while start < n {
            let end = min(start + batchSize, n)
            let x = try slice(inputs, dim: 0, start: start, end: end)
            let y = try slice(labels, dim: 0, start: start, end: end)
            let out = try model.forward(x)
            lossSum += Double(try crossEntropy(out, y, reduction: .sum).item())
            let pred = try argmax(out, dim: 1)
            for i in 0..<(end - start) where pred.int64s[i] == y.int64s[i] { correct += 1 }
            start = end
        }
    }
    return (lossSum / Double(n), Double(correct) / Double(n))
}
