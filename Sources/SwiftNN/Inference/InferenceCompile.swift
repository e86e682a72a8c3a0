// Builds an InferencePlan from an ONNX graph for one input shape: folds each inference
// BatchNormalization into its convolution, fuses the activation (Relu, Clip, HardSwish) and a
// residual Add into the step that produces their input, chooses each convolution's kernel
// from its shape (ConvKernel's rule for this layout, below), packs the weights, and assigns
// the activations to reused buffers (BufferPlan.swift). A graph with any op outside the plan's
// set (or a shape it does not take) is not planned: `compile` throws and ONNXModule keeps its
// node-by-node forward, which runs everything.
import SwiftNNKernels

/// The convolution kernel of the channels-last plan, chosen from the shape alone:
/// - groups = C = K (one filter per channel): the depthwise kernel, vectorised over channels;
/// - groups = 1, 1x1, stride 1, no padding: one GEMM on the activations (they are the patch
///   matrix already, no gather);
/// - other groups = 1 with at most 4 input channels (RGB stems, stacked frames): direct from
///   the image, each input value broadcast over 16 output channels (DirectConvBody.swift): a
///   patch row of such a layer is many runs of a few floats, and gathering them cost as much
///   as the GEMM;
/// - other groups = 1, 3x3 at stride 1 with 32+ channels in and out: Winograd F(2x2, 3x3)
///   (`prefersWinograd`, checked where the step is built);
/// - other groups = 1: patch rows gathered 64 positions at a time into the same GEMM;
/// - anything else (grouped but not depthwise): not planned.
enum PlanConvKernel: Equatable {
    case depthwise, pointwise, direct, dense

    static let directChannels = 4

    static func choose(c: Int, k: Int, groups: Int, kernel: (Int, Int), stride: (Int, Int), pads: [(Int, Int)]) -> PlanConvKernel? {
        if groups == c && groups == k && groups > 1 { return .depthwise }
        guard groups == 1 else { return nil }
        if kernel == (1, 1) && stride == (1, 1) && pads.allSatisfy({ $0 == (0, 0) }) { return .pointwise }
        return c <= directChannels ? .direct : .dense
    }

    /// Whether a dense convolution runs by Winograd F(2x2, 3x3) (WinogradStep.swift): 3x3 at
    /// stride 1, undilated, 32 or more channels in and out, whatever the batch and padding.
    /// Two such layers, Winograd over patch rows, both builds in one process (both orders):
    /// 32 channels at 56x56 0.67 and 1/1.46 of the time at batch 1, 0.97 and 1/1.09 at batch
    /// 8; at 28x28 0.62 / 0.67 and 1/1.46; 16 channels at 112x112 0.81 and 1/1.38 at batch 1
    /// but 1.14 and 1/0.93 at batch 8 (the transforms weigh more against 16-deep products).
    static func prefersWinograd(c: Int, k: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int)) -> Bool {
        kernel == (3, 3) && stride == (1, 1) && dilation == (1, 1) && c >= 32 && k >= 32
    }
}

struct PlanCompileError: Error { let reason: String }

/// The plan's build state: buffers, steps, packed weights.
struct InferenceCompiler {
    var buffers: [PlanBuffer] = []
    var steps: [PlanStep] = []
    var labels: [String] = []
    var weights: [Float] = []
    var sources: [Tensor] = []
    /// ONNX value name -> buffer (activations) or constant tensor.
    var values: [String: Int] = [:]
    var constants: [String: Tensor]
    /// The caller's input converted to channels-last once, when a step needs it so.
    var channelsLastInput: [Int: Int] = [:]
    /// Buffers that are another buffer's storage seen with another shape (a Flatten of
    /// [N, C, 1, 1]): alias -> root.
    var aliases: [Int: Int] = [:]
    /// The multiply-adds the convolutions' kernels compute (output channels rounded up to the
    /// plan's vectors: 16, or 32 for the direct kernel's blocks), and the share of those of
    /// convolutions with fewer than 16 output channels: see `narrow`.
    var convMACs: (narrow: Double, computed: Double) = (0, 0)

    /// Whether convolutions of fewer than 16 output channels take more than a tenth of the
    /// computed multiply-adds: their channels are mostly padding in the plan's 16-channel
    /// vectors, and so are their activations. LeNet-5 (6 channels, then 16: 72% narrow) took
    /// 6.5 ms planned at batch 256 against 3.7 ms node by node (NCHW kernels); a narrow last
    /// layer (a 10-class 1x1 head) of a wide network is a small share and stays planned.
    var narrow: Bool { convMACs.narrow > 0.1 * convMACs.computed }

    init(constants: [String: Tensor]) { self.constants = constants }

    static func pitch(_ c: Int) -> Int { (c + 15) / 16 * 16 }

    /// Whether the product of `sizes` is at most 2^36 floats (a plan's buffer; larger shapes,
    /// which a malformed graph can declare, are not planned rather than overflowing).
    static func fits(_ sizes: [Int]) -> Bool {
        var p = 1
        for s in sizes {
            guard s >= 0 else { return false }
            let (r, o) = p.multipliedReportingOverflow(by: s)
            guard !o, r <= 1 << 36 else { return false }
            p = r
        }
        return true
    }

    mutating func add(_ b: PlanBuffer) -> Int {
        buffers.append(b)
        return buffers.count - 1
    }

    /// Appends floats to the weight store (at a 16-float boundary) and returns their offset.
    mutating func store(_ count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> Int {
        let at = (weights.count + 15) / 16 * 16
        weights.append(contentsOf: [Float](repeating: 0, count: at - weights.count + count))
        weights.withUnsafeMutableBufferPointer { fill($0.baseAddress! + at) }
        return at
    }

    func constant(_ name: String, _ what: String) throws -> Tensor {
        guard let t = constants[name] else { throw PlanCompileError(reason: "\(what) '\(name)' is not a constant") }
        guard t.dtype == .float32 || t.dtype == .int64 else { throw PlanCompileError(reason: "\(what) has dtype \(t.dtype.name)") }
        return t
    }

    /// A float32 constant's values (contiguous copy), recorded as a source of the plan.
    mutating func floats(_ name: String, _ what: String) throws -> [Float] {
        let t = try constant(name, what)
        guard t.dtype == .float32 else { throw PlanCompileError(reason: "\(what) has dtype \(t.dtype.name)") }
        sources.append(t)
        let c = t.isContiguous ? t : try t.contiguous()
        return Array(UnsafeBufferPointer(start: c.floats, count: c.count))
    }

    func activation(_ name: String, _ what: String) throws -> Int {
        guard let b = values[name] else { throw PlanCompileError(reason: "\(what) '\(name)' is not computed by the plan") }
        return b
    }

    /// The buffer as channels-last (the caller's input is converted once), with the channel
    /// pitch a multiple of 16, or exactly C with `tight` (for the patch gather of a dense
    /// convolution, whose window rows are then runs of kw * C floats).
    mutating func channelsLast(_ b: Int, tight: Bool = false) -> Int {
        guard buffers[b].offset == nil, buffers[b].shape.count == 4 else { return b }
        let key = tight ? -1 - b : b
        if let c = channelsLastInput[key] { return c }
        let ch = buffers[b].channels
        let c = add(PlanBuffer(shape: buffers[b].shape, pitch: tight ? ch : Self.pitch(ch), offset: 0))
        steps.append(.toChannelsLast(x: b, y: c))
        labels.append("input to channels-last")
        channelsLastInput[key] = c
        return c
    }
}

extension InferencePlan {
    /// The plan of `nodes` for an input of `inputShape` (float32, 4-D). Throws
    /// PlanCompileError naming the first node the plan cannot take.
    static func compile(nodes: [ONNXNode], graphOutputs: [String], inputName: String, inputShape: [Int],
                        constants: [String: Tensor], opset: Int64, fuseExpandDepthwise: Bool = true,
                        planAlways: Bool = false) throws -> InferencePlan {
        guard inputShape.count == 4, inputShape.allSatisfy({ $0 > 0 }) else {
            throw PlanCompileError(reason: "the input has shape \(inputShape); the plan takes [N, C, H, W]")
        }
        var cc = InferenceCompiler(constants: constants)
        let input = cc.add(PlanBuffer(shape: inputShape, pitch: inputShape[1], offset: nil))
        cc.values[inputName] = input
        var uses: [String: Int] = [:]
        for n in nodes { for i in n.inputs where !i.isEmpty { uses[i, default: 0] += 1 } }
        for o in graphOutputs { uses[o, default: 0] += 1 }
        var consumers: [String: Int] = [:]
        for (j, n) in nodes.enumerated() { for i in n.inputs where !i.isEmpty { consumers[i] = j } }
        var done = Set<Int>()
        /// A Pad's output -> its input and the (top, left, bottom, right) zeros it adds.
        var padded: [String: (source: String, pads: [Int])] = [:]
        /// The node that alone consumes `name` (used once, not a graph output), if it is `op`.
        func sole(_ name: String, _ ops: [String]) -> Int? {
            guard uses[name] == 1, let j = consumers[name], !done.contains(j), ops.contains(nodes[j].opType),
                  nodes[j].domain.isEmpty || nodes[j].domain == "ai.onnx" else { return nil }
            return j
        }
        func label(_ k: Int) -> String { "node \(k)\(nodes[k].name.isEmpty ? "" : " '\(nodes[k].name)'") (\(nodes[k].opType))" }
        /// An activation node's effect, when its extra inputs are constants.
        func fusedActivation(_ j: Int) throws -> FusedActivation? {
            let n = nodes[j]
            switch n.opType {
            case "Relu": return n.attributes.isEmpty ? .relu : nil
            case "HardSwish": return n.attributes.isEmpty ? .hardswish : nil
            case "Clip":
                if opset < 11 {
                    let a = try NodeAttributes(n, label(j), known: ["min", "max"])
                    return .clamp(try a.float("min", -.greatestFiniteMagnitude), try a.float("max", .greatestFiniteMagnitude))
                }
                guard n.attributes.isEmpty else { return nil }
                func bound(_ i: Int) throws -> Float? {
                    guard i < n.inputs.count, !n.inputs[i].isEmpty else { return nil }
                    let v = try cc.floats(n.inputs[i], "Clip bound")
                    guard v.count == 1 else { throw PlanCompileError(reason: "\(label(j)): a Clip bound is not one value") }
                    return v[0]
                }
                let lo = try bound(1), hi = try bound(2)
                return .clamp(lo ?? -.greatestFiniteMagnitude, hi ?? .greatestFiniteMagnitude)
            default: return nil
            }
        }
        /// Follows `name` through an activation node that alone consumes it.
        func takeActivation(_ name: inout String, _ fused: inout [Int]) throws -> FusedActivation {
            guard let j = sole(name, ["Relu", "Clip", "HardSwish"]), nodes[j].outputs.count == 1,
                  let a = try fusedActivation(j) else { return .none }
            done.insert(j)
            fused.append(j)
            name = nodes[j].outputs[0]
            return a
        }
        /// Follows `name` through an Add that alone consumes it, whose other operand the plan has
        /// already computed with the same shape: that operand is the residual.
        func takeResidual(_ name: inout String, shape: [Int], _ fused: inout [Int]) -> Int? {
            guard let j = sole(name, ["Add"]), nodes[j].inputs.count == 2, nodes[j].outputs.count == 1 else { return nil }
            let other = nodes[j].inputs[0] == name ? nodes[j].inputs[1] : nodes[j].inputs[0]
            guard other != name, let r = cc.values[other], cc.buffers[r].offset != nil, cc.buffers[r].shape == shape else { return nil }
            done.insert(j)
            fused.append(j)
            name = nodes[j].outputs[0]
            return r
        }

        /// Conv [+ BatchNormalization] [+ activation | + Add [+ activation]] as one step.
        func conv(_ k: Int) throws {
            let node = nodes[k], lk = label(k)
            let a = try NodeAttributes(node, lk, known: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
            guard node.inputs.count >= 2, node.outputs.count == 1 else { throw PlanCompileError(reason: "\(lk): inputs") }
            let pre = padded[node.inputs[0]]
            let x0 = try cc.activation(pre?.source ?? node.inputs[0], lk)
            let xs = cc.buffers[x0].shape
            guard xs.count == 4 else { throw PlanCompileError(reason: "\(lk): input of rank \(xs.count)") }
            let extra = pre?.pads ?? [0, 0, 0, 0]
            let wt = try cc.constant(node.inputs[1], "\(lk): weight")
            guard wt.dtype == .float32, wt.rank == 4 else { throw PlanCompileError(reason: "\(lk): weight \(wt.shape)") }
            var w = try cc.floats(node.inputs[1], "weight")
            let kOut = wt.shape[0], cg = wt.shape[1], kh = wt.shape[2], kw = wt.shape[3]
            let groups = try a.int("group", 1)
            let c = xs[1]
            guard groups >= 1, cg * groups == c, kOut % groups == 0 else { throw PlanCompileError(reason: "\(lk): weight \(wt.shape) on input \(xs)") }
            if let ks = try a.ints("kernel_shape"), ks != [kh, kw] { throw PlanCompileError(reason: "\(lk): kernel_shape") }
            let st = try windowParameter(a, "strides", spatial: 2, 1), di = try windowParameter(a, "dilations", spatial: 2, 1)
            var pads = try WindowPads(a, spatial: 2).resolve([xs[2] + extra[0] + extra[2], xs[3] + extra[1] + extra[3]],
                                                             kernel: [kh, kw], strides: st, dilations: di)
            pads[0] = (pads[0].0 + extra[0], pads[0].1 + extra[2])
            pads[1] = (pads[1].0 + extra[1], pads[1].1 + extra[3])
            let oh = (xs[2] + pads[0].0 + pads[0].1 - di[0] * (kh - 1) - 1) / st[0] + 1
            let ow = (xs[3] + pads[1].0 + pads[1].1 - di[1] * (kw - 1) - 1) / st[1] + 1
            guard oh > 0, ow > 0 else { throw PlanCompileError(reason: "\(lk): empty output") }
            guard InferenceCompiler.fits([xs[0], oh, ow, InferenceCompiler.pitch(kOut)]),
                  InferenceCompiler.fits([kOut, cg, kh, kw, 16]) else {
                throw PlanCompileError(reason: "\(lk): an output of [\(xs[0]), \(kOut), \(oh), \(ow)] is too large to plan")
            }
            guard let kind = PlanConvKernel.choose(c: c, k: kOut, groups: groups, kernel: (kh, kw), stride: (st[0], st[1]), pads: pads) else {
                throw PlanCompileError(reason: "\(lk): \(groups) groups (only 1 or one per channel)")
            }
            var b = node.inputs.count > 2 && !node.inputs[2].isEmpty ? try cc.floats(node.inputs[2], "bias") : [Float](repeating: 0, count: kOut)
            guard b.count == kOut else { throw PlanCompileError(reason: "\(lk): bias") }
            var name = node.outputs[0], fused: [Int] = []
            // BatchNormalization in inference mode: w' = w s, b' = (b - mean) s + beta, s = gamma / sqrt(var + eps).
            if let j = sole(name, ["BatchNormalization"]), nodes[j].inputs.count == 5, nodes[j].outputs.dropFirst().allSatisfy(\.isEmpty),
               nodes[j].inputs[0] == name {
                let bn = try NodeAttributes(nodes[j], label(j), known: ["epsilon", "momentum", "training_mode", "spatial"])
                if try bn.int("training_mode", 0) == 0, try bn.int("spatial", 1) == 1 {
                    let eps = Double(try bn.float("epsilon", 1e-5))
                    let p = try (1...4).map { try cc.floats(nodes[j].inputs[$0], "BatchNormalization parameter") }
                    guard p.allSatisfy({ $0.count == kOut }) else { throw PlanCompileError(reason: "\(label(j)): parameter sizes") }
                    let per = w.count / kOut
                    for ch in 0..<kOut {
                        let scale = Double(p[0][ch]) / (Double(p[3][ch]) + eps).squareRoot()
                        for q in 0..<per { w[ch * per + q] = Float(Double(w[ch * per + q]) * scale) }
                        b[ch] = Float((Double(b[ch]) - Double(p[2][ch])) * scale + Double(p[1][ch]))
                    }
                    done.insert(j)
                    fused.append(j)
                    name = nodes[j].outputs[0]
                }
            }
            var act = try takeActivation(&name, &fused)
            let outShape = [xs[0], kOut, oh, ow]
            var residual: Int? = nil
            if act == .none, let r = takeResidual(&name, shape: outShape, &fused) {
                residual = r
                act = try takeActivation(&name, &fused)
            }
            let pitch = InferenceCompiler.pitch(kOut)
            let macs = Double(xs[0] * oh * ow) * Double(cg * kh * kw) * Double(kind == .direct ? (kOut + 31) / 32 * 32 : pitch)
            cc.convMACs.computed += macs
            if kOut < 16 { cc.convMACs.narrow += macs }
            let biasAt = cc.store(pitch) { d in for i in 0..<kOut { d[i] = b[i] } }
            let y = cc.add(PlanBuffer(shape: outShape, pitch: pitch, offset: 0))
            switch kind {
            case .depthwise:
                let x = cc.channelsLast(x0)
                let taps = kh * kw
                let wAt = cc.store(taps * pitch) { d in
                    for ch in 0..<kOut { for t in 0..<taps { d[t * pitch + ch] = w[ch * taps + t] } }
                }
                let g = DepthwiseNHWCGeometry(h: xs[2], w: xs[3], pitch: cc.buffers[x].pitch, kh: kh, kw: kw, sh: st[0], sw: st[1],
                                              ph: pads[0].0, pw: pads[1].0, dh: di[0], dw: di[1], ow: ow)
                guard cc.buffers[x].pitch == pitch else { throw PlanCompileError(reason: "\(lk): pitch") }
                // A residual comes after the convolution and before the activation: then a pass of its own.
                cc.steps.append(.depthwise(DepthwiseStep(x: x, y: y, weights: wAt, bias: biasAt, geometry: g, oh: oh,
                                                         activation: residual == nil ? act : .none)))
                if let r = residual { cc.steps.append(.add(a: y, b: r, y: y, activation: act)) }
            case .pointwise:
                let x = cc.channelsLast(x0)
                let wAt = cc.store(packedPanelsCount(k: c, n: kOut)) { d in
                    w.withUnsafeBufferPointer { packPanels(d, $0.baseAddress!, ldw: c, transposed: true, k: c, c0: 0, n: kOut) }
                }
                cc.steps.append(.gemm(GemmStep(x: x, y: y, residual: residual, weights: wAt, bias: biasAt, k: c, activation: act)))
            case .dense where clampBounds(act).rest == .none
                && PlanConvKernel.prefersWinograd(c: c, k: kOut, kernel: (kh, kw), stride: (st[0], st[1]), dilation: (di[0], di[1])):
                let x = cc.channelsLast(x0)
                let cp = cc.buffers[x].pitch
                // The filters [pitch, cp, 3, 3] (zeros past the real channels) transformed once.
                let wAt = cc.store(16 * cp * pitch) { d in
                    var padded = [Float](repeating: 0, count: pitch * cp * 9)
                    for o in 0..<kOut { for ch in 0..<c { for t in 0..<9 { padded[(o * cp + ch) * 9 + t] = w[(o * c + ch) * 9 + t] } } }
                    padded.withUnsafeBufferPointer { winogradPackFilters($0.baseAddress!, k: pitch, c: cp, outputs: 0, to: pitch, d) }
                }
                let g = WinogradNHWCGeometry(h: xs[2], w: xs[3], pitch: cp, ph: pads[0].0, pw: pads[1].0, oh: oh, ow: ow, ldo: pitch)
                cc.steps.append(.winograd(WinogradStep(x: x, y: y, residual: residual, weights: wAt, bias: biasAt, geometry: g,
                                                       activation: act)))
            case .dense, .direct:
                let patch = kh * kw * c
                // Patch order (ki, kj, channel): the weight [K, C, kh, kw] reordered to match.
                var wr = [Float](repeating: 0, count: kOut * patch)
                for o in 0..<kOut { for ch in 0..<c { for i in 0..<kh { for jj in 0..<kw {
                    wr[o * patch + (i * kw + jj) * c + ch] = w[((o * c + ch) * kh + i) * kw + jj]
                } } } }
                let wAt = cc.store(packedPanelsCount(k: patch, n: kOut)) { d in
                    wr.withUnsafeBufferPointer { packPanels(d, $0.baseAddress!, ldw: patch, transposed: true, k: patch, c0: 0, n: kOut) }
                }
                let g = PatchGeometry(c: c, h: xs[2], w: xs[3], kh: kh, kw: kw, sh: st[0], sw: st[1], ph: pads[0].0, pw: pads[1].0,
                                      dh: di[0], dw: di[1], oh: oh, ow: ow)
                // The direct kernel reads the caller's NCHW input as it is (no conversion step).
                let x = kind == .direct ? x0 : cc.channelsLast(x0, tight: true)
                let nchw = cc.buffers[x].offset == nil, xPitch = cc.buffers[x].pitch
                let direct = kind == .dense ? nil : DirectConvGeometry(
                    c: c, h: xs[2], w: xs[3], kh: kh, kw: kw, sh: st[0], sw: st[1], ph: pads[0].0, pw: pads[1].0, dh: di[0], dw: di[1],
                    rowStride: nchw ? xs[3] : xs[3] * xPitch, positionStride: nchw ? 1 : xPitch, channelStride: nchw ? xs[2] * xs[3] : 1,
                    ow: ow, ldc: pitch)
                cc.steps.append(.dense(DenseConvStep(x: x, y: y, residual: residual, weights: wAt, bias: biasAt, geometry: g,
                                                     direct: direct, activation: act)))
            }
            cc.labels.append(([k] + fused).map(label).joined(separator: " + "))
            if case .depthwise = kind, residual != nil { cc.labels.append("residual add of \(lk)") }
            cc.values[name] = y
        }

        /// Gemm (A [N, F] activations, B and C constants) [+ activation] as one GEMM step.
        func gemm(_ k: Int) throws {
            let node = nodes[k], lk = label(k)
            let a = try NodeAttributes(node, lk, known: ["alpha", "beta", "transA", "transB"])
            guard try a.float("alpha", 1) == 1, try a.float("beta", 1) == 1, try a.int("transA", 0) == 0 else {
                throw PlanCompileError(reason: "\(lk): alpha, beta or transA")
            }
            let transB = try a.int("transB", 0) != 0
            guard node.inputs.count >= 2, node.outputs.count == 1 else { throw PlanCompileError(reason: "\(lk): inputs") }
            let x = try cc.activation(node.inputs[0], lk)
            let xs = cc.buffers[x].shape
            guard xs.count == 2, cc.buffers[x].offset != nil else { throw PlanCompileError(reason: "\(lk): input \(xs)") }
            let bt = try cc.constant(node.inputs[1], "\(lk): B")
            guard bt.rank == 2 else { throw PlanCompileError(reason: "\(lk): B \(bt.shape)") }
            let f = xs[1], n = transB ? bt.shape[0] : bt.shape[1]
            guard (transB ? bt.shape[1] : bt.shape[0]) == f else { throw PlanCompileError(reason: "\(lk): B \(bt.shape) for input \(xs)") }
            guard InferenceCompiler.fits([xs[0], InferenceCompiler.pitch(n)]), InferenceCompiler.fits([f, InferenceCompiler.pitch(n)]) else {
                throw PlanCompileError(reason: "\(lk): an output of [\(xs[0]), \(n)] is too large to plan")
            }
            let w = try cc.floats(node.inputs[1], "B")
            var bias = [Float](repeating: 0, count: n)
            if node.inputs.count > 2, !node.inputs[2].isEmpty {
                let cv = try cc.floats(node.inputs[2], "C")
                if cv.count == n { bias = cv } else if cv.count == 1 { bias = [Float](repeating: cv[0], count: n) } else {
                    throw PlanCompileError(reason: "\(lk): C of \(cv.count) values")
                }
            }
            var name = node.outputs[0], fused: [Int] = []
            let act = try takeActivation(&name, &fused)
            let pitch = InferenceCompiler.pitch(n)
            let biasAt = cc.store(pitch) { d in for i in 0..<n { d[i] = bias[i] } }
            let wAt = cc.store(packedPanelsCount(k: f, n: n)) { d in
                w.withUnsafeBufferPointer { packPanels(d, $0.baseAddress!, ldw: transB ? f : n, transposed: transB, k: f, c0: 0, n: n) }
            }
            let y = cc.add(PlanBuffer(shape: [xs[0], n], pitch: pitch, offset: 0))
            cc.steps.append(.gemm(GemmStep(x: x, y: y, residual: nil, weights: wAt, bias: biasAt, k: f, activation: act)))
            cc.labels.append(([k] + fused).map(label).joined(separator: " + "))
            cc.values[name] = y
        }

        /// MaxPool (no Indices output) or AveragePool over 2-D windows as one step, channels-last.
        /// An AveragePool whose padding the node-by-node forward applies as a separate pad
        /// (asymmetric, or beyond half the window) or with dilation is not planned: the plan
        /// gives the node-by-node forward's bits, and those divide differently.
        func pool(_ k: Int) throws {
            let node = nodes[k], lk = label(k), isMax = node.opType == "MaxPool"
            let a = try NodeAttributes(node, lk, known: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides",
                                                       isMax ? "storage_order" : "count_include_pad"])
            guard !isMax || node.outputs.count == 1 || node.outputs[1].isEmpty else {
                throw PlanCompileError(reason: "\(lk): the Indices output is not planned")
            }
            let x0 = try cc.activation(node.inputs[0], lk)
            let xs = cc.buffers[x0].shape
            guard xs.count == 4, let kernel = try a.ints("kernel_shape"), kernel.count == 2 else {
                throw PlanCompileError(reason: "\(lk): only 2-D windows on [N, C, H, W] are planned")
            }
            _ = try windowParameter(a, "kernel_shape", spatial: 2, 1)
            let st = try windowParameter(a, "strides", spatial: 2, 1), di = try windowParameter(a, "dilations", spatial: 2, 1)
            let pads = try WindowPads(a, spatial: 2).resolve([xs[2], xs[3]], kernel: kernel, strides: st, dilations: di)
            let ceil = try a.int("ceil_mode", 0) != 0, includePad = try a.int("count_include_pad", 0) != 0
            // Padding that is asymmetric or beyond half the window (in either axis) the
            // node-by-node forward applies as a separate pad (-inf rows and columns for a max)
            // and pools the padded input without padding: output sizes follow it.
            let implicit = pads.enumerated().allSatisfy { i, p in p.0 == p.1 && p.0 <= kernel[i] / 2 }
            guard isMax || (implicit && di == [1, 1]) else {
                throw PlanCompileError(reason: "\(lk): an AveragePool with asymmetric or wide padding or dilation")
            }
            func size(_ i: Int) -> Int {
                let extent = di[i] * (kernel[i] - 1) + 1, padded = xs[2 + i] + pads[i].0 + pads[i].1
                guard padded >= extent else { return 0 }
                if implicit {
                    return windowOutputSize(xs[2 + i], kernel: kernel[i], stride: st[i], pad: pads[i].0, dilation: di[i], ceilMode: ceil)
                }
                return windowOutputSize(padded, kernel: kernel[i], stride: st[i], pad: 0, dilation: di[i], ceilMode: ceil)
            }
            let oh = size(0), ow = size(1)
            guard oh > 0, ow > 0 else { throw PlanCompileError(reason: "\(lk): empty output") }
            guard InferenceCompiler.fits([xs[0], oh, ow, InferenceCompiler.pitch(xs[1])]) else {
                throw PlanCompileError(reason: "\(lk): an output of [\(xs[0]), \(xs[1]), \(oh), \(ow)] is too large to plan")
            }
            let x = cc.channelsLast(x0), pitch = cc.buffers[x].pitch
            let g = PoolNHWCGeometry(h: xs[2], w: xs[3], pitch: pitch, kh: kernel[0], kw: kernel[1], sh: st[0], sw: st[1],
                                     ph: pads[0].0, pw: pads[1].0, dh: di[0], dw: di[1], ow: ow)
            let y = cc.add(PlanBuffer(shape: [xs[0], xs[1], oh, ow], pitch: pitch, offset: 0))
            cc.steps.append(.pool(PoolStep(x: x, y: y, geometry: g, oh: oh, isMax: isMax, countIncludePad: includePad)))
            cc.labels.append(lk)
            cc.values[node.outputs[0]] = y
        }

        // Constants first: a Clip's bounds may be Constant nodes after the Conv whose step
        // takes the Clip.
        for (k, node) in nodes.enumerated() where node.opType == "Constant" && (node.domain.isEmpty || node.domain == "ai.onnx") {
            guard node.outputs.count == 1, let t = try compileConstant(node, label(k))([]).first else {
                throw PlanCompileError(reason: "\(label(k)): no value")
            }
            cc.constants[node.outputs[0]] = t
            done.insert(k)
        }
        for (k, node) in nodes.enumerated() where !done.contains(k) {
            done.insert(k)
            guard node.domain.isEmpty || node.domain == "ai.onnx" else { throw PlanCompileError(reason: "\(label(k)): domain '\(node.domain)'") }
            let ins = node.inputs, outs = node.outputs
            guard !ins.isEmpty, !ins[0].isEmpty, outs.count >= 1, !outs[0].isEmpty else {
                throw PlanCompileError(reason: "\(label(k)): no first input or output")
            }
            switch node.opType {
            case "Identity":
                if let t = cc.constants[ins[0]] { cc.constants[outs[0]] = t } else { cc.values[outs[0]] = try cc.activation(ins[0], label(k)) }
            case "Conv":
                try conv(k)
            case "Gemm":
                try gemm(k)
            case "Add":
                guard ins.count == 2, outs.count == 1 else { throw PlanCompileError(reason: "\(label(k)): inputs") }
                let a = try cc.activation(ins[0], label(k)), b = try cc.activation(ins[1], label(k))
                guard cc.buffers[a].shape == cc.buffers[b].shape, cc.buffers[a].offset != nil, cc.buffers[b].offset != nil else {
                    throw PlanCompileError(reason: "\(label(k)): operands of shapes \(cc.buffers[a].shape) and \(cc.buffers[b].shape)")
                }
                var name = outs[0], fused: [Int] = []
                let act = try takeActivation(&name, &fused)
                let y = cc.add(PlanBuffer(shape: cc.buffers[a].shape, pitch: cc.buffers[a].pitch, offset: 0))
                cc.steps.append(.add(a: a, b: b, y: y, activation: act))
                cc.labels.append(([k] + fused).map(label).joined(separator: " + "))
                cc.values[name] = y
            case "Relu", "Clip", "HardSwish":
                guard let act = try fusedActivation(k), outs.count == 1 else { throw PlanCompileError(reason: "\(label(k)): attributes") }
                let x = try cc.activation(ins[0], label(k))
                guard cc.buffers[x].offset != nil else { throw PlanCompileError(reason: "\(label(k)) on the input") }
                let y = cc.add(PlanBuffer(shape: cc.buffers[x].shape, pitch: cc.buffers[x].pitch, offset: 0))
                cc.steps.append(.activation(x: x, y: y, act))
                cc.labels.append(label(k))
                cc.values[outs[0]] = y
            case "Pad":
                // A zero Pad of the spatial sizes whose only reader is a Conv: the Conv's own
                // padding (TensorFlow "SAME" ports pad asymmetrically this way).
                let lk = label(k)
                let mode = try NodeAttributes(node, lk, known: ["mode", "pads", "value"]).string("mode", "constant")
                var pads: [Int]
                if opset < 11 {
                    pads = try NodeAttributes(node, lk, known: ["mode", "pads", "value"]).ints("pads") ?? []
                    guard try NodeAttributes(node, lk, known: ["mode", "pads", "value"]).float("value", 0) == 0 else {
                        throw PlanCompileError(reason: "\(lk): a non-zero pad value")
                    }
                } else {
                    guard ins.count >= 2, let t = cc.constants[ins[1]], t.dtype == .int64 else { throw PlanCompileError(reason: "\(lk): pads are not a constant") }
                    pads = try intList(t, "pads")
                    if ins.count > 2, !ins[2].isEmpty {
                        guard try cc.floats(ins[2], "pad value").allSatisfy({ $0 == 0 }) else { throw PlanCompileError(reason: "\(lk): a non-zero pad value") }
                    }
                    guard ins.count < 4 || ins[3].isEmpty else { throw PlanCompileError(reason: "\(lk): axes") }
                }
                guard mode == "constant", pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0,
                      pads.allSatisfy({ $0 >= 0 && $0 <= maxWindowParameter }), outs.count == 1, sole(outs[0], ["Conv"]) != nil,
                      nodes[consumers[outs[0]]!].inputs.first == outs[0] else {
                    throw PlanCompileError(reason: "\(lk): only a zero spatial Pad read by one Conv is planned")
                }
                _ = try cc.activation(ins[0], lk)
                padded[outs[0]] = (ins[0], [pads[2], pads[3], pads[6], pads[7]])
            case "MaxPool", "AveragePool":
                try pool(k)
            case "GlobalAveragePool":
                let x0 = try cc.activation(ins[0], label(k))
                guard cc.buffers[x0].shape.count == 4 else { throw PlanCompileError(reason: "\(label(k)): rank") }
                let x = cc.channelsLast(x0), s = cc.buffers[x].shape
                let y = cc.add(PlanBuffer(shape: [s[0], s[1], 1, 1], pitch: cc.buffers[x].pitch, offset: 0))
                cc.steps.append(.mean(x: x, y: y))
                cc.labels.append(label(k))
                cc.values[outs[0]] = y
            case "Flatten", "Reshape":
                let x0 = try cc.activation(ins[0], label(k))
                let s = cc.buffers[x0].shape
                let target = [s[0], s.dropFirst().reduce(1, *)]
                if node.opType == "Flatten" {
                    let axis = try NodeAttributes(node, label(k), known: ["axis"]).int("axis", 1)
                    guard axis == 1 else { throw PlanCompileError(reason: "\(label(k)): axis \(axis)") }
                } else {
                    guard ins.count == 2, let t = cc.constants[ins[1]], t.dtype == .int64 else {
                        throw PlanCompileError(reason: "\(label(k)): shape is not a constant")
                    }
                    let want = try intList(t, "shape")
                    guard want.count == 2, want[0] == s[0] || want[0] == 0, want[1] == target[1] || want[1] == -1 else {
                        throw PlanCompileError(reason: "\(label(k)): reshape to \(want)")
                    }
                }
                guard s.count == 4 || s.count == 2 else { throw PlanCompileError(reason: "\(label(k)): rank") }
                if s.count == 2 {
                    cc.values[outs[0]] = x0
                } else if s[2] * s[3] == 1 && cc.buffers[x0].offset != nil {
                    // [N, C, 1, 1] channels-last is already the rows [N, C]: the same buffer.
                    cc.values[outs[0]] = cc.add(PlanBuffer(shape: target, pitch: cc.buffers[x0].pitch, offset: 0))
                    cc.aliases[cc.values[outs[0]]!] = x0
                } else {
                    let x = cc.channelsLast(x0)
                    let y = cc.add(PlanBuffer(shape: target, pitch: InferenceCompiler.pitch(target[1]), offset: 0))
                    cc.steps.append(.flatten(x: x, y: y))
                    cc.labels.append(label(k))
                    cc.values[outs[0]] = y
                }
            default:
                throw PlanCompileError(reason: "\(label(k)): \(node.opType) is not in the plan's op set")
            }
        }
        if cc.narrow && !planAlways {
            let share = Int((100 * cc.convMACs.narrow / max(cc.convMACs.computed, 1)).rounded())
            throw PlanCompileError(reason: "convolutions of fewer than 16 output channels take \(share)% of the multiply-adds (over 10%): "
                                   + "their channels would be mostly padding in the plan's 16-channel vectors, and narrow networks "
                                   + "run faster node by node")
        }
        var outBuffers: [Int] = []
        for o in graphOutputs {
            guard let b = cc.values[o] else { throw PlanCompileError(reason: "graph output '\(o)' is not an activation of the plan") }
            let root = cc.aliases[b] ?? b
            guard cc.buffers[root].offset != nil else { throw PlanCompileError(reason: "graph output '\(o)' is the input") }
            outBuffers.append(b)
        }
        if fuseExpandDepthwise { cc.fuseExpandDepthwise(outputs: outBuffers) }
        return try cc.finish(inputShape: inputShape, outputs: outBuffers)
    }
}
