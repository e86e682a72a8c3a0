// A training loop with progress reports (epoch, step, loss, samples/s, ETA) for hosts that
// want to show progress without writing the loop: forward, loss, backward, optimizer step.

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

public final class Trainer {
    public typealias Batch = (input: Tensor, target: Tensor)

    let model: Module
    let loss: (Tensor, Tensor) throws -> Tensor
    let step: () throws -> Void
    let zeroGrad: () -> Void
    let learningRate: () -> Double

    /// `loss(output, target)` must return a scalar; `step` applies the optimizer.
    public init(model: Module, loss: @escaping (Tensor, Tensor) throws -> Tensor, step: @escaping () throws -> Void,
                zeroGrad: @escaping () -> Void, learningRate: @escaping () -> Double = { 0 }) {
        self.model = model
        self.loss = loss
        self.step = step
        self.zeroGrad = zeroGrad
        self.learningRate = learningRate
    }

    /// Trains for `epochs`, calling `nextBatch` until it returns nil each epoch. `progress`
    /// runs every `reportEvery` steps and at each epoch's end; returning false stops training.
    /// Returns every step's loss.
    @discardableResult
    public func fit(epochs: Int, stepsPerEpoch: Int, reportEvery: Int = 50,
                    nextBatch: () throws -> Batch?, onEpochEnd: ((Int) throws -> Void)? = nil,
                    progress: ((TrainProgress) -> Bool)? = nil) throws -> [Double] {
        guard epochs >= 1 else { throw SNNError.invalid("fit: epochs must be >= 1, got \(epochs)") }
        guard reportEvery >= 1 else { throw SNNError.invalid("fit: report_every must be >= 1, got \(reportEvery)") }
        model.train(true)
        var history: [Double] = []
        var p = TrainProgress()
        p.epochs = epochs
        p.stepsPerEpoch = stepsPerEpoch
        var window = ProgressWindow()
        for epoch in 1...epochs {
            p.epoch = epoch
            p.step = 0
            while let (x, y) = try nextBatch() {
                let out = try model.forward(x)
                let l = try loss(out, y)
                zeroGrad()
                try l.backward()
                try step()
                let v = Double(try l.item())
                guard v.isFinite else {
                    throw SNNError(.autograd, "fit: loss became \(v) at epoch \(epoch) step \(p.step + 1); lower the learning rate")
                }
                history.append(v)
                p.step += 1
                p.globalStep += 1
                window.add(loss: v, samples: x.shape.first ?? 1)
                let atEnd = stepsPerEpoch > 0 && p.step >= stepsPerEpoch
                if let progress, p.step % reportEvery == 0 || atEnd {
                    window.report(into: &p, totalSteps: epochs * max(stepsPerEpoch, p.step))
                    p.learningRate = learningRate()
                    p.endOfEpoch = atEnd
                    if !progress(p) { return history }
                }
            }
            try onEpochEnd?(epoch)
        }
        return history
    }
}
