// Training an ImageCaptioner through the engine's Trainer: a DataLoader of (images
// [N, C, H, W], captions int64 [N, L]) batches, teacher-forced masked cross-entropy.

extension ImageCaptioner {
    /// Trains on `loader` for `epochs`, stepping `scheduler` after each; returns every step's loss.
    @discardableResult
    public func fit(loader: DataLoader, optimizer: Optimizer, epochs: Int, scheduler: LRScheduler? = nil,
                    reportEvery: Int = 50, dataParallel: DataParallel? = nil, checkpointEvery: Int = 0, checkpointPath: String = "",
                    progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        let fn = "ImageCaptioner.fit"
        try checkImages(loader.inputs, fn)
        try checkTokens(loader.targets, fn, "captions")
        guard loader.targets.shape[1] >= 2 else { throw SNNError.shape("\(fn): captions \(fmt(loader.targets.shape)) need at least 2 tokens") }
        var o = TrainOptions()
        o.epochs = epochs
        o.reportEvery = reportEvery
        o.checkpointEvery = checkpointEvery
        o.checkpointPath = checkpointPath
        let task = DataLoaderTask(loader) { [unowned self] b in try self.loss(b.inputs, b.targets) }
        let trainer = Trainer(model: self, optimizer: optimizer, scheduler: scheduler, name: fn)
        trainer.dataParallel = dataParallel
        // data-parallel: each rank trains on its DistributedSampler share, as the classifier does
        if let dp = dataParallel, dp.group.size > 1 { try loader.shard(replicas: dp.group.size, rank: dp.group.rank) }
        return try trainer.fit(task, options: o, progress: progress)
    }
}
