// Neural style (Gatys, Ecker and Bethge 2015), the lecture's "adjust the input image so its
// feature activations' inner products match an artwork's": the pixels of an image are the
// parameters, a frozen pretrained CNN supplies features, and the loss is
//     content_weight * sum_l mean((F_l(x) - F_l(content))^2)          over the content layers
//   + style_weight   * sum_l mean((G_l(x) - G_l(style))^2)            over the style layers
//   + tv_weight      * (mean(dx^2) + mean(dy^2))                       smoothness of x
// with G_l = F F^T / (C H W) for the layer's features F reshaped to [C, H*W] (PyTorch's
// neural-style tutorial's normalisation, so style and content images may differ in size).
// Adam moves the pixels; after every step they are clamped to [0, 1].

/// How a style transfer runs. Layer names are dotted module paths of the network
/// (`Module.extractFeatures`); empty lists mean the network's defaults (MobileNetV2 only).
public struct StyleTransferOptions: Sendable {
    public var contentLayers: [String] = []
    public var styleLayers: [String] = []
    public var contentWeight = 1.0
    public var styleWeight = 1e7
    public var tvWeight = 1.0
    public var steps = 300
    public var learningRate = 0.03
    /// Per-channel normalisation applied to the image (values in [0, 1]) before the network:
    /// ImageNet's, which the zoo's networks were trained with.
    public var mean: [Float] = ImageTransform.imagenetMean
    public var std: [Float] = ImageTransform.imagenetStd
    /// Progress every this many steps and after the last; the report's loss is the total
    /// loss of the last step (not a mean), step counts the optimizer steps done.
    public var reportEvery = 10
    public init() {}
}

/// The loss at one image, split into its weighted parts (total = content + style + tv).
public struct StyleLosses: Sendable, Equatable {
    public var total = 0.0, content = 0.0, style = 0.0, tv = 0.0
}

public final class StyleTransfer {
    /// MobileNetV2's layers. Style: the stem's convolution before its batch norm
    /// (features.0.0: linear in the pixels, so its Gram matrix carries the colours; the
    /// blocks after it sit behind batch norms and ReLU6 clipping and match the style's
    /// textures but leave the colours alone), then the output of the last block at 1/2, 1/4,
    /// 1/8 and 1/16 of the image, as Gatys takes one layer of each of VGG's stages. Content:
    /// features.13, the last block at 1/16 (96 channels), deep enough to keep the layout and
    /// let the style repaint the textures (Gatys' conv4_2 sits at 1/8 of VGG's 224).
    public static let mobileNetV2StyleLayers = ["features.0.0", "features.1", "features.3", "features.6", "features.10"]
    public static let mobileNetV2ContentLayers = ["features.13"]

    public let network: Module
    public let options: StyleTransferOptions
    let contentLayers: [String], styleLayers: [String]
    let contentTargets: [Tensor]
    let styleTargets: [Tensor]
    let normMean: Tensor, normStd: Tensor
    /// [1, 3, H, W]: where `run` starts unless told otherwise.
    let contentImage: Tensor
    let fn: String

    /// Computes the content features and the style Gram matrices once. `content` and `style`
    /// are float32 images [3, H, W] or [1, 3, H, W] with values in [0, 1]. The network runs in
    /// eval mode (restored afterwards) with its parameters frozen while this object computes.
    public init(network: Module, content: Tensor, style: Tensor, options: StyleTransferOptions = StyleTransferOptions(),
                _ fn: String = "style_transfer") throws {
        self.fn = fn
        self.network = network
        self.options = options
        let isMobileNet = network is MobileNetV2
        contentLayers = options.contentLayers.isEmpty && isMobileNet ? Self.mobileNetV2ContentLayers : options.contentLayers
        styleLayers = options.styleLayers.isEmpty && isMobileNet ? Self.mobileNetV2StyleLayers : options.styleLayers
        guard !contentLayers.isEmpty || !styleLayers.isEmpty else {
            throw SNNError.invalid("\(fn): no content or style layers given, and a \(network.typeName) has no default layers (MobileNetV2 has: content \(Self.mobileNetV2ContentLayers), style \(Self.mobileNetV2StyleLayers))")
        }
        guard Set(contentLayers).count == contentLayers.count, Set(styleLayers).count == styleLayers.count else {
            throw SNNError.invalid("\(fn): a layer is named twice in the content layers \(contentLayers) or the style layers \(styleLayers)")
        }
        for (name, w) in [("content_weight", options.contentWeight), ("style_weight", options.styleWeight), ("tv_weight", options.tvWeight)] {
            guard w.isFinite, w >= 0 else { throw SNNError.invalid("\(fn): \(name) must be finite and >= 0, got \(w)") }
        }
        guard options.steps >= 0, options.steps <= 1_000_000 else {
            throw SNNError.invalid("\(fn): steps must be in 0...1000000, got \(options.steps)")
        }
        guard options.learningRate.isFinite, options.learningRate > 0 else {
            throw SNNError.invalid("\(fn): learning rate must be finite and > 0, got \(options.learningRate)")
        }
        guard options.reportEvery >= 1 else { throw SNNError.invalid("\(fn): report_every must be >= 1, got \(options.reportEvery)") }
        guard options.mean.count == 3, options.std.count == 3, options.std.allSatisfy({ $0 > 0 && $0.isFinite }),
              options.mean.allSatisfy(\.isFinite) else {
            throw SNNError.invalid("\(fn): mean and std must have 3 finite values (std > 0), got \(options.mean) and \(options.std)")
        }
        normMean = try Tensor(options.mean, shape: [1, 3, 1, 1])
        normStd = try Tensor(options.std, shape: [1, 3, 1, 1])
        let c = try Self.batchOfOne(content, "content", fn)
        let s = try Self.batchOfOne(style, "style", fn)
        contentImage = c
        // Recorded like the optimized image's forward (then detached): an eval-mode forward
        // that records nothing takes the fused inference path, which neither reports layers
        // inside a fused run (features.0.0) nor rounds exactly as the unfused layers do.
        (contentTargets, styleTargets) = try Self.frozen(network) { [contentLayers, styleLayers, normMean, normStd] in
            func recorded(_ image: Tensor, _ layers: [String], _ what: String) throws -> [Tensor] {
                let x = try image.detach().clone()
                try x.setRequiresGrad(true)
                return try Self.features(network, x, layers, normMean, normStd, what, fn).map { $0.detach() }
            }
            let cf = contentLayers.isEmpty ? [] : try recorded(c, contentLayers, "content")
            let sf = styleLayers.isEmpty ? [] : try recorded(s, styleLayers, "style")
            return (cf, try zip(styleLayers, sf).map { try Self.gram($1, layer: $0, image: "style", fn) })
        }
    }

    /// The image as [1, 3, H, W] float32.
    static func batchOfOne(_ t: Tensor, _ what: String, _ fn: String) throws -> Tensor {
        guard t.dtype == .float32 else { throw SNNError.dtype("\(fn): the \(what) image must be float32, got \(t.dtype.name)") }
        let x = t.rank == 3 ? try reshape(t, [1] + t.shape) : t
        guard x.rank == 4, x.shape[0] == 1, x.shape[1] == 3 else {
            throw SNNError.shape("\(fn): the \(what) image must be [3, H, W] or [1, 3, H, W] (RGB; read the file with 3 channels), got \(fmt(t.shape))")
        }
        return x
    }

    /// Runs `body` with the network in eval mode and its parameters not requiring grad (so
    /// backward reaches only the image), restoring both afterwards.
    static func frozen<T>(_ network: Module, _ body: () throws -> T) throws -> T {
        let wasTraining = network.training
        let params = network.parameters
        let wanted = params.map(\.requiresGrad)
        network.train(false)
        for p in params { try p.setRequiresGrad(false) }
        defer {
            network.train(wasTraining)
            for (p, w) in zip(params, wanted) { try? p.setRequiresGrad(w) }
        }
        return try body()
    }

    static func features(_ network: Module, _ image: Tensor, _ layers: [String], _ mean: Tensor, _ std: Tensor,
                         _ what: String, _ fn: String) throws -> [Tensor] {
        let x = try div(try sub(image, mean), std)
        do {
            return try network.extractFeatures(x, names: layers, stopEarly: true, fn)
        } catch let e as SNNError where e.status == .shapeMismatch {
            throw SNNError.shape("\(fn): the \(what) image \(fmt(image.shape)) does not fit the network: \(e.message)")
        }
    }

    /// F F^T / (C H W) of features [1, C, H, W].
    static func gram(_ f: Tensor, layer: String, image: String, _ fn: String) throws -> Tensor {
        guard f.rank == 4, f.shape[0] == 1 else {
            throw SNNError.shape("\(fn): layer '\(layer)' gives \(fmt(f.shape)); style layers must give feature maps [1, C, H, W]")
        }
        let (c, h, w) = (f.shape[1], f.shape[2], f.shape[3])
        guard h * w >= 4 else {
            throw SNNError.shape("\(fn): the \(image) image is too small for style layer '\(layer)': its feature map is \(h) x \(w), fewer than 4 positions to correlate (use an image at least twice as large, or an earlier layer)")
        }
        let m = try reshape(f, [c, h * w])
        return try mul(try matmul(m, try transpose(m, 0, 1)), try Tensor.full([], Float(1.0 / Double(c * h * w))))
    }

    /// The recorded total loss at `image` [1, 3, H, W] and its weighted parts.
    public func loss(_ image: Tensor) throws -> (total: Tensor, parts: StyleLosses) {
        try Self.frozen(network) { try recordedLoss(image) }
    }

    func recordedLoss(_ x: Tensor) throws -> (total: Tensor, parts: StyleLosses) {
        // A layer may serve both as content and as style: ask for it once.
        var unique: [String] = []
        for l in contentLayers + styleLayers where !unique.contains(l) { unique.append(l) }
        let got = try Self.features(network, x, unique, normMean, normStd, "optimized", fn)
        let feats = (contentLayers + styleLayers).map { got[unique.firstIndex(of: $0)!] }
        func weighted(_ t: Tensor, _ w: Double) throws -> Tensor { try mul(t, try Tensor.full([], Float(w))) }
        var parts = StyleLosses()
        var terms: [Tensor] = []
        if !contentLayers.isEmpty {
            var content = try mseLoss(feats[0], contentTargets[0])
            for i in 1..<contentLayers.count { content = try add(content, try mseLoss(feats[i], contentTargets[i])) }
            terms.append(try weighted(content, options.contentWeight))
        }
        if !styleLayers.isEmpty {
            let n = contentLayers.count
            var style = try mseLoss(try Self.gram(feats[n], layer: styleLayers[0], image: "optimized", fn), styleTargets[0])
            for i in 1..<styleLayers.count {
                style = try add(style, try mseLoss(try Self.gram(feats[n + i], layer: styleLayers[i], image: "optimized", fn), styleTargets[i]))
            }
            terms.append(try weighted(style, options.styleWeight))
        }
        let (h, w) = (x.shape[2], x.shape[3])
        let dy = try sub(try slice(x, dim: 2, start: 1), try slice(x, dim: 2, start: 0, end: h - 1))
        let dx = try sub(try slice(x, dim: 3, start: 1), try slice(x, dim: 3, start: 0, end: w - 1))
        terms.append(try weighted(try add(try mean(try mul(dy, dy)), try mean(try mul(dx, dx))), options.tvWeight))
        var total = terms[0]
        for t in terms.dropFirst() { total = try add(total, t) }
        // The parts, read after the forward (three scalars: no extra pass).
        var values = try terms.map { Double(try $0.item()) }
        parts.tv = values.removeLast()
        if !styleLayers.isEmpty { parts.style = values.removeLast() }
        if !contentLayers.isEmpty { parts.content = values.removeLast() }
        parts.total = Double(try total.item())
        return (total, parts)
    }

    /// The loss at `image` (the content image's shape) and its gradient with respect to the
    /// image ([1, 3, H, W] or [3, H, W], as given), for checking against another implementation.
    public func gradient(at image: Tensor) throws -> (grad: Tensor, losses: StyleLosses) {
        let x = try Self.batchOfOne(image, "image", fn).detach().clone()
        guard x.shape == contentImage.shape else {
            throw SNNError.shape("\(fn): the image is \(fmt(image.shape)), expected the content image's shape \(fmt(contentImage.shape))")
        }
        try x.setRequiresGrad(true)
        let (total, parts) = try loss(x)
        try total.backward()
        guard let g = x.grad else { throw SNNError(.internalError, "\(fn): the image got no gradient") }
        return (try reshape(g, image.shape), parts)
    }

    /// Optimizes the pixels from `initial` (the content image when nil) for `options.steps`
    /// Adam steps and returns the image [1, 3, H, W] in [0, 1] and the losses of the last step.
    /// `progress` receives step (done), steps, the last total loss, steps/s, elapsed and ETA
    /// every `reportEvery` steps and after the last; returning false stops early (the image so
    /// far is returned).
    public func run(from initial: Tensor? = nil, progress: ((TrainProgress, StyleLosses) -> Bool)? = nil) throws -> (image: Tensor, losses: StyleLosses) {
        let start = try initial.map { try Self.batchOfOne($0, "initial", fn) } ?? contentImage
        guard start.shape == contentImage.shape else {
            throw SNNError.shape("\(fn): the initial image is \(fmt(start.shape)), expected the content image's shape \(fmt(contentImage.shape))")
        }
        let x = try start.detach().clone()
        try x.setRequiresGrad(true)
        let adam = try Adam([x], Adam.Options(lr: options.learningRate))
        var last = StyleLosses()
        var window = ProgressWindow()
        var report = TrainProgress()
        report.epoch = 1; report.epochs = 1; report.stepsPerEpoch = options.steps
        try Self.frozen(network) {
            for step in stride(from: 1, through: options.steps, by: 1) {
                adam.zeroGrad()
                let (total, parts) = try recordedLoss(x)
                guard parts.total.isFinite else {
                    throw SNNError.invalid("\(fn): the loss became \(parts.total) at step \(step) (content \(parts.content), style \(parts.style), tv \(parts.tv)); lower the learning rate or the weights")
                }
                try total.backward()
                try adam.step()
                try GradMode.withoutGrad { _ = try clampInPlace(x, min: 0, max: 1) }
                last = parts
                window.add(loss: parts.total, samples: 1)
                if let progress, step % options.reportEvery == 0 || step == options.steps {
                    report.step = step; report.globalStep = step; report.learningRate = options.learningRate
                    report.endOfEpoch = step == options.steps
                    window.report(into: &report, totalSteps: options.steps)
                    report.loss = parts.total
                    if !progress(report, parts) { break }
                }
            }
        }
        if options.steps == 0 { last = try loss(x).parts }
        return (x.detach(), last)
    }
}
