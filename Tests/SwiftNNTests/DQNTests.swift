// The DQN agent in Swift: two updates against PyTorch (the golden files the C and Python tests
// read, from tools/gen_golden_dqn.py), and the replay buffer's bookkeeping: which slots may be
// sampled, stacks zero-padded at episode starts, wrap-around, truncated episodes.
import Testing
@testable import SwiftNN

private func goldenAgent(_ name: String, double: Bool) throws -> (DQNAgent, SafeTensors) {
    let path = "\(goldenDir)/dqn_\(name).safetensors"
    let file = try SafeTensors.read(path: path)
    var o = DQNOptions()
    o.frameHeight = 36; o.frameWidth = 36; o.history = 2; o.hidden = 16; o.actions = 3
    o.lr = 1e-3; o.optimizerEps = 1.5e-4; o.maxGradNorm = 10; o.doubleDQN = double; o.replayCapacity = 64
    let agent = try DQNAgent(o)
    try Checkpoint.loadWeights(into: agent.online, from: path, strict: false)  // the file also holds batches and results
    try agent.syncTarget()
    return (agent, file)
}

private func floats(_ t: Tensor) -> Tensor {  // uint8 frames -> byte / 255, as the agent reads them
    (try? Tensor(t.scalars.map { $0 / 255 }, shape: t.shape))!
}

@Test(arguments: [("double", true), ("plain", false)])
func dqnUpdatesEqualPyTorch(_ name: String, _ double: Bool) throws {
    let (agent, g) = try goldenAgent(name, double: double)
    for k in 1...2 {
        func t(_ f: String) throws -> Tensor { try #require(g["b\(k).\(f)"]) }
        let loss = try agent.update(state: floats(try t("states")), actions: try t("actions").int64Scalars,
                                    rewards: try t("rewards").scalars, next: floats(try t("next_states")),
                                    terminal: try t("terminal").scalars)
        let want = Double(try t("loss").scalars[0])
        #expect(abs(loss - want) < 1e-5, "\(name) b\(k): loss \(loss) vs PyTorch \(want)")
        for (n, p) in agent.online.namedParameters() {
            guard let grad = p.grad else { Issue.record("\(name) b\(k): no gradient for \(n)"); continue }
            if let bad = mismatch(grad, try t("grad.\(n)")) { Issue.record("\(name) b\(k) grad.\(n): \(bad)") }
            if let bad = mismatch(p, try t("after.\(n)")) { Issue.record("\(name) b\(k) \(n) after Adam: \(bad)") }
        }
    }
}

/// A 2x2-frame buffer; frame i is filled with the byte i.
private func frame(_ v: Int) -> [UInt8] { [UInt8](repeating: UInt8(v), count: 4) }

private func stack(_ r: ReplayBuffer, _ i: Int) -> [Float] {
    var out = [Float](repeating: -1, count: r.history * r.frameBytes)
    out.withUnsafeMutableBufferPointer { r.writeStack(ending: i, into: $0.baseAddress!) }
    return stride(from: 0, to: out.count, by: r.frameBytes).map { (out[$0] * 255).rounded() }
}

@Test func replayStacksAndValidity() throws {
    let r = try ReplayBuffer(capacity: 8, history: 3, frameBytes: 4)
    // episode 1: frames 1, 2, 3 (ends terminal after the action on frame 3)
    frame(1).withUnsafeBytes { r.begin($0) }
    frame(2).withUnsafeBytes { r.record(action: 0, reward: 0, terminal: false, episodeEnd: false, next: $0) }
    frame(3).withUnsafeBytes { r.record(action: 1, reward: 1, terminal: false, episodeEnd: false, next: $0) }
    r.record(action: 2, reward: -1, terminal: true, episodeEnd: true, next: nil)
    // episode 2: frames 4, 5
    frame(4).withUnsafeBytes { r.begin($0) }
    frame(5).withUnsafeBytes { r.record(action: 0, reward: 0, terminal: false, episodeEnd: false, next: $0) }
    #expect(stack(r, 0) == [0, 0, 1], "the first state is zero-padded")
    #expect(stack(r, 2) == [1, 2, 3])
    #expect(stack(r, 3) == [0, 0, 4], "a new episode's stack does not reach into the previous one")
    #expect(stack(r, 4) == [0, 4, 5])
    #expect(r.isValid(0) && r.isValid(1) && r.isValid(2) && r.isValid(3))
    #expect(!r.isValid(4), "the current slot has no action yet")
    #expect(!r.isValid(5), "unwritten")
    // a truncated episode's last slot has no next state: never sampled
    r.record(action: 1, reward: 0, terminal: false, episodeEnd: true, next: nil)
    #expect(!r.isValid(4))
    // wrap around: 8 slots; after 8 more frames the oldest stacks would reach into new data
    frame(6).withUnsafeBytes { r.begin($0) }
    for v in 7...12 { frame(v).withUnsafeBytes { r.record(action: 0, reward: 0, terminal: false, episodeEnd: false, next: $0) } }
    #expect(r.filled == 8 && r.cursor == 3)
    // slots 4..7, 0..2 hold frames; slot 3 (cursor) holds 12; the oldest are 4, 5 (ages 1, 2)
    #expect(!r.isValid(4) && !r.isValid(5), "stacks that would reach past the oldest slot")
    #expect(r.isValid(6) && r.isValid(2))
    #expect(stack(r, 2) == [9, 10, 11])
    #expect(stack(r, 6) == [0, 6, 7], "slot 5 ended an episode (truncated)")
}

@Test func dqnOptionErrors() {
    var o = DQNOptions()
    o.frameHeight = 30
    #expect(throws: SNNError.self) { try DQNAgent(o) }
    o = DQNOptions(); o.epsilonEnd = 2
    #expect(throws: SNNError.self) { try DQNAgent(o) }
    o = DQNOptions(); o.replayCapacity = 3
    #expect(throws: SNNError.self) { try DQNAgent(o) }
}

@Test func atariFrameAreaResize() throws {
    // 4x4 -> 2x2 is the mean of 2x2 blocks; 3x3 -> 2x2 weights the shared middle row/column by half
    let a: [UInt8] = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]
    var out = [UInt8](repeating: 0, count: 4)
    try a.withUnsafeBytes { s in try out.withUnsafeMutableBytes { try AtariFrame.preprocess(s, nil, height: 4, width: 4, into: $0, outHeight: 2, outWidth: 2) } }
    #expect(out == [25, 45, 105, 125])
    let b: [UInt8] = [0, 90, 0, 90, 0, 90, 0, 90, 0]
    var o2 = [UInt8](repeating: 0, count: 4)
    try b.withUnsafeBytes { s in try o2.withUnsafeMutableBytes { try AtariFrame.preprocess(s, nil, height: 3, width: 3, into: $0, outHeight: 2, outWidth: 2) } }
    // top-left output covers rows/cols 0..1.5: weights 1, 0.5 -> (0*1 + 90*0.5 + 90*0.5 + 0*0.25) / 2.25 = 40
    #expect(o2[0] == 40)
}
