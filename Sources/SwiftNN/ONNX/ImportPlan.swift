// An imported graph's grad-free forward through a compiled InferencePlan (Inference/): one plan
// per input shape, built on the first call with that shape and rebuilt when an initializer is
// written. Graphs the plan cannot take (an op outside its set) keep the node-by-node forward;
// so does any call that records (grad mode with a tensor that requires grad, or a trace), so
// training, gradients and export see the exact ops.

/// The plans of one ONNXModule, by input shape; shapes the plan cannot take, with the reason.
final class PlanCache: @unchecked Sendable {
    var plans: [[Int]: InferencePlan] = [:]
    var refused: [[Int]: String] = [:]
    /// Whether forwards may use a plan (snn_onnx_set_planned; tests compare both paths).
    var enabled = true
    /// Whether plans fuse expansions into their depthwise steps (tests compare both).
    var fusesExpandDepthwise = true
    /// Whether graphs the rule leaves node by node as faster there (narrow networks:
    /// InferenceCompiler.narrow) are planned too (tests: small channel counts reach the
    /// padding of every kernel).
    var plansAlways = false
    let lock = Lock()
}

extension ONNXModule {
    /// Whether grad-free forwards run through compiled plans (default true).
    public var usesPlan: Bool {
        get { planCache.lock.withLock { planCache.enabled } }
        set { planCache.lock.withLock { planCache.enabled = newValue } }
    }

    /// Whether new plans fuse a 1x1 expansion into the depthwise step that reads it
    /// (ExpandDepthwise.swift; default true). Setting it drops the plans built so far.
    var fusesExpandDepthwise: Bool {
        get { planCache.lock.withLock { planCache.fusesExpandDepthwise } }
        set { replanning { $0.fusesExpandDepthwise = newValue } }
    }

    /// Whether graphs the rules leave node by node as faster there are planned too (tests;
    /// default false: see InferenceCompiler.narrow). Setting it drops the
    /// plans and refusals so far.
    var plansAlways: Bool {
        get { planCache.lock.withLock { planCache.plansAlways } }
        set { replanning { $0.plansAlways = newValue } }
    }

    /// Changes how plans are built and drops the plans and refusals made the old way.
    private func replanning(_ change: (PlanCache) -> Void) {
        planCache.lock.withLock {
            change(planCache)
            planCache.plans = [:]
            planCache.refused = [:]
        }
    }

    func plan(for shape: [Int]) throws -> InferencePlan? {
        try planCache.lock.withLock { () throws -> InferencePlan? in
            if let p = planCache.plans[shape], p.isCurrent { return p }
            if planCache.refused[shape] != nil { return nil }
            do {
                let p = try InferencePlan.compile(nodes: nodes, graphOutputs: outputNames, inputName: inputNames[0], inputShape: shape,
                                                  constants: constantsByName, opset: opsetVersion,
                                                  fuseExpandDepthwise: planCache.fusesExpandDepthwise, planAlways: planCache.plansAlways)
                planCache.plans[shape] = p
                return p
            } catch {
                // Anything the plan cannot take (or a node whose constant it cannot read) leaves
                // the forward to the node-by-node path, which reports its own errors.
                let reason = (error as? PlanCompileError)?.reason ?? "\(error)"
                Log.debug("ONNX model: no inference plan for input \(fmt(shape)) (\(reason)); running node by node")
                planCache.refused[shape] = reason
                return nil
            }
        }
    }

    /// Activations one planned run may take before a batch is split into pieces.
    static let pieceBytes = 64 << 20

    /// The outputs through the plan, or nil when this call must run node by node.
    func plannedForward(_ inputs: [Tensor]) throws -> [Tensor]? {
        guard inputs.count == 1, inputNames.count == 1, let x = inputs.first, x.dtype == .float32, x.rank == 4,
              planCache.lock.withLock({ planCache.enabled }), Tracer.current == nil else { return nil }
        if GradMode.isEnabled && (x.requiresGrad || constantSlots.contains { $0.tensor.requiresGrad }) { return nil }
        let n = x.shape[0], rest = Array(x.shape.dropFirst())
        // A batch runs whole up to 64 MB of activations, and in equal pieces beyond (to bound
        // a server's memory, not for speed). Pieces that fit the last-level cache were faster
        // while MobileNetV2's largest expansion went through memory (batch 8: 23.0 ms whole,
        // 19.6 in pieces of 2); with it fused into its depthwise step (ExpandDepthwise.swift),
        // the time per image falls with the batch and then stays: plans of 1 / 2 / 4 / 8 / 16 /
        // 32 images took 5.5 / 4.8 / 4.4 / 4.2 / 4.2 / 4.2 ms an image (arenas of 5 to 119 MB),
        // and batch 8 in pieces of 4 took 29.6 ms against 27.7 whole. An image's outputs do not
        // depend on the others in its batch (every element is its own chain), so pieces change
        // no bits.
        guard let one = try plan(for: [1] + rest) else { return nil }
        let most = max(1, Self.pieceBytes / max(one.arenaFloats * 4, 1))
        let pieces = (n + most - 1) / most, micro = (n + pieces - 1) / pieces
        if micro >= n {
            guard let p = try plan(for: x.shape) else { return nil }
            return try p.run(x)
        }
        var parts: [[Tensor]] = []
        var start = 0
        while start < n {
            let count = min(micro, n - start)
            guard let p = try plan(for: [count] + rest) else { return nil }
            parts.append(try p.run(try narrowed(x, 0, start, count, 1, "ONNXModel.forward")))
            start += count
        }
        return try (0..<parts[0].count).map { k in try cat(parts.map { $0[k] }, dim: 0) }
    }
}

extension ONNXModule {
    /// A report of the plan for `input`'s shape: its steps with the arena and weight sizes and,
    /// with `runs` > 0, each step's median time over that many forwards, the slowest steps and
    /// the time by kind of step. Explains why when the graph is not planned for that shape.
    public func planReport(_ input: Tensor, runs: Int) throws -> String {
        let fn = "snn_onnx_plan_report"
        guard runs >= 0, runs <= 100_000 else { throw SNNError.invalid("\(fn): runs is \(runs), expected 0...100000") }
        guard inputNames.count == 1 else { throw SNNError.invalid("\(fn): the model takes \(inputNames.count) inputs; the plan takes one") }
        try checkInput(input, inputInfos[0], fn)
        guard input.dtype == .float32, input.rank == 4 else {
            return "no inference plan: the input is \(input.dtype.name) \(fmt(input.shape)); the plan takes a float32 [N, C, H, W]"
        }
        guard let p = try plan(for: input.shape) else {
            let reason = planCache.lock.withLock { planCache.refused[input.shape] } ?? "unknown"
            return "no inference plan for input \(fmt(input.shape)): \(reason); forwards run node by node"
        }
        let mem = p.memory
        var lines = ["inference plan for input \(fmt(input.shape)): \(p.steps.count) steps; activations \(mem.arena * 4 / 1024) KiB in reused buffers; packed weights \(mem.weights * 4 / 1024) KiB"]
        guard runs > 0 else {
            for (i, l) in p.labels.enumerated() { lines.append("  \(i): \(p.kind(i)): \(l)") }
            return lines.joined(separator: "\n")
        }
        var samples = [[Double]](repeating: [], count: p.steps.count)
        var totals: [Double] = []
        let times = UnsafeMutablePointer<Double>.allocate(capacity: max(p.steps.count, 1))
        defer { times.deallocate() }
        try GradMode.withoutGrad {
            for _ in 0..<runs {
                let t0 = Clock.now()
                _ = try p.run(input, stepSeconds: times)
                totals.append(Clock.now() - t0)
                for i in 0..<p.steps.count { samples[i].append(times[i]) }
            }
        }
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
        let med = samples.map(median), sum = med.reduce(0, +)
        func ms(_ s: Double) -> String { fixed(s * 1e3, 3).leftPadded(8) }
        lines.append("forward: median \(ms(median(totals)).trimmingLeadingSpaces) ms over \(runs) runs (steps: \(ms(sum).trimmingLeadingSpaces) ms; the rest is the output copy and the call)")
        lines.append("by kind (ms, share):")
        var byKind: [String: Double] = [:]
        for i in med.indices { byKind[p.kind(i), default: 0] += med[i] }
        for (k, v) in byKind.sorted(by: { $0.value > $1.value }) {
            lines.append("  \(k.padding(36)) \(ms(v))  \(fixed(100 * v / max(sum, 1e-12), 1).leftPadded(5))%")
        }
        lines.append("steps (ms):")
        for i in med.indices { lines.append("  \(String(i).padding(4)) \(ms(med[i]))  \(p.kind(i).padding(36)) \(p.labels[i])") }
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}

/// v with `digits` decimals (no Foundation in the engine).
private func fixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return "\(v)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(v) * scale).rounded()
    let whole = Int(r / scale), frac = Int(r - Double(whole) * scale)
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (v < 0 && r > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
}

extension InferencePlan {
    /// A step's kind for reports: the kernel and, for convolutions, kernel size and stride.
    func kind(_ i: Int) -> String {
        switch steps[i] {
        case .gemm(let s):
            return buffers[s.y].shape.count == 4 ? "conv 1x1 (GEMM)" : "linear (GEMM)"
        case .dense(let s):
            let g = s.geometry
            return "conv \(g.kh)x\(g.kw)/\(g.sh) (\(s.direct == nil ? "patch rows + GEMM" : "direct"))"
        case .winograd: return "conv 3x3/1 (Winograd)"
        case .depthwise(let s):
            return "depthwise \(s.geometry.kh)x\(s.geometry.kw)/\(s.geometry.sh)"
        case .expandDepthwise(let s):
            let g = s.depthwise.geometry
            let stem = s.stem.map { "conv \($0.geometry.kh)x\($0.geometry.kw)/\($0.geometry.sh) + " } ?? ""
            return "\(s.expand == nil ? stem : "1x1 + ")dw \(g.kh)x\(g.kw)/\(g.sh)\(s.project == nil ? "" : " + 1x1") (fused)"
        case .mean: return "global average pool"
        case .pool(let p): return "\(p.isMax ? "max" : "average") pool \(p.geometry.kh)x\(p.geometry.kw)/\(p.geometry.sh)"
        case .add: return "add"
        case .activation: return "activation"
        case .toChannelsLast: return "input to channels-last"
        case .flatten: return "flatten"
        }
    }
}


