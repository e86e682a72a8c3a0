// The DQN agent's C API (swiftnn/dqn.h): options, the host's environment as callbacks,
// training, evaluation, explicit-batch updates, checkpoints and the Atari frame.
import CSwiftNN
import SwiftNN

extension DQNAgent: HandleNamed { static var handleName: String { "snn_dqn" } }

extension snn_dqn_options {
    /// What snn_dqn_options_init writes and a NULL pointer means.
    static var defaults: Self { Self(DQNOptions()) }

    init(_ d: DQNOptions) {
        self.init(struct_size: MemoryLayout<Self>.stride, actions: Int64(d.actions), frame_height: Int64(d.frameHeight),
                  frame_width: Int64(d.frameWidth), history: Int64(d.history), hidden: Int64(d.hidden),
                  replay_capacity: Int64(d.replayCapacity), batch_size: Int64(d.batchSize), gamma: d.gamma,
                  optimizer: snn_dqn_optimizer(rawValue: UInt32(d.optimizer.rawValue)), lr: d.lr, optimizer_eps: d.optimizerEps,
                  learning_starts: Int64(d.learningStarts), train_every: Int64(d.trainEvery),
                  target_update_every: Int64(d.targetUpdateEvery), epsilon_start: d.epsilonStart, epsilon_end: d.epsilonEnd,
                  epsilon_decay_steps: Int64(d.epsilonDecaySteps), double_dqn: d.doubleDQN, clip_rewards: d.clipRewards,
                  max_grad_norm: d.maxGradNorm, noop_max: Int64(d.noopMax), seed: d.seed)
    }

    func engineOptions(_ fn: String) throws -> DQNOptions {
        func int(_ v: Int64, _ name: String) throws -> Int {
            guard v >= 0, v <= 1 << 40 else { throw SNNError(.invalidArgument, "\(fn): opts->\(name) = \(v), expected 0...2^40") }
            return Int(v)
        }
        var o = DQNOptions()
        o.actions = try int(actions, "actions"); o.frameHeight = try int(frame_height, "frame_height")
        o.frameWidth = try int(frame_width, "frame_width"); o.history = try int(history, "history")
        o.hidden = try int(hidden, "hidden"); o.replayCapacity = try int(replay_capacity, "replay_capacity")
        o.batchSize = try int(batch_size, "batch_size"); o.gamma = gamma
        guard let kind = DQNOptions.OptimizerKind(rawValue: Int(optimizer.rawValue)) else {
            throw SNNError(.invalidArgument, "\(fn): opts->optimizer = \(optimizer.rawValue), expected SNN_DQN_ADAM (0) or SNN_DQN_RMSPROP (1)")
        }
        o.optimizer = kind
        o.lr = lr; o.optimizerEps = optimizer_eps
        o.learningStarts = try int(learning_starts, "learning_starts"); o.trainEvery = try int(train_every, "train_every")
        o.targetUpdateEvery = try int(target_update_every, "target_update_every")
        o.epsilonStart = epsilon_start; o.epsilonEnd = epsilon_end
        o.epsilonDecaySteps = try int(epsilon_decay_steps, "epsilon_decay_steps")
        o.doubleDQN = double_dqn; o.clipRewards = clip_rewards; o.maxGradNorm = max_grad_norm
        o.noopMax = try int(noop_max, "noop_max"); o.seed = seed
        return o
    }
}

@c @implementation
public func snn_dqn_options_init(_ opts: UnsafeMutablePointer<snn_dqn_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = .defaults }
}

@c @implementation
public func snn_dqn_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opts: UnsafePointer<snn_dqn_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let options = try (try optionsArg(opts, fn, arg: "opts") ?? .defaults).engineOptions(fn)
        o.pointee = Registry.shared.insert(try DQNAgent(options))
    }
}

@c @implementation
public func snn_dqn_get_options(_ out: UnsafeMutablePointer<snn_dqn_options>?, _ agent: OpaquePointer?) -> snn_status {
    boundary { fn in
        let dst = try outPointer(out, fn)
        dst.pointee = snn_dqn_options(try resolve(agent, DQNAgent.self, fn, "agent").options)
    }
}

@c @implementation
public func snn_dqn_free(_ agent: OpaquePointer?) -> snn_status { freeHandle(agent, DQNAgent.self, "agent") }

/// The host's callbacks as a DQNEnvironment; a callback returning false becomes an error.
private final class CallbackEnvironment: DQNEnvironment {
    let env: snn_dqn_env
    let fn: String
    init(_ env: snn_dqn_env, _ fn: String) { self.env = env; self.fn = fn }

    func reset(noops: Int, frame: UnsafeMutableRawBufferPointer) throws -> Int {
        var frames: Int64 = 0
        guard let reset = env.reset,
              reset(env.user_data, Int64(noops), frame.baseAddress!.assumingMemoryBound(to: UInt8.self), &frames) else {
            throw SNNError(.invalidArgument, "\(fn): the environment's reset function returned false")
        }
        return Int(frames)
    }

    func step(action: Int, frame: UnsafeMutableRawBufferPointer) throws -> DQNStep {
        var reward = 0.0, terminal = false, end = false, frames: Int64 = 0
        guard let step = env.step,
              step(env.user_data, Int64(action), frame.baseAddress!.assumingMemoryBound(to: UInt8.self), &reward, &terminal, &end, &frames) else {
            throw SNNError(.invalidArgument, "\(fn): the environment's step function returned false")
        }
        return DQNStep(reward: reward, terminal: terminal, episodeEnd: end, frames: Int(frames))
    }
}

@c @implementation
public func snn_dqn_env_init(_ env: UnsafeMutablePointer<snn_dqn_env>?) -> snn_status {
    boundary { fn in
        try outPointer(env, fn, "env").pointee = snn_dqn_env(struct_size: MemoryLayout<snn_dqn_env>.stride, reset: nil, step: nil, user_data: nil)
    }
}

private func envArg(_ p: UnsafePointer<snn_dqn_env>?, _ fn: String) throws -> CallbackEnvironment {
    guard let e = try optionsArg(p, fn, arg: "env") else { throw SNNError(.invalidArgument, "\(fn): env is NULL") }
    guard e.reset != nil, e.step != nil else { throw SNNError(.invalidArgument, "\(fn): env->reset and env->step must both be set") }
    return CallbackEnvironment(e, fn)
}

extension snn_dqn_train_options {
    static var defaults: Self {
        let d = DQNTrainOptions()
        return Self(struct_size: MemoryLayout<Self>.stride, total_frames: Int64(d.totalFrames), max_seconds: d.maxSeconds,
                    report_every: Int64(d.reportEvery), checkpoint_every: Int64(d.checkpointEvery), checkpoint_path: nil,
                    progress: nil, user_data: nil)
    }
}

@c @implementation
public func snn_dqn_train_options_init(_ opts: UnsafeMutablePointer<snn_dqn_train_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = .defaults }
}

@c @implementation
public func snn_dqn_train(_ agent: OpaquePointer?, _ env: UnsafePointer<snn_dqn_env>?, _ opts: UnsafePointer<snn_dqn_train_options>?) -> snn_status {
    boundary { fn in
        let a = try resolve(agent, DQNAgent.self, fn, "agent")
        let e = try envArg(env, fn)
        let o = try optionsArg(opts, fn, arg: "opts") ?? .defaults
        guard o.total_frames >= 0, o.report_every >= 1, o.checkpoint_every >= 0, o.max_seconds.isFinite, o.max_seconds >= 0 else {
            throw SNNError(.invalidArgument, "\(fn): opts->total_frames (\(o.total_frames)), checkpoint_every (\(o.checkpoint_every)) and max_seconds (\(o.max_seconds)) must be >= 0 (finite), report_every (\(o.report_every)) >= 1")
        }
        var t = DQNTrainOptions()
        t.totalFrames = Int(o.total_frames)
        t.maxSeconds = o.max_seconds
        t.reportEvery = Int(o.report_every)
        t.checkpointEvery = Int(o.checkpoint_every)
        if let p = o.checkpoint_path { t.checkpointPath = try stringArg(p, fn, "opts->checkpoint_path") }
        let callback = o.progress, user = o.user_data
        try a.train(e, options: t, progress: callback.map { cb in
            { p in
                var c = snn_dqn_progress(struct_size: MemoryLayout<snn_dqn_progress>.stride, steps: Int64(p.steps), frames: Int64(p.frames),
                                         total_frames: Int64(p.totalFrames), updates: Int64(p.updates), episodes: Int64(p.episodes),
                                         epsilon: p.epsilon, loss: p.loss, last_return: p.lastReturn, mean_return_100: p.meanReturn100,
                                         frames_per_second: p.framesPerSecond, elapsed_seconds: p.elapsedSeconds, eta_seconds: p.etaSeconds)
                return cb(&c, user)
            }
        })
    }
}

@c @implementation
public func snn_dqn_evaluate(_ returns: UnsafeMutablePointer<Double>?, _ capacity: Int, _ agent: OpaquePointer?,
                             _ env: UnsafePointer<snn_dqn_env>?, _ episodes: Int64, _ epsilon: Double, _ seed: UInt64,
                             _ maxFrames: Int64) -> snn_status {
    boundary { fn in
        let out = try outPointer(returns, fn, "returns")
        let a = try resolve(agent, DQNAgent.self, fn, "agent")
        let e = try envArg(env, fn)
        guard episodes >= 1, episodes <= 1_000_000, capacity >= Int(episodes) else {
            throw SNNError(.invalidArgument, "\(fn): episodes = \(episodes) must be in 1...1000000 and at most capacity (\(capacity))")
        }
        guard maxFrames >= 1, epsilon.isFinite else { throw SNNError(.invalidArgument, "\(fn): max_frames_per_episode (\(maxFrames)) must be >= 1 and epsilon finite") }
        let r = try a.evaluate(e, episodes: Int(episodes), epsilon: epsilon, seed: seed, maxFramesPerEpisode: Int(maxFrames))
        for (i, v) in r.enumerated() { out[i] = v }
    }
}

/// `count` bytes at `p` (non-NULL) as a buffer.
private func bytesArg(_ p: UnsafePointer<UInt8>?, _ count: Int, _ fn: String, _ arg: String) throws -> UnsafeRawBufferPointer {
    guard let p else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL") }
    return UnsafeRawBufferPointer(start: p, count: count)
}

/// Frames (bytes) as a float tensor [n, history, H, W] of byte / 255.
private func framesTensor(_ p: UnsafeRawBufferPointer, _ n: Int, _ o: DQNOptions) throws -> Tensor {
    let t = try Tensor(empty: [n, o.history, o.frameHeight, o.frameWidth])
    var v = [Float](repeating: 0, count: p.count)
    for i in 0..<p.count { v[i] = Float(p[i]) * (1 / 255 as Float) }
    try t.copyValues(from: try Tensor(v, shape: t.shape))
    return t
}

@c @implementation
public func snn_dqn_q_values(_ out: UnsafeMutablePointer<Float>?, _ capacity: Int, _ agent: OpaquePointer?,
                             _ frames: UnsafePointer<UInt8>?, _ length: Int) -> snn_status {
    boundary { fn in
        let dst = try outPointer(out, fn)
        let a = try resolve(agent, DQNAgent.self, fn, "agent")
        let o = a.options
        let need = o.history * o.frameHeight * o.frameWidth
        guard length == need else { throw SNNError(.invalidArgument, "\(fn): length is \(length); one state is history * frame_height * frame_width = \(need) bytes") }
        guard capacity >= o.actions else { throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is smaller than the \(o.actions) actions") }
        let x = try framesTensor(try bytesArg(frames, need, fn, "frames"), 1, o)
        let q = try GradMode.withoutGrad { try a.online(x) }.scalars
        for (i, v) in q.enumerated() { dst[i] = v }
    }
}

@c @implementation
public func snn_dqn_update(_ loss: UnsafeMutablePointer<Double>?, _ agent: OpaquePointer?, _ states: UnsafePointer<UInt8>?,
                           _ next: UnsafePointer<UInt8>?, _ length: Int, _ actions: UnsafePointer<Int64>?,
                           _ rewards: UnsafePointer<Float>?, _ terminal: UnsafePointer<UInt8>?, _ batch: Int64) -> snn_status {
    boundary { fn in
        let out = try outPointer(loss, fn, "loss")
        let a = try resolve(agent, DQNAgent.self, fn, "agent")
        let o = a.options
        guard batch >= 1, batch <= 4096 else { throw SNNError(.invalidArgument, "\(fn): batch = \(batch), expected 1...4096") }
        let b = Int(batch), per = o.history * o.frameHeight * o.frameWidth
        guard length == b * per else {
            throw SNNError(.invalidArgument, "\(fn): length is \(length) bytes; batch \(b) states of history * frame_height * frame_width = \(per) bytes need \(b * per)")
        }
        guard let actions, let rewards, let terminal else { throw SNNError(.invalidArgument, "\(fn): actions, rewards and terminal must not be NULL") }
        let s = try framesTensor(try bytesArg(states, b * per, fn, "states"), b, o)
        let s2 = try framesTensor(try bytesArg(next, b * per, fn, "next_states"), b, o)
        let acts = (0..<b).map { actions[$0] }
        if let bad = acts.firstIndex(where: { $0 < 0 || $0 >= Int64(o.actions) }) {
            throw SNNError(.outOfRange, "\(fn): actions[\(bad)] = \(acts[bad]), expected 0...\(o.actions - 1)")
        }
        let r = (0..<b).map { rewards[$0] }
        guard r.allSatisfy({ $0.isFinite }) else { throw SNNError(.invalidArgument, "\(fn): a reward is not finite") }
        let v = try a.update(state: s, actions: acts, rewards: r, next: s2, terminal: (0..<b).map { terminal[$0] != 0 ? 1 : 0 })
        out.pointee = v
    }
}

@c @implementation
public func snn_dqn_sync_target(_ agent: OpaquePointer?) -> snn_status {
    boundary { fn in try resolve(agent, DQNAgent.self, fn, "agent").syncTarget() }
}

@c @implementation
public func snn_dqn_network(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ agent: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try resolve(agent, DQNAgent.self, fn, "agent").online)
    }
}

@c @implementation
public func snn_dqn_get_stats(_ out: UnsafeMutablePointer<snn_dqn_stats>?, _ agent: OpaquePointer?) -> snn_status {
    boundary { fn in
        let dst = try outPointer(out, fn)
        let a = try resolve(agent, DQNAgent.self, fn, "agent")
        dst.pointee = snn_dqn_stats(struct_size: MemoryLayout<snn_dqn_stats>.stride, steps: Int64(a.steps), frames: Int64(a.frames),
                                    updates: Int64(a.updates), episodes: Int64(a.episodeReturns.count), epsilon: a.epsilon(at: a.steps),
                                    last_loss: a.lastLoss, train_seconds: a.trainSeconds, replay_size: Int64(a.replay.filled),
                                    env_seconds: a.envSeconds, act_seconds: a.actSeconds, update_seconds: a.updateSeconds)
    }
}

@c @implementation
public func snn_dqn_episodes(_ returns: UnsafeMutablePointer<Double>?, _ endFrames: UnsafeMutablePointer<Int64>?, _ capacity: Int,
                             _ count: UnsafeMutablePointer<Int>?, _ agent: OpaquePointer?) -> snn_status {
    boundary { fn in
        let a = try resolve(agent, DQNAgent.self, fn, "agent")
        guard capacity >= 0 else { throw SNNError(.invalidArgument, "\(fn): capacity \(UInt(bitPattern: capacity)) is too large") }
        if capacity > 0 && (returns == nil || endFrames == nil) {
            throw SNNError(.invalidArgument, "\(fn): returns and end_frames must not be NULL when capacity (\(capacity)) > 0")
        }
        let n = a.episodeReturns.count
        count?.pointee = n
        for i in 0..<Swift.min(n, capacity) {
            returns?[i] = a.episodeReturns[i]
            endFrames?[i] = Int64(a.episodeEndFrames[i])
        }
    }
}

@c @implementation
public func snn_dqn_save(_ agent: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let a = try resolve(agent, DQNAgent.self, fn, "agent")
        try a.save(to: try stringArg(path, fn, "path"))
    }
}

@c @implementation
public func snn_dqn_load(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try DQNAgent.load(from: try stringArg(path, fn, "path")))
    }
}

@c @implementation
public func snn_atari_preprocess(_ out: UnsafeMutablePointer<UInt8>?, _ outHeight: Int64, _ outWidth: Int64, _ a: UnsafePointer<UInt8>?,
                                 _ b: UnsafePointer<UInt8>?, _ height: Int64, _ width: Int64) -> snn_status {
    boundary { fn in
        guard height >= 1, width >= 1, height <= 1 << 14, width <= 1 << 14, outHeight >= 1, outWidth >= 1,
              outHeight <= height, outWidth <= width else {
            throw SNNError(.invalidArgument, "\(fn): cannot shrink \(height)x\(width) to \(outHeight)x\(outWidth) (sides >= 1, at most 16384, output no larger than input)")
        }
        let n = Int(height * width), m = Int(outHeight * outWidth)
        let dst = try outPointer(out, fn)
        let sa = try bytesArg(a, n, fn, "a")
        let sb = try b.map { try bytesArg($0, n, fn, "b") }
        try AtariFrame.preprocess(sa, sb, height: Int(height), width: Int(width),
                                  into: UnsafeMutableRawBufferPointer(start: dst, count: m), outHeight: Int(outHeight), outWidth: Int(outWidth))
    }
}
