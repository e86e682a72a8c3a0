// Optimizers, gradient clipping and schedulers against PyTorch's trajectories
// (Tests/golden/optim_trajectories.*, written by tools/gen_golden_optim.py), then behaviour:
// convergence on a quadratic, in-place updates, skipped parameters, validation, atomic steps.
import Testing
@testable import SwiftNN
import SwiftNNKernels
import Glibc

private struct OptimCase: Sendable {
    let name: String
    let kind: String
    let attrs: Attrs
}

private func loadOptimGolden() throws -> (SafeTensors, [OptimCase]) {
    let file = try SafeTensors.read(path: "\(goldenDir)/optim_trajectories.safetensors")
    let manifest = String(decoding: try File.read("\(goldenDir)/optim_trajectories.txt"), as: UTF8.self)
    var cases: [OptimCase] = []
    for line in manifest.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
        let parts = line.split(separator: " ").map(String.init)
        var attrs = Attrs()
        for p in parts.dropFirst(2) {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            attrs.values[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        cases.append(OptimCase(name: parts[0], kind: parts[1], attrs: attrs))
    }
    return (file, cases)
}

fileprivate extension Attrs {
    func doubles(_ k: String) -> [Double] { values[k].map { $0.split(separator: ",").compactMap { Double($0) } } ?? [] }
    func optDouble(_ k: String) -> Double? { values[k].flatMap { Double($0) } }
    func optBool(_ k: String) -> Bool? { values[k].map { $0 == "1" } }
}

private func sgdOptions(_ a: Attrs, _ prefix: String, base: SGD.Options) -> SGD.Options {
    var o = base
    if let v = a.optDouble(prefix + "lr") { o.lr = v }
    if let v = a.optDouble(prefix + "momentum") { o.momentum = v }
    if let v = a.optDouble(prefix + "dampening") { o.dampening = v }
    if let v = a.optDouble(prefix + "weight_decay") { o.weightDecay = v }
    if let v = a.optBool(prefix + "nesterov") { o.nesterov = v }
    if let v = a.optBool(prefix + "maximize") { o.maximize = v }
    return o
}

private func adamOptions(_ a: Attrs, _ prefix: String, base: Adam.Options) -> Adam.Options {
    var o = base
    if let v = a.optDouble(prefix + "lr") { o.lr = v }
    let betas = a.doubles(prefix + "betas")
    if betas.count == 2 { o.beta1 = betas[0]; o.beta2 = betas[1] }
    if let v = a.optDouble(prefix + "eps") { o.eps = v }
    if let v = a.optDouble(prefix + "weight_decay") { o.weightDecay = v }
    if let v = a.optBool(prefix + "amsgrad") { o.amsgrad = v }
    if let v = a.optBool(prefix + "maximize") { o.maximize = v }
    return o
}

private func rmspropOptions(_ a: Attrs, _ prefix: String, base: RMSprop.Options) -> RMSprop.Options {
    var o = base
    if let v = a.optDouble(prefix + "lr") { o.lr = v }
    if let v = a.optDouble(prefix + "alpha") { o.alpha = v }
    if let v = a.optDouble(prefix + "eps") { o.eps = v }
    if let v = a.optDouble(prefix + "weight_decay") { o.weightDecay = v }
    if let v = a.optDouble(prefix + "momentum") { o.momentum = v }
    if let v = a.optBool(prefix + "centered") { o.centered = v }
    if let v = a.optBool(prefix + "maximize") { o.maximize = v }
    return o
}

private func adagradOptions(_ a: Attrs, _ prefix: String, base: Adagrad.Options) -> Adagrad.Options {
    var o = base
    if let v = a.optDouble(prefix + "lr") { o.lr = v }
    if let v = a.optDouble(prefix + "lr_decay") { o.lrDecay = v }
    if let v = a.optDouble(prefix + "weight_decay") { o.weightDecay = v }
    if let v = a.optDouble(prefix + "initial_accumulator_value") { o.initialAccumulatorValue = v }
    if let v = a.optDouble(prefix + "eps") { o.eps = v }
    if let v = a.optBool(prefix + "maximize") { o.maximize = v }
    return o
}

/// Builds the case's optimizer over p0, p1 (p1 in a second group when the case has `g1.` keys).
private func makeOptimizer(_ c: OptimCase, _ p: [Tensor]) throws -> Optimizer {
    let grouped = c.attrs.values.keys.contains { $0.hasPrefix("g1.") }
    let first = grouped ? [p[0]] : p
    switch c.kind {
    case "sgd":
        let o = sgdOptions(c.attrs, "", base: SGD.Options())
        let opt = try SGD(first, o)
        if grouped { try opt.addParamGroup([p[1]], sgdOptions(c.attrs, "g1.", base: o)) }
        return opt
    case "adam", "adamw":
        let o = adamOptions(c.attrs, "", base: c.kind == "adam" ? Adam.Options() : AdamW.defaultOptions)
        let opt: Adam = c.kind == "adam" ? try Adam(first, o) : try AdamW(first, o)
        if grouped { try opt.addParamGroup([p[1]], adamOptions(c.attrs, "g1.", base: o)) }
        return opt
    case "rmsprop":
        let o = rmspropOptions(c.attrs, "", base: RMSprop.Options())
        let opt = try RMSprop(first, o)
        if grouped { try opt.addParamGroup([p[1]], rmspropOptions(c.attrs, "g1.", base: o)) }
        return opt
    case "adagrad":
        let o = adagradOptions(c.attrs, "", base: Adagrad.Options())
        let opt = try Adagrad(first, o)
        if grouped { try opt.addParamGroup([p[1]], adagradOptions(c.attrs, "g1.", base: o)) }
        return opt
    default:
        throw SNNError(.invalidArgument, "unknown optimizer kind \(c.kind)")
    }
}

private func makeScheduler(_ c: OptimCase, _ opt: Optimizer) throws -> LRScheduler {
    let a = c.attrs
    switch c.kind {
    case "step_lr": return try StepLR(opt, stepSize: a.int("step_size"), gamma: a.double("gamma", 0.1))
    case "multi_step_lr": return try MultiStepLR(opt, milestones: a.ints("milestones"), gamma: a.double("gamma", 0.1))
    case "cosine": return try CosineAnnealingLR(opt, tMax: a.int("T_max"), etaMin: a.double("eta_min", 0))
    case "linear":
        return try LinearLR(opt, startFactor: a.double("start_factor", 1.0 / 3), endFactor: a.double("end_factor", 1),
                            totalIters: a.int("total_iters", 5))
    default: throw SNNError(.invalidArgument, "unknown scheduler kind \(c.kind)")
    }
}

@Test func optimizerTrajectoriesMatchPyTorch() throws {
    let (file, cases) = try loadOptimGolden()
    var ran = 0
    for c in cases where ["sgd", "adam", "adamw", "rmsprop", "adagrad"].contains(c.kind) {
        let p = try (0..<2).map { j -> Tensor in
            let t = try #require(file["\(c.name).p\(j).init"]).clone()
            try t.setRequiresGrad(true)
            return t
        }
        let opt = try makeOptimizer(c, p)
        for s in 0..<5 {
            for j in 0..<2 { p[j].grad = try file["\(c.name).p\(j).grad\(s)"]?.clone() }
            try opt.step()
            for j in 0..<2 {
                let e = try #require(file["\(c.name).p\(j).step\(s)"])
                if let m = mismatch(p[j], e) { Issue.record("\(c.name) param \(j) after step \(s): \(m)") }
            }
        }
        // The state is PyTorch's state_dict()["state"], entry for entry.
        let entries = try opt.stateEntries()
        let golden = file.tensors.filter { $0.0.hasPrefix("\(c.name).state") }
        #expect(entries.count == golden.count, "\(c.name): \(entries.count) state entries, PyTorch has \(golden.count)")
        for e in entries {
            let want = try #require(file["\(c.name).state\(e.param).\(e.key)"], "\(c.name): PyTorch has no state \(e.param).\(e.key)")
            if let m = mismatch(e.value, want) { Issue.record("\(c.name) state \(e.param).\(e.key): \(m)") }
        }
        ran += 1
    }
    #expect(ran == 16)
}

@Test func clipGradNormMatchesPyTorch() throws {
    let (file, cases) = try loadOptimGolden()
    var ran = 0
    for c in cases where c.kind == "clip" {
        var params: [Tensor] = []
        for j in 0..<3 {
            let p = try #require(file["\(c.name).param\(j)"]).clone()
            try p.setRequiresGrad(true)
            p.grad = try file["\(c.name).grad\(j)"]?.clone()
            params.append(p)
        }
        let normType = c.attrs.double("norm_type")
        let before = try gradientNorm(params, normType: normType)
        let total = try clipGradNorm(params, maxNorm: c.attrs.double("max_norm"), normType: normType)
        let e = try #require(file["\(c.name).total"])
        if let m = mismatch(try Tensor([total], shape: []), e) { Issue.record("\(c.name) total norm: \(m)") }
        #expect(before == total)
        for (j, p) in params.enumerated() {
            guard let expected = file["\(c.name).clipped\(j)"] else { #expect(p.grad == nil); continue }
            let g = try #require(p.grad)
            if let m = mismatch(g, expected) { Issue.record("\(c.name) clipped grad \(j): \(m)") }
        }
        ran += 1
    }
    #expect(ran == 5)
}

@Test func schedulerSequencesMatchPyTorch() throws {
    let (file, cases) = try loadOptimGolden()
    var ran = 0
    for c in cases where ["step_lr", "multi_step_lr", "cosine", "linear"].contains(c.kind) {
        let lrs = c.attrs.doubles("lr")
        let dummies = try lrs.map { _ in try Tensor.zeros([1]) }
        let opt = try SGD([dummies[0]], SGD.Options(lr: lrs[0]))
        for (d, lr) in zip(dummies, lrs).dropFirst() { try opt.addParamGroup([d], SGD.Options(lr: lr)) }
        let sched = try makeScheduler(c, opt)
        var seq: [Float] = []
        for step in 0...30 {
            if step > 0 {
                try opt.step()
                try sched.step()
            }
            #expect(sched.lastEpoch == step)
            let current = try (0..<lrs.count).map { try opt.learningRate(group: $0) }
            #expect(current == sched.lastLearningRates)
            seq += current.map { Float($0) }
        }
        let e = try #require(file["\(c.name).lr"])
        if let m = mismatch(try Tensor(seq, shape: [31, lrs.count]), e) { Issue.record("\(c.name) lr sequence: \(m)") }
        ran += 1
    }
    #expect(ran == 7)
}

// MARK: - Behaviour

private func approxEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 + 1e-4 * abs($1) }
}

/// loss = sum((x - target)^2), backward, then one optimizer step.
private func quadraticStep(_ x: Tensor, _ target: Tensor, _ opt: Optimizer) throws -> Float {
    opt.zeroGrad()
    let d = try sub(x, target)
    let loss = try sum(try mul(d, d))
    try loss.backward()
    try opt.step()
    return try loss.item()
}

@Test func sgdAndAdamConvergeOnAQuadratic() throws {
    let target = try Tensor([1.5, -2, 0.25, 3, -0.5], shape: [5])
    for make in [{ (x: Tensor) throws -> Optimizer in try SGD([x], SGD.Options(lr: 0.1, momentum: 0.5)) },
                 { (x: Tensor) throws -> Optimizer in try Adam([x], Adam.Options(lr: 0.1)) }] {
        let x = try Tensor.zeros([5])
        try x.setRequiresGrad(true)
        let opt = try make(x)
        var loss: Float = 0
        for _ in 0..<300 { loss = try quadraticStep(x, target, opt) }
        #expect(loss < 1e-4, "\(type(of: opt)) did not converge: loss \(loss)")
        for (a, b) in zip(x.scalars, target.scalars) { #expect(abs(a - b) < 1e-2) }
    }
}

@Test func stepUpdatesStorageInPlaceAndSkipsParametersWithoutGrad() throws {
    let a = try Tensor([1, 2, 3], shape: [3]), b = try Tensor([4, 5], shape: [2])
    try a.setRequiresGrad(true)
    let view = a.detach()
    let opt = try SGD([a, b], SGD.Options(lr: 0.5))
    a.grad = try Tensor([2, 2, 2], shape: [3])
    try opt.step()
    #expect(a.scalars == [0, 1, 2])
    #expect(view.scalars == [0, 1, 2])
    #expect(b.scalars == [4, 5])
    opt.zeroGrad(setToNone: false)
    #expect(a.grad?.scalars == [0, 0, 0])
    opt.zeroGrad()
    #expect(a.grad == nil)
}

@Test func momentumBufferStartsAsTheGradient() throws {
    let a = try Tensor([0, 0], shape: [2])
    let opt = try SGD([a], SGD.Options(lr: 1, momentum: 0.9, dampening: 0.5))
    a.grad = try Tensor([1, -2], shape: [2])
    try opt.step()
    #expect(opt.momentumBuffer(group: 0, index: 0)?.scalars == [1, -2])  // not (1 - dampening) * grad
    try opt.step()
    #expect(approxEqual(try #require(opt.momentumBuffer(group: 0, index: 0)).scalars, [1.4, -2.8]))
    #expect(approxEqual(a.scalars, [-2.4, 4.8]))
}

@Test func aFailedStepChangesNothing() throws {
    let a = try Tensor([1, 2], shape: [2]), b = try Tensor([3, 4, 5], shape: [3])
    let opt = try Adam([a, b], Adam.Options(lr: 0.1))
    a.grad = try Tensor([1, 1], shape: [2])
    b.grad = try Tensor([1, 1, 1], shape: [3, 1])  // wrong shape
    #expect(throws: SNNError.self) { try opt.step() }
    #expect(a.scalars == [1, 2])
    #expect(opt.state(group: 0, index: 0) == nil)
    b.grad = try Tensor(int64: [1, 1, 1], shape: [3])
    #expect(throws: SNNError.self) { try opt.step() }
    b.grad = nil
    try opt.step()
    #expect(opt.state(group: 0, index: 0)?.step == 1)
    #expect(b.scalars == [3, 4, 5])
}

@Test func parametersAndHyperparametersAreValidated() throws {
    let a = try Tensor([1, 2], shape: [2])
    try a.setRequiresGrad(true)
    let nonLeaf = try mul(a, a)
    func status(_ body: () throws -> Void) -> Status? {
        do { try body(); return nil } catch let e as SNNError { return e.status } catch { return .internalError }
    }
    #expect(status { _ = try SGD([]) } == .invalidArgument)
    #expect(status { _ = try SGD([nonLeaf]) } == .invalidArgument)
    #expect(status { _ = try SGD([try Tensor(int64: [1], shape: [1])]) } == .dtypeMismatch)
    #expect(status { _ = try SGD([a, a]) } == .invalidArgument)
    #expect(status { _ = try SGD([a], SGD.Options(lr: -1)) } == .invalidArgument)
    #expect(status { _ = try SGD([a], SGD.Options(lr: .nan)) } == .invalidArgument)
    #expect(status { _ = try SGD([a], SGD.Options(nesterov: true)) } == .invalidArgument)
    #expect(status { _ = try SGD([a], SGD.Options(momentum: 0.9, dampening: 0.1, nesterov: true)) } == .invalidArgument)
    #expect(status { _ = try Adam([a], Adam.Options(beta1: 1)) } == .invalidArgument)
    #expect(status { _ = try Adam([a], Adam.Options(beta2: -0.1)) } == .invalidArgument)
    #expect(status { _ = try AdamW([a], Adam.Options(eps: -1)) } == .invalidArgument)
    let opt = try SGD([a])
    #expect(status { try opt.addParamGroup([a]) } == .invalidArgument)  // already in group 0
    #expect(status { _ = try opt.learningRate(group: 1) } == .outOfRange)
    #expect(status { try opt.setLearningRate(.infinity, group: 0) } == .invalidArgument)
    try opt.setLearningRate(0.25, group: 0)
    #expect(try opt.learningRate() == 0.25)
    #expect(try opt.options(group: 0).lr == 0.25)
}

@Test func clipGradNormEdgeCases() throws {
    let a = try Tensor([3, 4], shape: [2])
    #expect(try clipGradNorm([a], maxNorm: 1) == 0)  // no gradients
    a.grad = try Tensor([3, 4], shape: [2])
    #expect(throws: SNNError.self) { try clipGradNorm([a], maxNorm: 1, normType: 0) }
    #expect(throws: SNNError.self) { try clipGradNorm([a], maxNorm: -1) }
    #expect(try clipGradNorm([a], maxNorm: .infinity) == 5)
    #expect(a.grad?.scalars == [3, 4])
    #expect(try clipGradNorm([a], maxNorm: 1) == 5)
    let g = try #require(a.grad).scalars
    #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6)
    a.grad = try Tensor([.nan, 1], shape: [2])
    #expect(try clipGradNorm([a], maxNorm: 1, normType: .infinity).isNaN)
}

@Test func schedulersReadTheCurrentLearningRateAndCheckGroups() throws {
    let a = try Tensor([1], shape: [1]), b = try Tensor([1], shape: [1])
    let opt = try SGD([a], SGD.Options(lr: 1))
    let sched = try StepLR(opt, stepSize: 2, gamma: 0.5)
    try sched.step()
    try opt.setLearningRate(0.25)  // StepLR's recursive form continues from here, as PyTorch's
    try sched.step()
    #expect(try opt.learningRate() == 0.125)
    #expect(throws: SNNError.self) { _ = try StepLR(opt, stepSize: 0) }
    #expect(throws: SNNError.self) { _ = try CosineAnnealingLR(opt, tMax: 0) }
    #expect(throws: SNNError.self) { _ = try LinearLR(opt, startFactor: 0) }
    try opt.addParamGroup([b])
    #expect(throws: SNNError.self) { try sched.step() }
    #expect(sched.lastEpoch == 2)
    // A second scheduler's base lr is the group's initial_lr (set by the first), as in PyTorch.
    let cosine = try CosineAnnealingLR(opt, tMax: 4)
    #expect(cosine.baseLRs == [1, 1])  // group 1 took the constructor's lr
}

/// A large parameter's Adam step is split between the workers (Adam.swift): the same bits as
/// the kernel over the whole tensor on one thread, including the ragged last block.
@Test func adamOnALargeParameterIsSplitWithoutChangingBits() throws {
    let n = 300_001
    let values = (0..<n).map { Float(($0 &* 7919) % 1000) / 500 - 1 }
    let grads = (0..<n).map { Float(($0 &* 104_729) % 997) / 997 - 0.5 }
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    EngineThreads.count = 2
    let p = try Tensor(values, shape: [n])
    let opt = try Adam([p], Adam.Options(lr: 0.01))
    var param = values, m = [Float](repeating: 0, count: n), v = m
    for step in 1...3 {
        p.grad = try Tensor(grads, shape: [n])
        try opt.step()
        let h = AdamKernelParams(oneMinusBeta1: Float(1 - 0.9), beta2: Float(0.999), oneMinusBeta2: Float(1 - 0.999),
                                 eps: Float(1e-8), weightDecay: 0, decay: 1,
                                 biasCorrection2Sqrt: Float((1 - Glibc.pow(0.999, Double(step))).squareRoot()),
                                 negStepSize: Float(-(0.01 / (1 - Glibc.pow(0.9, Double(step))))), maximize: false)
        adamUpdate(param: &param, grad: grads, expAvg: &m, expAvgSq: &v, maxExpAvgSq: nil, count: n, h)
    }
    #expect(p.scalars == param)
}

/// Adam updates a step's parameters in one team run, their elements end to end (foreach): the
/// split between workers falls inside parameters and across their boundaries. Each element's
/// update is its own, so any split gives the bits of one parameter at a time on one thread.
/// Sizes: odd, below and above a block of 64 and the 128K-element threshold for sharing.
@Test func adamForeachStepMatchesOneParameterAtATime() throws {
    let sizes = [100_003, 5, 70_001, 64, 1, 40_000]
    func run(threads: Int, oneByOne: Bool) throws -> [[UInt32]] {
        let saved = EngineThreads.count
        defer { EngineThreads.count = saved }
        EngineThreads.count = threads
        // its own generator: tests run in parallel, and another one seeding the global
        // generator between two of these runs would change their gradients
        let generator = Generator(seed: 7)
        let params = try sizes.map { n -> Tensor in
            let p = try Tensor.randn([n], generator: generator)
            try p.setRequiresGrad(true)
            return p
        }
        let opts = Adam.Options(lr: 0.01, weightDecay: 0.1, amsgrad: true)
        let opts2 = Adam.Options(lr: 0.003, beta1: 0.8)
        let optimizers: [Adam] = oneByOne ? try params.map { try Adam([$0], $0.count % 2 == 0 ? opts2 : opts) }
                                          : [try Adam(params.filter { $0.count % 2 == 1 }, opts)]
        if !oneByOne { try optimizers[0].addParamGroup(params.filter { $0.count % 2 == 0 }, opts2) }
        for _ in 0..<3 {
            for p in params { p.grad = try Tensor.randn(p.shape, generator: generator) }
            for o in optimizers { try o.step() }
        }
        return params.map { p in (0..<p.count).map { p.floats[$0].bitPattern } }
    }
    let reference = try run(threads: 1, oneByOne: true)
    for (threads, oneByOne) in [(1, false), (2, false), (2, true)] {
        let got = try run(threads: threads, oneByOne: oneByOne)
        for (i, (g, r)) in zip(got, reference).enumerated() {
            let differing = zip(g, r).filter { $0 != $1 }.count
            #expect(differing == 0, "\(threads) threads, \(oneByOne ? "one optimizer per parameter" : "one step over all"): parameter \(i) (\(sizes[i]) elements) differs in \(differing) elements")
        }
    }
}
