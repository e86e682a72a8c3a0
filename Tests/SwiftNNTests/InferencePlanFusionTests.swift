// The inference plan's fused expansion + depthwise step (Inference/ExpandDepthwise.swift): the
// same bits as the two steps unfused, for any thread count, and within tolerance of the layers
// run one by one; the rule that picks which pairs to fuse.
import Testing
import SwiftNNKernels
@testable import SwiftNN


/// Counts elements that differ by more than atol + rtol |b| (bitwise with zero tolerances).
private func differing(_ a: Tensor, _ b: Tensor, atol: Float = 0, rtol: Float = 0) -> Int {
    guard a.shape == b.shape else { return -1 }
    var bad = 0
    for i in 0..<a.count {
        let (x, y) = (a.floats[i], b.floats[i])
        if atol == 0 && rtol == 0 ? x.bitPattern != y.bitPattern : !(abs(x - y) <= atol + rtol * abs(y)) { bad += 1 }
    }
    return bad
}

/// x + body(x), traced as an Add the plan fuses into the body's last GEMM.
private final class Residual: Module {
    let body: Sequential
    init(_ body: Sequential) {
        self.body = body
        super.init()
        registerChild("body", body)
    }
    override var typeName: String { "Residual" }
    override func forward(_ x: Tensor) throws -> Tensor { try x + body(x) }
}

/// An inverted residual (expand 1x1 + BN + ReLU6, depthwise + BN + ReLU6, project 1x1 + BN,
/// with `residual` the block's input added) after a 1x1 stem, and a second expansion and
/// depthwise after it, with trained-looking statistics, as an ONNXModule.
private func invertedResidual(c: Int, expanded: Int, stride: Int, dilation: Int, residual: Bool, x: Tensor) throws -> (Module, ONNXModule) {
    let block = Sequential([
        try Conv2d(inChannels: c, outChannels: expanded, kernelSize: (1, 1), bias: false),
        try BatchNorm(numFeatures: expanded), ReLU6(),
        try Conv2d(inChannels: expanded, outChannels: expanded, kernelSize: (3, 3), stride: (stride, stride),
                   padding: (dilation, dilation), dilation: (dilation, dilation), groups: expanded, bias: false),
        try BatchNorm(numFeatures: expanded), ReLU6(),
        try Conv2d(inChannels: expanded, outChannels: c, kernelSize: (1, 1), bias: false),
        try BatchNorm(numFeatures: c),
    ])
    // The stem makes the block's input an activation of the plan (the graph's own input is
    // not a residual it fuses); the second expansion reads the block's output.
    let net = Sequential([
        try Conv2d(inChannels: c, outChannels: c, kernelSize: (1, 1)),
        residual ? Residual(block) : block,
        try Conv2d(inChannels: c, outChannels: expanded, kernelSize: (1, 1)), ReLU(),
        try Conv2d(inChannels: expanded, outChannels: expanded, kernelSize: (3, 3), padding: (1, 1), groups: expanded),
    ])
    return (net, try randomizedONNX(net, x))
}

/// `net` with random weights and trained-looking batch-norm statistics, in eval mode, and its
/// ONNXModule (planned at any size).
private func randomizedONNX(_ net: Module, _ x: Tensor) throws -> ONNXModule {
    var seed: UInt64 = 90
    for (name, t) in net.stateDict() where t.dtype == .float32 {
        seed += 1
        let r = try Tensor.rand(t.shape, generator: Generator(seed: seed))
        for i in 0..<t.count {
            t.floats[i] = name.hasSuffix("running_var") ? 0.5 + r.floats[i] : (r.floats[i] - 0.5) * 0.6
        }
        t.storage.version &+= 1
    }
    net.train(false)
    let model = try ONNXExport.model(net, exampleInputs: [x])
    let onnx = try ONNXModule(model, live: Dictionary(net.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
    onnx.plansAlways = true   // 8 channels: narrow, planned anyway to reach the fused step's padding
    return onnx
}

/// The fused plan at 1, 2 and 3 threads gives the unfused plan's bits, and the network's own
/// forward within float rounding.
private func expectFusedGivesUnfusedBits(_ net: Module, _ onnx: ONNXModule, _ x: Tensor) throws {
    let eager = try GradMode.withoutGrad { try net.forward(x) }
    var fused: [Tensor] = []
    for threads in [1, 2, 3] {
        let session = try EngineSession(numThreads: threads)
        fused.append(try session.run { try GradMode.withoutGrad { try onnx.forward(x) } })
    }
    onnx.fusesExpandDepthwise = false
    defer { onnx.fusesExpandDepthwise = true }
    #expect(!(try onnx.planReport(x, runs: 0)).contains("(fused)"))
    let unfused = try GradMode.withoutGrad { try onnx.forward(x) }
    for f in fused { #expect(differing(f, unfused) == 0) }
    #expect(differing(fused[0], eager, atol: 1e-5, rtol: 1e-4) == 0)
}

@Test(arguments: [(1, 1, false), (2, 1, false), (1, 2, false), (1, 1, true)])
func fusedBlockGivesTheUnfusedBits(stride: Int, dilation: Int, residual: Bool) throws {
    // 2 x 75 x 71 positions of 100 channels (pitch 112): 1.19 M floats, over the rule's bound;
    // odd sizes so that bands and GEMM tiles end mid-row.
    let x = try noise([2, 8, 75, 71], seed: 5 + UInt64(stride * 10 + dilation))
    let (net, onnx) = try invertedResidual(c: 8, expanded: 100, stride: stride, dilation: dilation, residual: residual, x: x)
    let report = try onnx.planReport(x, runs: 0)
    // The expansion, depthwise and projection (with its residual add) as one step.
    #expect(report.contains("1x1 + dw 3x3/\(stride) + 1x1 (fused)"), "\(report)")
    let line = report.split(separator: "\n").first { $0.contains("+ 1x1 (fused)") } ?? ""
    #expect(line.contains("(Add)") == residual, "\(report)")
    try expectFusedGivesUnfusedBits(net, onnx, x)
}

@Test(arguments: [(1, false, 13, 11), (2, true, 13, 11), (1, true, 7, 7), (1, false, 5, 9)])
func projectionJoinsTheDepthwiseStepOnSmallPlanes(stride: Int, residual: Bool, h: Int, w: Int) throws {
    // 13 x 11 positions of 96 channels: far below the expansion's bound, so the expansion stays
    // a step of its own and the projection (with its residual add) joins the depthwise step.
    // Fewer rows than four a worker (7 at stride 2, 7x7, 5x9) split into runs of positions at 2
    // and 3 threads.
    let x = try noise([1, 16, h, w], seed: 40 + UInt64(stride + h))
    let (net, onnx) = try invertedResidual(c: 16, expanded: 96, stride: stride, dilation: 1, residual: residual && stride == 1, x: x)
    let report = try onnx.planReport(x, runs: 0)
    let line = report.split(separator: "\n").first { $0.contains("dw 3x3/\(stride) + 1x1 (fused)") } ?? ""
    #expect(!line.isEmpty && !line.contains("1x1 + dw"), "\(report)")
    #expect(line.contains("(Add)") == (residual && stride == 1), "\(report)")
    try expectFusedGivesUnfusedBits(net, onnx, x)
}

@Test(arguments: [1, 2])
func aDirectStemJoinsTheDepthwiseStep(stride: Int) throws {
    // An RGB stem (3x3/2, as MobileNetV2's) into a depthwise step and its projection: the
    // stem's output (2 x 75 x 65 x 32 = 312 K floats) is over the rule's bound, so the stem's
    // rows are computed by bands into the scratch; odd sizes end bands mid-image.
    let x = try noise([2, 3, 150, 130], seed: 70 + UInt64(stride))
    let net = Sequential([
        try Conv2d(inChannels: 3, outChannels: 32, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), bias: false),
        try BatchNorm(numFeatures: 32), ReLU6(),
        try Conv2d(inChannels: 32, outChannels: 32, kernelSize: (3, 3), stride: (stride, stride), padding: (1, 1), groups: 32,
                   bias: false),
        try BatchNorm(numFeatures: 32), ReLU6(),
        try Conv2d(inChannels: 32, outChannels: 16, kernelSize: (1, 1), bias: false),
        try BatchNorm(numFeatures: 16),
    ])
    let onnx = try randomizedONNX(net, x)
    let report = try onnx.planReport(x, runs: 0)
    #expect(report.contains("conv 3x3/2 + dw 3x3/\(stride) + 1x1 (fused)"), "\(report)")
    try expectFusedGivesUnfusedBits(net, onnx, x)
}

@Test func expansionRuleFusesOnlyMemoryBoundPairs() {
    func band(_ images: Int, _ h: Int, _ c: Int, stride: Int) -> Int? {
        let pitch = (c + 15) / 16 * 16, oh = (h - 1) / stride + 1
        let g = DepthwiseNHWCGeometry(h: h, w: h, pitch: pitch, kh: 3, kw: 3, sh: stride, sw: stride, ph: 1, pw: 1, dh: 1, dw: 1, ow: oh)
        return ExpandDepthwiseRule.band(images: images, expandedRowFloats: h * pitch, oh: oh, g)
    }
    // MobileNetV2's first expansion (16 -> 96 at 112x112, 4.8 MB an image): fused, with bands
    // whose input rows fit the scratch.
    let b = band(1, 112, 96, stride: 2)
    #expect(b != nil)
    if let b { #expect((b - 1) * 2 + 3 <= ExpandDepthwiseRule.scratchFloats / (112 * 96)) }
    #expect(band(4, 56, 144, stride: 1) != nil)
    // Activations that stay in the caches are left as two steps.
    #expect(band(1, 28, 192, stride: 1) == nil)
    #expect(band(1, 14, 576, stride: 1) == nil)
    // Rows so wide that a band holds few of them: recomputing the shared rows would cost more
    // than the rule accepts.
    #expect(band(1, 512, 1024, stride: 1) == nil)
}
