// DQNAgent: deep Q-learning (Mnih et al. 2015, "Human-level control through deep
// reinforcement learning") in the engine: the Nature network over the last `history` frames,
// a replay buffer of single frames, a target network, epsilon-greedy acting, the Huber loss on
// the taken actions' Q-values, Adam or RMSprop, and Double DQN (van Hasselt et al. 2016) as an
// option. The loop over an environment is in DQN+Train.swift, checkpoints in DQN+Checkpoint.swift.

/// Settings of a `DQNAgent`. Steps are agent steps (one action, `frame_skip` emulator frames
/// in the environment); the schedule counts them from the first step.
public struct DQNOptions: Sendable, Equatable {
    public var actions = 6
    public var frameHeight = 84, frameWidth = 84
    /// Frames per state (the Nature network's input channels).
    public var history = 4
    public var hidden = 512
    public var replayCapacity = 100_000
    public var batchSize = 32
    public var gamma = 0.99
    public enum OptimizerKind: Int, Sendable { case adam = 0, rmsprop = 1 }
    public var optimizer = OptimizerKind.adam
    public var lr = 1e-4
    /// Adam's (or RMSprop's) epsilon: 1.5e-4 as in the Rainbow and Dopamine Adam settings.
    public var optimizerEps = 1.5e-4
    /// Steps of random-policy experience before the first update.
    public var learningStarts = 20_000
    /// An update every this many steps.
    public var trainEvery = 4
    /// The target network copies the online one every this many steps.
    public var targetUpdateEvery = 4_000
    public var epsilonStart = 1.0, epsilonEnd = 0.01
    /// Steps over which epsilon falls linearly from epsilonStart to epsilonEnd.
    public var epsilonDecaySteps = 250_000
    public var doubleDQN = true
    /// Rewards stored as their sign (-1, 0, 1), as in the Nature paper.
    public var clipRewards = true
    /// Max total gradient norm per update (0: none).
    public var maxGradNorm = 10.0
    /// Up to this many no-op actions start each episode (a random count, drawn from the agent's generator).
    public var noopMax = 30
    public var seed: UInt64 = 0
    public init() {}

    /// The spatial size after the three convolutions (8x8/4, 4x4/2, 3x3/1).
    static func convOut(_ n: Int) -> Int { ((n - 8) / 4 + 1 - 4) / 2 + 1 - 2 }

    func validate(_ fn: String) throws {
        func check(_ ok: Bool, _ what: @autoclosure () -> String) throws {
            if !ok { throw SNNError.invalid("\(fn): \(what())") }
        }
        try check(actions >= 1 && actions <= 4096, "actions = \(actions), expected 1...4096")
        try check(frameHeight >= 36 && frameHeight <= 4096 && frameWidth >= 36 && frameWidth <= 4096,
                  "frame size \(frameHeight)x\(frameWidth), expected 36...4096 on each side (the three convolutions need at least 36)")
        try check(history >= 1 && history <= 64, "history = \(history), expected 1...64")
        try check(hidden >= 1 && hidden <= 1 << 16, "hidden = \(hidden), expected 1...65536")
        try check(batchSize >= 1 && batchSize <= 4096, "batch_size = \(batchSize), expected 1...4096")
        try check(replayCapacity >= Swift.max(history + 2, batchSize) && replayCapacity <= 1 << 26,
                  "replay_capacity = \(replayCapacity), expected \(Swift.max(history + 2, batchSize))...\(1 << 26)")
        try check(gamma >= 0 && gamma <= 1, "gamma = \(gamma), expected 0...1")
        try check(lr.isFinite && lr > 0 && optimizerEps.isFinite && optimizerEps > 0, "lr (\(lr)) and optimizer_eps (\(optimizerEps)) must be finite and > 0")
        try check(learningStarts >= 0 && trainEvery >= 1 && targetUpdateEvery >= 1 && epsilonDecaySteps >= 0,
                  "learning_starts (\(learningStarts)) and epsilon_decay_steps (\(epsilonDecaySteps)) must be >= 0, train_every (\(trainEvery)) and target_update_every (\(targetUpdateEvery)) >= 1")
        try check((0...1).contains(epsilonStart) && (0...1).contains(epsilonEnd), "epsilon_start (\(epsilonStart)) and epsilon_end (\(epsilonEnd)) must be in 0...1")
        try check(maxGradNorm.isFinite && maxGradNorm >= 0, "max_grad_norm = \(maxGradNorm), expected a finite value >= 0")
        try check(noopMax >= 0 && noopMax <= 10_000, "noop_max = \(noopMax), expected 0...10000")
    }
}

/// A seeded Philox stream whose whole state is (seed, counter): checkpointed exactly.
struct AgentRandom {
    var seed: UInt64
    var counter: UInt64 = 0
    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double {
        let (x0, x1, _, _) = philox4x32(counter, seed)
        counter &+= 1
        return Double((UInt64(x0) << 21) ^ (UInt64(x1) >> 11)) * 0x1p-53
    }
    /// Uniform in 0..<n.
    mutating func below(_ n: Int) -> Int { Swift.min(Int(uniform() * Double(n)), n - 1) }
}

public final class DQNAgent {
    public let options: DQNOptions
    public let online: Sequential
    let target: Sequential
    let optimizer: Optimizer
    public let replay: ReplayBuffer
    var rng: AgentRandom
    /// Counters: agent steps, emulator frames, updates, finished episodes.
    public internal(set) var steps = 0, frames = 0, updates = 0
    /// Each finished episode's return (unclipped), length in frames, and the frame count at its end.
    public internal(set) var episodeReturns: [Double] = [], episodeFrames: [Int] = [], episodeEndFrames: [Int] = []
    /// Seconds spent in `train` over all runs (a resumed run adds to it).
    public internal(set) var trainSeconds = 0.0
    public internal(set) var lastLoss = Double.nan
    /// Where `train`'s time went (seconds, resumed runs included): the environment's calls,
    /// choosing actions (the batch-1 forward), and updates (sampling, stack assembly, forward,
    /// backward, optimizer, target syncs). The rest is the loop's own bookkeeping.
    public internal(set) var envSeconds = 0.0, actSeconds = 0.0, updateSeconds = 0.0
    /// Preallocated batch-1 input for acting.
    private var actInput: Tensor

    /// The Nature network: conv 8x8/4 32, 4x4/2 64, 3x3/1 64, linear hidden, linear actions,
    /// ReLU between, as PyTorch's nn.Sequential (parameter names "0.weight" ... "9.bias").
    public static func network(_ o: DQNOptions) throws -> Sequential {
        let side = DQNOptions.convOut(o.frameHeight) * DQNOptions.convOut(o.frameWidth)
        return Sequential([
            try Conv2d(inChannels: o.history, outChannels: 32, kernelSize: (8, 8), stride: (4, 4)), ReLU(),
            try Conv2d(inChannels: 32, outChannels: 64, kernelSize: (4, 4), stride: (2, 2)), ReLU(),
            try Conv2d(inChannels: 64, outChannels: 64, kernelSize: (3, 3)), ReLU(), Flatten(),
            try Linear(inFeatures: 64 * side, outFeatures: o.hidden), ReLU(),
            try Linear(inFeatures: o.hidden, outFeatures: o.actions),
        ])
    }

    /// A new agent; the network's weights come from the global generator (manual_seed), the
    /// agent's own draws (exploration, sampling, no-ops) from a generator seeded with `seed`.
    public init(_ o: DQNOptions) throws {
        try o.validate("DQNAgent")
        options = o
        online = try Self.network(o)
        target = try Generator.global.preservingOffset { try Self.network(o) }
        try target.loadStateDict(online.stateDict(), strict: true)
        try target.setRequiresGrad(false)
        switch o.optimizer {
        case .adam: optimizer = try Adam(online.parameters, Adam.Options(lr: o.lr, eps: o.optimizerEps))
        case .rmsprop: optimizer = try RMSprop(online.parameters, RMSprop.Options(lr: o.lr, alpha: 0.95, eps: o.optimizerEps))
        }
        replay = try ReplayBuffer(capacity: o.replayCapacity, history: o.history, frameBytes: o.frameHeight * o.frameWidth)
        rng = AgentRandom(seed: o.seed)
        actInput = try Tensor(empty: [1, o.history, o.frameHeight, o.frameWidth])
    }

    var frameBytes: Int { options.frameHeight * options.frameWidth }

    /// Epsilon after `step` agent steps: linear from epsilonStart to epsilonEnd.
    public func epsilon(at step: Int) -> Double {
        let o = options
        if step >= o.epsilonDecaySteps { return o.epsilonEnd }
        return o.epsilonStart + (o.epsilonEnd - o.epsilonStart) * Double(step) / Double(o.epsilonDecaySteps)
    }

    /// The online network's Q-values for one state given as floats [history, H, W].
    func greedyAction(_ state: UnsafePointer<Float>) throws -> Int {
        actInput.floats.update(from: state, count: actInput.count)
        let q = try GradMode.withoutGrad { try online(actInput) }.scalars
        var best = 0
        for a in 1..<q.count where q[a] > q[best] { best = a }
        return best
    }

    /// Epsilon-greedy on `state` with the given generator.
    func act(_ state: UnsafePointer<Float>, epsilon: Double, rng r: inout AgentRandom) throws -> Int {
        if epsilon > 0 && r.uniform() < epsilon { return r.below(options.actions) }
        return try greedyAction(state)
    }

    /// One update on a sampled batch of `batchSize` valid transitions; returns the loss.
    @discardableResult
    func updateFromReplay() throws -> Double {
        let b = options.batchSize
        var idx = [Int](repeating: 0, count: b)
        var tries = 0
        for k in 0..<b {
            repeat {
                idx[k] = rng.below(replay.capacity)
                tries += 1
                guard tries < 1_000 * b else {
                    throw SNNError.invalid("DQNAgent.update: the replay buffer has too few valid transitions (\(replay.filled) frames stored)")
                }
            } while !replay.isValid(idx[k])
        }
        let state = try Tensor(empty: [b, options.history, options.frameHeight, options.frameWidth])
        let next = try Tensor(empty: state.shape)
        var actions = [Int64](repeating: 0, count: b), rewards = [Float](repeating: 0, count: b), done = rewards
        let per = options.history * frameBytes
        for (k, i) in idx.enumerated() {
            replay.writeStack(ending: i, into: state.floats + k * per)
            replay.writeStack(ending: (i + 1) % replay.capacity, into: next.floats + k * per)
            actions[k] = Int64(replay.actions[i])
            rewards[k] = replay.rewards[i]
            done[k] = Float(replay.terminal[i])
        }
        return try update(state: state, actions: actions, rewards: rewards, next: next, terminal: done)
    }

    /// The targets r + gamma (1 - terminal) Q_target(s', a*), a* = argmax_a Q_online(s', a)
    /// with Double DQN, else argmax of Q_target; without recording.
    func targets(rewards: [Float], next: Tensor, terminal: [Float]) throws -> Tensor {
        let b = rewards.count, a = options.actions
        let (qt, qo) = try GradMode.withoutGrad {
            (try target(next).scalars, options.doubleDQN ? try online(next).scalars : [])
        }
        var y = [Float](repeating: 0, count: b)
        for k in 0..<b {
            let sel = options.doubleDQN ? qo : qt
            var best = 0
            for j in 1..<a where sel[k * a + j] > sel[k * a + best] { best = j }
            y[k] = rewards[k] + Float(options.gamma) * (1 - terminal[k]) * qt[k * a + best]
        }
        return try Tensor(y, shape: [b])
    }

    /// The Huber loss (smooth L1, delta 1, mean over the batch) of Q_online(s, a) against the
    /// targets, recorded for backward.
    public func loss(state: Tensor, actions: [Int64], rewards: [Float], next: Tensor, terminal: [Float]) throws -> Tensor {
        let b = actions.count
        guard b >= 1, rewards.count == b, terminal.count == b,
              state.shape == [b, options.history, options.frameHeight, options.frameWidth], next.shape == state.shape else {
            throw SNNError.shape("DQNAgent.loss: expected state and next [\(b), \(options.history), \(options.frameHeight), \(options.frameWidth)] and \(b) actions, rewards and terminal flags; got \(fmt(state.shape)), \(fmt(next.shape)), \(actions.count), \(rewards.count), \(terminal.count)")
        }
        guard actions.allSatisfy({ $0 >= 0 && $0 < Int64(options.actions) }) else {
            throw SNNError.range("DQNAgent.loss: an action is outside 0..<\(options.actions)")
        }
        let y = try targets(rewards: rewards, next: next, terminal: terminal)
        let q = try reshape(try gather(try online(state), dim: 1, index: try Tensor(int64: actions, shape: [b, 1])), [b])
        return try smoothL1Loss(q, y)
    }

    /// One optimizer step on an explicit batch; returns the loss before the step.
    @discardableResult
    public func update(state: Tensor, actions: [Int64], rewards: [Float], next: Tensor, terminal: [Float]) throws -> Double {
        let l = try loss(state: state, actions: actions, rewards: rewards, next: next, terminal: terminal)
        let v = Double(try l.item())
        guard v.isFinite else { throw SNNError(.autograd, "DQNAgent.update: the loss became \(v) at update \(updates); lower the learning rate") }
        optimizer.zeroGrad(setToNone: true)
        try l.backward()
        if options.maxGradNorm > 0 { _ = try clipGradNorm(online.parameters, maxNorm: options.maxGradNorm) }
        try optimizer.step()
        updates += 1
        lastLoss = v
        return v
    }

    /// Copies the online network's weights into the target network.
    public func syncTarget() throws {
        try GradMode.withoutGrad { try target.loadStateDict(online.stateDict(), strict: true) }
    }
}
