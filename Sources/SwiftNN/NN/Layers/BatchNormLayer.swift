// BatchNorm1d/2d: batch statistics in training (updating running_mean/var and
// num_batches_tracked, PyTorch's buffers), running statistics in eval.
import SwiftNNKernels

public final class BatchNorm: Module {
    public let numFeatures: Int, eps: Double, momentum: Double, affine: Bool, trackRunningStats: Bool
    /// 1 for BatchNorm1d ([N, C] or [N, C, L]), 2 for BatchNorm2d ([N, C, H, W]).
    public let spatialDims: Int
    public let weight: Tensor?, bias: Tensor?
    public let runningMean: Tensor?, runningVar: Tensor?, numBatchesTracked: Tensor?
    /// Set (by DataParallel's syncBatchNorm option): training uses the statistics of all
    /// ranks' batches (SyncBatchNorm, Distributed/SyncBatchNorm.swift).
    public var processGroup: ProcessGroup?
    /// PyTorch's SyncBatchNorm(num_features): any [N, C, *] input, and in training the
    /// statistics of the world group's global batch whenever a group of several ranks exists
    /// (local statistics before snn_dist_init, as PyTorch falls back without a group).
    public let sync: Bool

    public init(numFeatures: Int, spatialDims: Int = 2, eps: Double = 1e-5, momentum: Double = 0.1,
                affine: Bool = true, trackRunningStats: Bool = true, sync: Bool = false) throws {
        let fn = sync ? "SyncBatchNorm" : spatialDims == 2 ? "BatchNorm2d" : "BatchNorm1d"
        guard numFeatures >= 1 else { throw SNNError.invalid("\(fn): num_features \(numFeatures) must be >= 1") }
        guard eps > 0, eps.isFinite, momentum >= 0, momentum <= 1 else {
            throw SNNError.invalid("\(fn): eps \(eps) must be > 0 and momentum \(momentum) in [0, 1]")
        }
        self.numFeatures = numFeatures; self.spatialDims = spatialDims; self.eps = eps; self.momentum = momentum
        self.affine = affine; self.trackRunningStats = trackRunningStats; self.sync = sync
        weight = affine ? try Tensor.ones([numFeatures]) : nil
        bias = affine ? try Tensor.zeros([numFeatures]) : nil
        runningMean = trackRunningStats ? try Tensor.zeros([numFeatures]) : nil
        runningVar = trackRunningStats ? try Tensor.ones([numFeatures]) : nil
        numBatchesTracked = trackRunningStats ? try Tensor(int64: [0], shape: []) : nil
        super.init()
        if let weight, let bias {
            try registerParameter("weight", weight)
            try registerParameter("bias", bias)
        }
        if let runningMean, let runningVar, let numBatchesTracked {
            registerBuffer("running_mean", runningMean)
            registerBuffer("running_var", runningVar)
            registerBuffer("num_batches_tracked", numBatchesTracked)
        }
    }

    public override var typeName: String { sync ? "SyncBatchNorm" : spatialDims == 2 ? "BatchNorm2d" : "BatchNorm1d" }
    public override var config: [(String, JSON)] {
        [("num_features", .int(numFeatures)), ("eps", .number(eps)), ("momentum", .number(momentum)),
         ("affine", .bool(affine)), ("track_running_stats", .bool(trackRunningStats))]
    }

    /// relu(forward(x)) or relu6(forward(x)) as one fused node (Sequential's batch norm +
    /// activation pairs), or nil where the fused op does not apply (synchronised statistics, a
    /// shape the layer refuses, not float32): then the layers run one by one.
    func forward(_ x: Tensor, then activation: FusedActivation) throws -> Tensor? {
        let expected = spatialDims == 2 ? [4] : [2, 3]
        guard !sync, processGroup == nil, expected.contains(x.rank), x.dtype == .float32 else { return nil }
        return try localForward(x, then: activation)
    }

    /// The batch norm over this process's batch (statistics, running averages and the batch
    /// counter as PyTorch's module keeps them), then `activation`.
    private func localForward(_ x: Tensor, then activation: FusedActivation) throws -> Tensor {
        let out = try batchNorm(x, runningMean: training ? runningMean : (trackRunningStats ? runningMean : nil),
                                runningVar: training ? runningVar : (trackRunningStats ? runningVar : nil),
                                weight: weight, bias: bias, training: training || !trackRunningStats, momentum: momentum,
                                eps: eps, then: activation)
        if training, let n = numBatchesTracked { n.int64s[0] += 1 }
        return out
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let expected = spatialDims == 2 ? [4] : [2, 3]
        guard sync || expected.contains(x.rank) else {
            throw SNNError.shape("\(typeName): expected a \(spatialDims == 2 ? "4-D [N, C, H, W]" : "2-D [N, C] or 3-D [N, C, L]") input, got \(fmt(x.shape))")
        }
        let useBatchStats = training || !trackRunningStats
        if useBatchStats, let g = processGroup ?? (sync ? ProcessGroup.current : nil), g.size > 1 {
            let out = try syncBatchNorm(x, group: g, runningMean: training ? runningMean : nil, runningVar: training ? runningVar : nil,
                                        weight: weight, bias: bias, momentum: momentum, eps: eps)
            if training, let n = numBatchesTracked { n.int64s[0] += 1 }
            return out
        }
        return try localForward(x, then: .none)
    }
}
