// Where each activation of an InferencePlan lives: buffers of one arena, reused once their
// value is dead. Greedy over the steps in order: a step's outputs take the best-fitting free
// buffer (a free one grown, or a new one), and a buffer is freed after the last step that reads
// it. MobileNetV2 at batch 1 needs four buffers of the largest activation's size instead of one
// allocation per op.
import SwiftNNKernels

extension PlanStep {
    /// Buffers the step reads and writes.
    var access: (reads: [Int], writes: [Int]) {
        switch self {
        case .gemm(let s): return ([s.x] + (s.residual.map { [$0] } ?? []), [s.y])
        case .dense(let s): return ([s.x] + (s.residual.map { [$0] } ?? []), [s.y])
        case .winograd(let s): return ([s.x] + (s.residual.map { [$0] } ?? []), [s.y])
        case .depthwise(let s): return ([s.x], [s.y])
        case .pool(let p): return ([p.x], [p.y])
        case .expandDepthwise(let s):
            return ([s.expand?.x ?? s.stem?.x ?? s.depthwise.x] + (s.project?.residual.map { [$0] } ?? []), [s.project?.y ?? s.depthwise.y])
        case let .mean(x, y), let .activation(x, y, _), let .toChannelsLast(x, y), let .flatten(x, y): return ([x], [y])
        case let .add(a, b, y, _): return ([a, b], [y])
        }
    }
}

extension InferenceCompiler {
    /// Assigns arena offsets (aliases share their root's) and builds the plan.
    mutating func finish(inputShape: [Int], outputs: [Int]) throws -> InferencePlan {
        let aliasOf = aliases
        func root(_ b: Int) -> Int { aliasOf[b] ?? b }
        var lastUse = [Int](repeating: -1, count: buffers.count)
        for (i, step) in steps.enumerated() {
            let (r, w) = step.access
            for b in r + w { lastUse[root(b)] = max(lastUse[root(b)], i) }
        }
        for o in outputs { lastUse[root(o)] = steps.count }
        var sizes: [Int] = []           // arena buffers' sizes (floats)
        var free: [Int] = []            // arena buffers not in use
        var home = [Int](repeating: -1, count: buffers.count)
        var live: [Int] = []            // plan buffers holding an arena buffer
        for (i, step) in steps.enumerated() {
            for b in live where lastUse[b] < i { free.append(home[b]) }
            live.removeAll { lastUse[$0] < i }
            for b0 in step.access.writes {
                let b = root(b0)
                guard buffers[b].offset != nil, home[b] < 0 else { continue }
                let need = (buffers[b].positions * buffers[b].pitch + 15) / 16 * 16
                let fits = free.filter { sizes[$0] >= need }
                let pick: Int
                if let best = fits.min(by: { sizes[$0] < sizes[$1] }) {
                    pick = best
                } else if let largest = free.max(by: { sizes[$0] < sizes[$1] }) {
                    pick = largest
                    sizes[largest] = need
                } else {
                    sizes.append(need)
                    pick = sizes.count - 1
                }
                free.removeAll { $0 == pick }
                home[b] = pick
                live.append(b)
            }
        }
        var starts: [Int] = []
        var total = 0
        for s in sizes {
            starts.append(total)
            let (t, o) = total.addingReportingOverflow(s)
            guard !o, t <= 1 << 36 else { throw PlanCompileError(reason: "the activations need more than 2^36 floats") }
            total = t
        }
        for b in buffers.indices {
            let r = root(b)
            // The input, and an expansion fused into its depthwise step (never in the arena).
            if buffers[r].offset == nil || lastUse[r] < 0 { continue }
            guard home[r] >= 0 else { throw PlanCompileError(reason: "buffer \(b) is never written") }
            buffers[b].offset = starts[home[r]]
        }
        let store = try Tensor(empty: [max(weights.count, 1)], dtype: .float32, zeroed: true, "inference plan")
        weights.withUnsafeBufferPointer { store.floats.update(from: $0.baseAddress!, count: $0.count) }
        return InferencePlan(inputShape: inputShape, buffers: buffers, steps: steps, labels: labels, outputs: outputs,
                             arenaFloats: total, weights: store, sources: sources)
    }
}
