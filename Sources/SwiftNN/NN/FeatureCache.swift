// Feature caching for transfer learning: run a frozen backbone once over a whole dataset, in
// batches, and keep its outputs (in memory, optionally also in a safetensors file), so that a
// new head trains on them without running the backbone again every epoch.

/// How `cacheFeatures` prepares each batch before the backbone: torchvision's ImageNet preset
/// (`ImageTransform.classificationPreset`), with one-channel images repeated to three first
/// (torchvision's `Grayscale(num_output_channels=3)`), so gray datasets feed an RGB network.
public struct FeaturePreprocess: Sendable {
    public var resizeSize: Int
    public var cropSize: Int
    public var mean: [Float]
    public var std: [Float]

    public init(resizeSize: Int = 256, cropSize: Int = 224, mean: [Float] = ImageTransform.imagenetMean,
                std: [Float] = ImageTransform.imagenetStd) {
        self.resizeSize = resizeSize
        self.cropSize = cropSize
        self.mean = mean
        self.std = std
    }

    /// One batch [B, C, H, W] -> [B, 3, crop, crop] (C = 1 is repeated to 3 channels first).
    func apply(_ x: Tensor, _ fn: String) throws -> Tensor {
        guard x.rank == 4 else {
            throw SNNError.shape("\(fn): preprocessing needs images [N, C, H, W], got inputs \(fmt(x.shape))")
        }
        let rgb = x.shape[1] == 1 && mean.count == 3 ? try cat([x, x, x], dim: 1) : x
        return try ImageTransform.classificationPreset(rgb, resizeSize: resizeSize, cropSize: cropSize, mean: mean, std: std, fn)
    }
}

extension Module {
    /// Runs this module once over `inputs` [N, ...] in batches of `batchSize`, in eval mode and
    /// without recording, and returns the outputs of the inner module at `layer` (a dotted
    /// path, as `extractFeatures`; "" is this module's own output) for all N inputs,
    /// concatenated along dimension 0: a new tensor that needs no gradient.
    ///
    /// The module's training mode is restored afterwards. `preprocess` (optional) is applied
    /// to each batch first. With `path`, the features are also written there as safetensors
    /// (tensor "features", metadata "layer" and "count"), read back with `SafeTensors.read`
    /// (C: snn_tensor_map_load) in a later run instead of running the backbone again.
    /// `progress` is called after every batch with the trainer's report (one epoch whose steps
    /// are the batches; loss and learning rate 0); returning false stops the run with an error.
    public func cacheFeatures(_ inputs: Tensor, layer: String = "", batchSize: Int = 64,
                              preprocess: FeaturePreprocess? = nil, path: String? = nil,
                              progress: ((TrainProgress) -> Bool)? = nil,
                              _ fn: String = "cache_features") throws -> Tensor {
        guard batchSize >= 1 else { throw SNNError.invalid("\(fn): batch_size must be >= 1, got \(batchSize)") }
        guard inputs.rank >= 1, let n = inputs.shape.first, n >= 1 else {
            throw SNNError.shape("\(fn): inputs must be [N, ...] with N >= 1, got \(fmt(inputs.shape))")
        }
        if submodule(layer) == nil { _ = try extractFeatures(inputs, names: [layer], fn) }  // throws naming the layer
        let wasTraining = training
        train(false)
        defer { train(wasTraining) }
        let batches = (n + batchSize - 1) / batchSize
        let started = Clock.now()
        var parts: [Tensor] = []
        parts.reserveCapacity(batches)
        try GradMode.withoutGrad {
            for b in 0..<batches {
                let start = b * batchSize, end = Swift.min(start + batchSize, n)
                var x = try slice(inputs, dim: 0, start: start, end: end)
                if let preprocess { x = try preprocess.apply(x, fn) }
                parts.append(layer.isEmpty ? try forward(x) : try extractFeatures(x, names: [layer], fn)[0])
                if let progress {
                    let elapsed = Clock.now() - started
                    var p = TrainProgress()
                    p.epoch = 1
                    p.epochs = 1
                    p.step = b + 1
                    p.globalStep = b + 1
                    p.stepsPerEpoch = batches
                    p.endOfEpoch = b + 1 == batches
                    p.elapsedSeconds = elapsed
                    p.samplesPerSecond = elapsed > 0 ? Double(end) / elapsed : 0
                    p.etaSeconds = elapsed / Double(b + 1) * Double(batches - b - 1)
                    guard progress(p) else {
                        throw SNNError.invalid("\(fn): stopped by the progress callback after batch \(b + 1) of \(batches)")
                    }
                }
            }
        }
        // A copy even for one batch: the output may be a view of the caller's inputs.
        let features = parts.count == 1 ? try parts[0].clone() : try cat(parts, dim: 0)
        if let path {
            try SafeTensors(tensors: [("features", features)], metadata: [("layer", layer), ("count", String(n))]).write(path: path)
        }
        return features
    }
}
