// LambdaLR, MultiplicativeLR, ExponentialLR, OneCycleLR and ReduceLROnPlateau against the lr
// and momentum sequences PyTorch set in Tests/golden/schedulers.json
// (tools/gen_golden_schedulers.py), the same cases the C and Python tests replay; then a state
// round trip that resumes mid-run, and a failing lr_lambda that changes nothing.
import Foundation
import Testing
@testable import SwiftNN

private struct SchedulerCase {
    let json: [String: Any]
    var name: String { json["name"] as! String }
    var scheduler: String { json["scheduler"] as! String }
    var kwargs: [String: Any] { json["kwargs"] as! [String: Any] }
    var groupLRs: [Double] { json["lrs"] as! [Double] }
    var expectedLR: [[Double]] { json["lr"] as! [[Double]] }
    var expectedMomentum: [[Double]] { json["momentum"] as! [[Double]] }
    var metrics: [Double] { json["metrics"] as? [Double] ?? [] }
    /// OneCycleLR allows total_steps - 1 steps after the one its construction makes.
    var steps: Int { (json["steps"] as! Int) - (scheduler == "OneCycleLR" ? 1 : 0) }
}

private func loadCases() throws -> [SchedulerCase] {
    let data = try Data(contentsOf: URL(fileURLWithPath: goldenDir + "/schedulers.json"))
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try #require(root["cases"] as? [[String: Any]]).map(SchedulerCase.init)
}

/// The generator writes each lambda as a Python expression of `epoch`; these are those.
private func lambda(_ expr: String) throws -> (Int) -> Double {
    switch expr {
    case "0.95 ** epoch": return { pow(0.95, Double($0)) }
    case "1.0 / (epoch + 1)": return { 1.0 / Double($0 + 1) }
    case "min(1.0, (epoch + 1) / 5)": return { min(1.0, Double($0 + 1) / 5) }
    case "0.9 if epoch % 3 else 0.5": return { $0 % 3 != 0 ? 0.9 : 0.5 }
    default: throw SNNError.invalid("no Swift form of the lambda \(expr); add it here")
    }
}

private func makeOptimizer(_ c: SchedulerCase) throws -> (Optimizer, [Tensor]) {
    let lrs = c.groupLRs
    let params = try lrs.map { _ in try Tensor.zeros([2]) }
    let kw = c.json["optimizer_kwargs"] as! [String: Any]
    let opt: Optimizer
    switch c.json["optimizer"] as! String {
    case "sgd":
        let s = try SGD([params[0]], SGD.Options(lr: lrs[0], momentum: kw["momentum"] as? Double ?? 0))
        for (p, lr) in zip(params, lrs).dropFirst() { try s.addParamGroup([p], SGD.Options(lr: lr, momentum: kw["momentum"] as? Double ?? 0)) }
        opt = s
    case "adam", "adamw":
        let w = c.json["optimizer"] as! String == "adamw"
        let o = { (lr: Double) in Adam.Options(lr: lr, weightDecay: w ? 1e-2 : 0) }
        let a = w ? try AdamW([params[0]], o(lrs[0])) : try Adam([params[0]], o(lrs[0]))
        for (p, lr) in zip(params, lrs).dropFirst() { try a.addParamGroup([p], o(lr)) }
        opt = a
    case "rmsprop":
        opt = try RMSprop([params[0]], RMSprop.Options(lr: lrs[0]))
    case let other: throw SNNError.invalid("unknown optimizer \(other)")
    }
    return (opt, params)
}

private func perGroup(_ v: Any?, _ d: Double) -> [Double] {
    if let a = v as? [Double] { return a }
    return [v as? Double ?? d]
}

private func makeScheduler(_ c: SchedulerCase, _ opt: Optimizer) throws -> LRScheduler {
    let kw = c.kwargs
    switch c.scheduler {
    case "LambdaLR", "MultiplicativeLR":
        let exprs = (kw["lr_lambda"] as? [String]) ?? [kw["lr_lambda"] as! String]
        let fns = try exprs.map(lambda)
        let f: LRLambda = { epoch, group in fns[fns.count == 1 ? 0 : group](epoch) }
        return c.scheduler == "LambdaLR" ? try LambdaLR(opt, lrLambda: f) : try MultiplicativeLR(opt, lrLambda: f)
    case "ExponentialLR":
        return try ExponentialLR(opt, gamma: kw["gamma"] as! Double)
    case "OneCycleLR":
        var o = OneCycleLR.Options()
        o.totalSteps = kw["total_steps"] as? Int
        o.epochs = kw["epochs"] as? Int
        o.stepsPerEpoch = kw["steps_per_epoch"] as? Int
        o.pctStart = kw["pct_start"] as? Double ?? 0.3
        o.annealStrategy = kw["anneal_strategy"] as? String == "linear" ? .linear : .cos
        o.cycleMomentum = kw["cycle_momentum"] as? Bool ?? true
        o.baseMomentum = perGroup(kw["base_momentum"], 0.85)
        o.maxMomentum = perGroup(kw["max_momentum"], 0.95)
        o.divFactor = kw["div_factor"] as? Double ?? 25
        o.finalDivFactor = kw["final_div_factor"] as? Double ?? 1e4
        o.threePhase = kw["three_phase"] as? Bool ?? false
        return try OneCycleLR(opt, maxLR: perGroup(kw["max_lr"], 0), options: o)
    case "ReduceLROnPlateau":
        var o = ReduceLROnPlateau.Options()
        o.mode = kw["mode"] as? String == "max" ? .max : .min
        o.factor = kw["factor"] as? Double ?? 0.1
        o.patience = kw["patience"] as? Int ?? 10
        o.threshold = kw["threshold"] as? Double ?? 1e-4
        o.thresholdMode = kw["threshold_mode"] as? String == "abs" ? .abs : .rel
        o.cooldown = kw["cooldown"] as? Int ?? 0
        o.minLR = perGroup(kw["min_lr"], 0)
        o.eps = kw["eps"] as? Double ?? 1e-8
        return try ReduceLROnPlateau(opt, options: o)
    case let other: throw SNNError.invalid("unknown scheduler \(other)")
    }
}

private func advance(_ c: SchedulerCase, _ params: [Tensor], _ opt: Optimizer, _ sched: LRScheduler, _ i: Int) throws {
    for p in params { p.grad = try Tensor.ones([2]) }
    try opt.step()
    if let plateau = sched as? ReduceLROnPlateau { try plateau.step(metric: c.metrics[i]) } else { try sched.step() }
}

private func rates(_ opt: Optimizer) throws -> [Double] { try (0..<opt.groupCount).map { try opt.learningRate(group: $0) } }
/// PyTorch's momentum column: SGD's momentum, Adam's beta1, 0 for an optimizer without one.
private func momenta(_ opt: Optimizer) -> [Double] { (0..<opt.groupCount).map { (try? opt.momentum(group: $0)) ?? 0 } }

private func close(_ a: [Double], _ e: [Double]) -> Bool {
    a.count == e.count && zip(a, e).allSatisfy { abs($0 - $1) <= 1e-12 * abs($1) }
}

@Test func engineSchedulersMatchPyTorch() throws {
    let cases = try loadCases()
    #expect(cases.count == 12)
    for c in cases {
        let (opt, params) = try makeOptimizer(c)
        let sched = try makeScheduler(c, opt)
        var lrs = [try rates(opt)], moms = [momenta(opt)]
        for i in 0..<c.steps {
            try advance(c, params, opt, sched, i)
            lrs.append(try rates(opt))
            moms.append(momenta(opt))
            #expect(sched.lastLearningRates == lrs.last!, "\(c.name): get_last_lr at step \(i + 1)")
        }
        for (i, (a, e)) in zip(lrs, c.expectedLR).enumerated() where !close(a, e) {
            Issue.record("\(c.name): lr at step \(i) is \(a), PyTorch's \(e)")
        }
        for (i, (a, e)) in zip(moms, c.expectedMomentum).enumerated() where !close(a, e) {
            Issue.record("\(c.name): momentum at step \(i) is \(a), PyTorch's \(e)")
        }
        #expect(lrs.count == c.expectedLR.count, "\(c.name)")
    }
}

@Test func schedulerStateResumesMidRun() throws {
    for c in try loadCases() {
        let (opt, params) = try makeOptimizer(c)
        let sched = try makeScheduler(c, opt)
        let half = c.steps / 2
        for i in 0..<half { try advance(c, params, opt, sched, i) }
        let saved = sched.stateEntries(), savedLRs = try rates(opt), savedMomenta = momenta(opt)
        // A fresh run built with the same arguments, then the optimizer's and scheduler's state.
        let (opt2, params2) = try makeOptimizer(c)
        let sched2 = try makeScheduler(c, opt2)
        for g in 0..<opt2.groupCount {
            try opt2.setLearningRate(savedLRs[g], group: g)
            if (try? opt2.momentum(group: g)) != nil { try opt2.setMomentum(savedMomenta[g], group: g) }
        }
        for e in saved { try sched2.setState(key: e.key, values: e.values) }
        #expect(sched2.lastEpoch == half)
        for i in half..<c.steps {
            try advance(c, params2, opt2, sched2, i)
            #expect(close(try rates(opt2), c.expectedLR[i + 1]), "\(c.name): lr after resuming, step \(i + 1)")
            #expect(close(momenta(opt2), c.expectedMomentum[i + 1]), "\(c.name): momentum after resuming, step \(i + 1)")
        }
    }
}

@Test func aFailingLambdaChangesNothingAndTheStepCanBeRetried() throws {
    let p = try Tensor.zeros([1])
    let opt = try SGD([p], SGD.Options(lr: 0.1))
    nonisolated(unsafe) var failAt = 2
    let sched = try MultiplicativeLR(opt) { epoch, _ in
        if epoch == failAt { throw SNNError.invalid("lambda failed at \(epoch)") }
        return epoch == 3 ? .nan : 0.5
    }
    try sched.step()
    #expect(try opt.learningRate() == 0.05)
    #expect(throws: SNNError.self) { try sched.step() }
    #expect(try opt.learningRate() == 0.05 && sched.lastEpoch == 1)
    failAt = -1
    try sched.step()
    #expect(try opt.learningRate() == 0.025 && sched.lastEpoch == 2)
    #expect(throws: SNNError.self) { try sched.step() }  // NaN at epoch 3
    #expect(try opt.learningRate() == 0.025 && sched.lastEpoch == 2)
}

@Test func schedulerArgumentsAreValidated() throws {
    let p = try Tensor.zeros([1])
    let sgd = try SGD([p], SGD.Options(lr: 0.1, momentum: 0.9))
    var o = OneCycleLR.Options()
    #expect(throws: SNNError.self) { _ = try OneCycleLR(sgd, maxLR: [0.1], options: o) }  // no length
    o.totalSteps = 0
    #expect(throws: SNNError.self) { _ = try OneCycleLR(sgd, maxLR: [0.1], options: o) }
    o.totalSteps = 2
    let oc = try OneCycleLR(sgd, maxLR: [0.1], options: o)
    try oc.step()
    try oc.step()
    #expect(throws: SNNError.self) { try oc.step() }  // past total_steps
    var r = ReduceLROnPlateau.Options()
    r.factor = 1
    #expect(throws: SNNError.self) { _ = try ReduceLROnPlateau(sgd, options: r) }
    let plateau = try ReduceLROnPlateau(sgd)
    #expect(throws: SNNError.self) { try plateau.step() }  // needs the metric
    #expect(throws: SNNError.self) { try plateau.setState(key: "num_bad_epochs", values: [-1]) }
    #expect(throws: SNNError.self) { try plateau.setState(key: "nonsense", values: [1]) }
    #expect(throws: SNNError.self) { _ = try ExponentialLR(sgd, gamma: -1) }
    let rms = try RMSprop([try Tensor.zeros([1])], RMSprop.Options(lr: 0.1))
    #expect(throws: SNNError.self) { _ = try OneCycleLR(rms, maxLR: [0.1], options: o) }  // no settable momentum
}
