// Training an ImageCaptioner with the engine's loop (Trainer: progress, ETA, early stop): a
// DataLoader of (images [N, C, H, W], captions int64 [N, L]) batches, teacher forcing, masked
// cross-entropy, an optimizer step per batch and an optional scheduler step per epoch.

/// Lets Trainer drive a two-input model: forward passes the images through; the loss closure
/// runs the captioner on (images, captions). The captioner is a child, so train() reaches it.
private final class CaptionerTrainingView: Module {
    init(_ m: ImageCaptioner) { super.init(); registerChild("captioner", m) }
    override func forward(_ input: Tensor) throws -> Tensor { input }
}

extension ImageCaptioner {
    /// Trains on `loader` for `epochs`; returns every step's loss.
    @discardableResult
    public func fit(loader: DataLoader, optimizer: Optimizer, epochs: Int, scheduler: LRScheduler? = nil,
                    reportEvery: Int = 50, progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        let fn = "ImageCaptioner.fit"
        try checkImages(loader.inputs, fn)
        try checkTokens(loader.targets, fn, "captions")
        guard loader.targets.shape[1] >= 2 else { throw SNNError.shape("\(fn): captions \(fmt(loader.targets.shape)) need at least 2 tokens") }
        let trainer = Trainer(model: CaptionerTrainingView(self),
                              loss: { [unowned self] images, captions in try self.loss(images, captions) },
                              step: { try optimizer.step() },
                              zeroGrad: { optimizer.zeroGrad(setToNone: true) },
                              learningRate: { (try? optimizer.learningRate(group: 0)) ?? 0 })
        return try trainer.fit(loader: loader, epochs: epochs, scheduler: scheduler, reportEvery: reportEvery, progress: progress)
    }
}
