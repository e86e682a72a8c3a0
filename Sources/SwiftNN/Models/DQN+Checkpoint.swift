// DQN checkpoints: everything a run needs to continue exactly, in one safetensors file (written
// atomically): both networks (PyTorch's nn.Sequential names under "online." and "target."),
// the optimizer's state (PyTorch's keys under "optimizer.<param>."), the replay buffer's
// frames and transitions, the episode history, and in the metadata the options, counters,
// the generator's (seed, counter) and the buffer's cursor. The online network alone is
// `online.*`; `DQNAgent.load` rebuilds the whole agent.

extension DQNAgent {
    static let format = "swiftnn.dqn.v1"

    private var optionEntries: [(String, String)] {
        let o = options
        return [("actions", "\(o.actions)"), ("frame_height", "\(o.frameHeight)"), ("frame_width", "\(o.frameWidth)"),
                ("history", "\(o.history)"), ("hidden", "\(o.hidden)"), ("replay_capacity", "\(o.replayCapacity)"),
                ("batch_size", "\(o.batchSize)"), ("gamma", "\(o.gamma)"), ("optimizer", "\(o.optimizer.rawValue)"),
                ("lr", "\(o.lr)"), ("optimizer_eps", "\(o.optimizerEps)"), ("learning_starts", "\(o.learningStarts)"),
                ("train_every", "\(o.trainEvery)"), ("target_update_every", "\(o.targetUpdateEvery)"),
                ("epsilon_start", "\(o.epsilonStart)"), ("epsilon_end", "\(o.epsilonEnd)"),
                ("epsilon_decay_steps", "\(o.epsilonDecaySteps)"), ("double_dqn", o.doubleDQN ? "1" : "0"),
                ("clip_rewards", o.clipRewards ? "1" : "0"), ("max_grad_norm", "\(o.maxGradNorm)"),
                ("noop_max", "\(o.noopMax)"), ("seed", "\(o.seed)")]
    }

    private static func options(from m: [String: String], _ what: String) throws -> DQNOptions {
        func str(_ k: String) throws -> String {
            guard let v = m["dqn.\(k)"] else { throw SNNError(.format, "\(what): metadata 'dqn.\(k)' is missing") }
            return v
        }
        func int(_ k: String) throws -> Int {
            guard let v = Int(try str(k)) else { throw SNNError(.format, "\(what): metadata 'dqn.\(k)' is not an integer") }
            return v
        }
        func dbl(_ k: String) throws -> Double {
            guard let v = Double(try str(k)) else { throw SNNError(.format, "\(what): metadata 'dqn.\(k)' is not a number") }
            return v
        }
        var o = DQNOptions()
        o.actions = try int("actions"); o.frameHeight = try int("frame_height"); o.frameWidth = try int("frame_width")
        o.history = try int("history"); o.hidden = try int("hidden"); o.replayCapacity = try int("replay_capacity")
        o.batchSize = try int("batch_size"); o.gamma = try dbl("gamma")
        guard let kind = DQNOptions.OptimizerKind(rawValue: try int("optimizer")) else { throw SNNError(.format, "\(what): unknown optimizer") }
        o.optimizer = kind
        o.lr = try dbl("lr"); o.optimizerEps = try dbl("optimizer_eps"); o.learningStarts = try int("learning_starts")
        o.trainEvery = try int("train_every"); o.targetUpdateEvery = try int("target_update_every")
        o.epsilonStart = try dbl("epsilon_start"); o.epsilonEnd = try dbl("epsilon_end")
        o.epsilonDecaySteps = try int("epsilon_decay_steps"); o.doubleDQN = try int("double_dqn") != 0
        o.clipRewards = try int("clip_rewards") != 0; o.maxGradNorm = try dbl("max_grad_norm"); o.noopMax = try int("noop_max")
        guard let seed = UInt64(try str("seed")) else { throw SNNError(.format, "\(what): metadata 'dqn.seed' is not an unsigned integer") }
        o.seed = seed
        return o
    }

    private static func bytesTensor(_ a: [UInt8], _ shape: [Int]) throws -> Tensor {
        let t = try Tensor(empty: shape, dtype: .uint8)
        a.withUnsafeBufferPointer { if !$0.isEmpty { t.bytes.update(from: $0.baseAddress!, count: $0.count) } }
        return t
    }

    /// Writes the whole agent to `path` (atomically: a temporary file renamed over it).
    public func save(to path: String) throws {
        var tensors: [(name: String, tensor: Tensor)] = []
        tensors += online.stateDict().map { ("online.\($0.name)", $0.tensor) }
        tensors += target.stateDict().map { ("target.\($0.name)", $0.tensor) }
        tensors += try optimizer.stateEntries().map { ("optimizer.\($0.param).\($0.key)", $0.value) }
        let cap = replay.capacity
        tensors.append(("replay.frames", try Self.bytesTensor(replay.frames, [cap, options.frameHeight, options.frameWidth])))
        let acts = try Tensor(empty: [cap], dtype: .int32)
        for i in 0..<cap { acts.int32s[i] = replay.actions[i] }
        tensors.append(("replay.actions", acts))
        tensors.append(("replay.rewards", try Tensor(replay.rewards, shape: [cap])))
        tensors.append(("replay.terminal", try Self.bytesTensor(replay.terminal, [cap])))
        tensors.append(("replay.episode_end", try Self.bytesTensor(replay.episodeEnd, [cap])))
        let n = episodeReturns.count
        let returns = try Tensor(empty: [n], dtype: .float64)
        for i in 0..<n { returns.doubles[i] = episodeReturns[i] }
        tensors.append(("episodes.return", returns))
        tensors.append(("episodes.frames", try Tensor(int64: episodeFrames.map { Int64($0) }, shape: [n])))
        tensors.append(("episodes.end_frame", try Tensor(int64: episodeEndFrames.map { Int64($0) }, shape: [n])))
        var meta: [(key: String, value: String)] = [("format", Self.format)]
        meta += optionEntries.map { ("dqn.\($0.0)", $0.1) }
        meta += [("state.steps", "\(steps)"), ("state.frames", "\(frames)"), ("state.updates", "\(updates)"),
                 ("state.rng_seed", "\(rng.seed)"), ("state.rng_counter", "\(rng.counter)"),
                 ("state.cursor", "\(replay.cursor)"), ("state.filled", "\(replay.filled)"),
                 ("state.has_current", replay.hasCurrent ? "1" : "0"), ("state.train_seconds", "\(trainSeconds)"),
                 ("state.last_loss", "\(lastLoss)"), ("state.env_seconds", "\(envSeconds)"),
                 ("state.act_seconds", "\(actSeconds)"), ("state.update_seconds", "\(updateSeconds)")]
        try SafeTensors(tensors: tensors, metadata: meta).write(path: path)
    }

    /// Rebuilds an agent saved by `save`, ready to continue training exactly.
    public static func load(from path: String) throws -> DQNAgent {
        let what = "DQNAgent.load: '\(path)'"
        let file = try SafeTensors.read(path: path)
        guard file.metadata("format") == format else {
            throw SNNError(.format, "\(what) is not a DQN checkpoint (metadata format is \(file.metadata("format") ?? "missing"), expected \(format))")
        }
        var m: [String: String] = [:]
        for (k, v) in file.metadata { m[k] = v }
        let o = try options(from: m, what)
        let agent = try Generator.global.preservingOffset { try DQNAgent(o) }
        func tensor(_ name: String, _ dtype: DType, _ shape: [Int]) throws -> Tensor {
            guard let t = file[name] else { throw SNNError(.format, "\(what): tensor '\(name)' is missing") }
            guard t.dtype == dtype, t.shape == shape else {
                throw SNNError(.format, "\(what): tensor '\(name)' is \(t.dtype.name) \(fmt(t.shape)), expected \(dtype.name) \(fmt(shape))")
            }
            return t.isContiguous ? t : try t.contiguous()
        }
        func prefixed(_ p: String) -> [(name: String, tensor: Tensor)] {
            file.tensors.filter { $0.name.hasPrefix(p) }.map { (String($0.name.dropFirst(p.count)), $0.tensor) }
        }
        try agent.online.loadStateDict(prefixed("online."), strict: true)
        try agent.target.loadStateDict(prefixed("target."), strict: true)
        for (name, t) in prefixed("optimizer.") {
            let parts = name.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let p = Int(parts[0]) else { throw SNNError(.format, "\(what): bad optimizer state key 'optimizer.\(name)'") }
            try agent.optimizer.setState(param: p, key: String(parts[1]), value: t)
        }
        let cap = o.replayCapacity, r = agent.replay
        let frames = try tensor("replay.frames", .uint8, [cap, o.frameHeight, o.frameWidth])
        r.frames.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: frames.bytes, count: $0.count) }
        let acts = try tensor("replay.actions", .int32, [cap])
        let rewards = try tensor("replay.rewards", .float32, [cap])
        let term = try tensor("replay.terminal", .uint8, [cap]), ends = try tensor("replay.episode_end", .uint8, [cap])
        for i in 0..<cap {
            guard acts.int32s[i] >= 0, Int(acts.int32s[i]) < o.actions else { throw SNNError(.format, "\(what): replay action \(acts.int32s[i]) at slot \(i) is out of range") }
            r.actions[i] = acts.int32s[i]
            r.rewards[i] = rewards.floats[i]
            r.terminal[i] = term.bytes[i] != 0 ? 1 : 0
            r.episodeEnd[i] = ends.bytes[i] != 0 ? 1 : 0
        }
        guard let returns = file["episodes.return"], returns.dtype == .float64, returns.shape.count == 1 else {
            throw SNNError(.format, "\(what): tensor 'episodes.return' is missing or not float64 [n]")
        }
        let n = returns.count
        let lengths = try tensor("episodes.frames", .int64, [n]), endFrames = try tensor("episodes.end_frame", .int64, [n])
        agent.episodeReturns = (0..<n).map { returns.doubles[$0] }
        agent.episodeFrames = (0..<n).map { Int(lengths.int64s[$0]) }
        agent.episodeEndFrames = (0..<n).map { Int(endFrames.int64s[$0]) }
        func int(_ k: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let s = m["state.\(k)"], let v = Int(s), range.contains(v) else {
                throw SNNError(.format, "\(what): metadata 'state.\(k)' is missing or outside \(range)")
            }
            return v
        }
        agent.steps = try int("steps", 0...Int.max)
        agent.frames = try int("frames", 0...Int.max)
        agent.updates = try int("updates", 0...Int.max)
        r.cursor = try int("cursor", 0...(cap - 1))
        r.filled = try int("filled", 0...cap)
        r.hasCurrent = try int("has_current", 0...1) == 1
        guard let seed = UInt64(m["state.rng_seed"] ?? ""), let counter = UInt64(m["state.rng_counter"] ?? "") else {
            throw SNNError(.format, "\(what): metadata 'state.rng_seed' / 'state.rng_counter' is missing")
        }
        agent.rng = AgentRandom(seed: seed, counter: counter)
        agent.trainSeconds = Double(m["state.train_seconds"] ?? "") ?? 0
        agent.lastLoss = Double(m["state.last_loss"] ?? "") ?? .nan
        agent.envSeconds = Double(m["state.env_seconds"] ?? "") ?? 0
        agent.actSeconds = Double(m["state.act_seconds"] ?? "") ?? 0
        agent.updateSeconds = Double(m["state.update_seconds"] ?? "") ?? 0
        return agent
    }
}
