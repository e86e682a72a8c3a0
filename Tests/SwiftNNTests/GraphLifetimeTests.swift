// A forward under grad mode that is never differentiated must free everything when its results
// are dropped, as PyTorch's does (an evaluation loop without no_grad). A pullback that captures
// its own op's output makes a cycle (output -> node -> pullback -> output) that Swift's
// reference counting never frees: relu, sigmoid, tanh, exp, sqrt, tan, reciprocal and every
// float64 one-input op leaked their outputs this way until their pullbacks read
// `savedForBackward` instead. Checked here for every golden case, on weak references.
import Testing
@testable import SwiftNN

/// Runs `c`'s op with gradients required, drops everything, and returns the outputs that are
/// still alive (weakly held), with and without a backward.
private func survivors(_ c: GoldenCase, backward: Bool) throws -> [Int] {
    final class Weak { weak var t: Tensor? }
    var refs: [Weak] = []
    try {
        let (outs, _, leaves) = try run(c, withGrad: backward)
        if !backward {
            // grad mode on and inputs requiring grad, but no backward: the graph is never freed by one
            let op = try #require(goldenOp(c.op))
            for (i, t) in leaves.enumerated() where i < c.grads.count && c.grads[i] != nil { try t.setRequiresGrad(true) }
            for o in try op(leaves, c.attrs) {
                let w = Weak()
                w.t = o
                refs.append(w)
            }
        }
        for o in outs {
            let w = Weak()
            w.t = o
            refs.append(w)
        }
    }()
    return refs.indices.filter { refs[$0].t != nil }
}

@Test(arguments: goldenAreas())
func graphsWithoutBackwardAreFreed(area: String) throws {
    for c in try loadGolden(area) where c.grads.contains(where: { $0 != nil }) {
        let alive = try survivors(c, backward: false)
        #expect(alive.isEmpty, "\(area)/\(c.name): outputs \(alive) of a forward with no backward outlived every reference")
        let afterBackward = try survivors(c, backward: true)
        #expect(afterBackward.isEmpty, "\(area)/\(c.name): outputs \(afterBackward) outlived every reference after backward")
    }
}

/// The same for a module: a Sequential's forward in training mode, no backward.
@Test func sequentialForwardWithoutBackwardIsFreed() throws {
    final class Weak { weak var t: Tensor? }
    let w = Weak()
    let net = Sequential([try Linear(inFeatures: 8, outFeatures: 8), ReLU(), try Linear(inFeatures: 8, outFeatures: 2), Sigmoid()])
    try {
        let y = try net(try Tensor.randn([4, 8]))
        #expect(y.requiresGrad)
        w.t = y
    }()
    #expect(w.t == nil, "a training-mode forward's output outlived every reference")
}
