// The DQN loop in the engine: the caller supplies an environment (reset and step, each
// writing one preprocessed frame); the engine acts, stores transitions, samples, updates,
// syncs the target, counts frames, reports progress with an ETA, and checkpoints at episode
// ends so a run resumes exactly. Evaluation plays with a fixed epsilon and its own generator.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one environment step returns. `frames` counts emulator frames (frame skip included).
public struct DQNStep: Sendable {
    public var reward: Double
    /// No bootstrapping from the next state (game over, or a lost life when training so).
    public var terminal: Bool
    /// The episode is over (game over or truncated): the next call is `reset`.
    public var episodeEnd: Bool
    public var frames: Int
    public init(reward: Double, terminal: Bool, episodeEnd: Bool, frames: Int) {
        self.reward = reward; self.terminal = terminal; self.episodeEnd = episodeEnd; self.frames = frames
    }
}

/// An environment the engine drives. Frames are frameHeight * frameWidth bytes, row-major.
public protocol DQNEnvironment: AnyObject {
    /// Starts an episode with `noops` no-op actions; writes the first frame; returns the
    /// emulator frames it used.
    func reset(noops: Int, frame: UnsafeMutableRawBufferPointer) throws -> Int
    /// Takes `action`; writes the next frame (left as is when the episode ended).
    func step(action: Int, frame: UnsafeMutableRawBufferPointer) throws -> DQNStep
}

public struct DQNProgress: Sendable {
    public var steps = 0, frames = 0, totalFrames = 0, updates = 0, episodes = 0
    public var epsilon = 0.0
    /// Mean loss over the updates since the last report (NaN before the first update).
    public var loss = Double.nan
    public var lastReturn = Double.nan
    /// Mean return of the last 100 finished episodes (NaN before the first).
    public var meanReturn100 = Double.nan
    public var framesPerSecond = 0.0
    public var elapsedSeconds = 0.0, etaSeconds = 0.0
}

public struct DQNTrainOptions: Sendable {
    /// Train until this many emulator frames in total (the agent's count, across resumed runs).
    public var totalFrames = 1_000_000
    /// Stop after this many seconds of this call (0: no limit); the last finished episode is checkpointed.
    public var maxSeconds = 0.0
    public var reportEvery = 5_000
    /// Checkpoint at the first episode end after this many steps since the last one (0: never).
    public var checkpointEvery = 0
    public var checkpointPath = ""
    public init() {}
}

/// The last `history` frames as floats in [0, 1], zeros before the episode's first frame.
struct FrameStack {
    let history: Int, frameBytes: Int
    var data: [Float]
    init(history: Int, frameBytes: Int) {
        self.history = history; self.frameBytes = frameBytes
        data = [Float](repeating: 0, count: history * frameBytes)
    }
    mutating func reset(_ frame: UnsafeRawBufferPointer) {
        for i in 0..<(history - 1) * frameBytes { data[i] = 0 }
        write(frame)
    }
    mutating func push(_ frame: UnsafeRawBufferPointer) {
        data.withUnsafeMutableBufferPointer { d in
            (d.baseAddress! + 0).update(from: d.baseAddress! + frameBytes, count: (history - 1) * frameBytes)
        }
        write(frame)
    }
    private mutating func write(_ frame: UnsafeRawBufferPointer) {
        let base = (history - 1) * frameBytes
        for x in 0..<frameBytes { data[base + x] = Float(frame[x]) * (1 / 255 as Float) }
    }
}

extension DQNAgent {
    /// Trains until `totalFrames` (see DQNTrainOptions). Episodes always start fresh (a run
    /// resumed from a checkpoint, which is written at an episode's end, continues exactly).
    /// `progress` runs every `reportEvery` steps; returning false stops at the next episode end.
    public func train(_ env: DQNEnvironment, options t: DQNTrainOptions, progress: ((DQNProgress) -> Bool)? = nil) throws {
        let fn = "DQNAgent.train"
        guard t.totalFrames >= 0, t.reportEvery >= 1, t.maxSeconds >= 0, t.checkpointEvery >= 0 else {
            throw SNNError.invalid("\(fn): total_frames (\(t.totalFrames)), max_seconds (\(t.maxSeconds)), checkpoint_every (\(t.checkpointEvery)) must be >= 0 and report_every (\(t.reportEvery)) >= 1")
        }
        guard t.checkpointEvery == 0 || !t.checkpointPath.isEmpty else {
            throw SNNError.invalid("\(fn): checkpoint_every is \(t.checkpointEvery) but no checkpoint path was given")
        }
        let o = options
        var frame = [UInt8](repeating: 0, count: frameBytes)
        var stack = FrameStack(history: o.history, frameBytes: frameBytes)
        let start = Clock.now(), trainBefore = trainSeconds
        var window = (time: start, frames: frames, lossSum: 0.0, lossCount: 0)
        var lastCheckpoint = steps, stopping = false
        var inEpisode = false, episodeReturn = 0.0, episodeLength = 0
        func elapsed() -> Double { Clock.now() - start }

        while frames < t.totalFrames || inEpisode {
            if !inEpisode {
                if stopping || frames >= t.totalFrames { break }
                let noops = o.noopMax > 0 ? rng.below(o.noopMax + 1) : 0
                let t0 = Clock.now()
                let f = try frame.withUnsafeMutableBytes { try env.reset(noops: noops, frame: $0) }
                envSeconds += Clock.now() - t0
                guard f >= 0 else { throw SNNError.invalid("\(fn): the environment's reset reported \(f) frames") }
                frame.withUnsafeBytes { replay.begin($0); stack.reset($0) }
                frames += f
                episodeLength = f
                episodeReturn = 0
                inEpisode = true
            }
            let eps = epsilon(at: steps)
            let t0 = Clock.now()
            let action = try stack.data.withUnsafeBufferPointer { try act($0.baseAddress!, epsilon: eps, rng: &rng) }
            let t1 = Clock.now()
            let r = try frame.withUnsafeMutableBytes { try env.step(action: action, frame: $0) }
            let t2 = Clock.now()
            actSeconds += t1 - t0
            envSeconds += t2 - t1
            guard r.frames >= 0, r.reward.isFinite else {
                throw SNNError.invalid("\(fn): the environment's step reported \(r.frames) frames and reward \(r.reward)")
            }
            let stored = o.clipRewards ? Float(r.reward > 0 ? 1 : r.reward < 0 ? -1 : 0) : Float(r.reward)
            frame.withUnsafeBytes { f in
                replay.record(action: action, reward: stored, terminal: r.terminal,
                              episodeEnd: r.episodeEnd, next: r.episodeEnd ? nil : f)
                if !r.episodeEnd { stack.push(f) }
            }
            steps += 1
            frames += r.frames
            episodeLength += r.frames
            episodeReturn += r.reward
            if steps >= o.learningStarts && steps % o.trainEvery == 0 {
                let t3 = Clock.now()
                window.lossSum += try updateFromReplay()
                window.lossCount += 1
                updateSeconds += Clock.now() - t3
            }
            if steps % o.targetUpdateEvery == 0 {
                let t3 = Clock.now()
                try syncTarget()
                updateSeconds += Clock.now() - t3
            }
            if r.episodeEnd {
                inEpisode = false
                episodeReturns.append(episodeReturn)
                episodeFrames.append(episodeLength)
                episodeEndFrames.append(frames)
                if t.maxSeconds > 0 && elapsed() >= t.maxSeconds { stopping = true }
                if t.checkpointEvery > 0 && (steps - lastCheckpoint >= t.checkpointEvery || stopping || frames >= t.totalFrames) {
                    trainSeconds = trainBefore + elapsed()
                    try save(to: t.checkpointPath)
                    lastCheckpoint = steps
                }
            }
            if steps % t.reportEvery == 0, let progress {
                let now = Clock.now()
                var p = DQNProgress()
                p.steps = steps; p.frames = frames; p.totalFrames = t.totalFrames; p.updates = updates
                p.episodes = episodeReturns.count; p.epsilon = eps
                p.loss = window.lossCount > 0 ? window.lossSum / Double(window.lossCount) : .nan
                p.lastReturn = episodeReturns.last ?? .nan
                let recent = episodeReturns.suffix(100)
                p.meanReturn100 = recent.isEmpty ? .nan : recent.reduce(0, +) / Double(recent.count)
                p.framesPerSecond = Double(frames - window.frames) / Swift.max(now - window.time, 1e-9)
                p.elapsedSeconds = trainBefore + (now - start)
                p.etaSeconds = p.framesPerSecond > 0 ? Double(Swift.max(t.totalFrames - frames, 0)) / p.framesPerSecond : 0
                window = (now, frames, 0, 0)
                if !progress(p) { stopping = true }
            }
        }
        trainSeconds = trainBefore + elapsed()
    }

    /// Plays `episodes` episodes with `epsilon` (0.05 is the DQN papers' evaluation setting) and
    /// random no-op starts, both drawn from a generator seeded with `seed` (the training
    /// generator is untouched); nothing is stored. Returns each episode's (unclipped) return.
    public func evaluate(_ env: DQNEnvironment, episodes: Int, epsilon: Double = 0.05, seed: UInt64 = 0,
                         maxFramesPerEpisode: Int = 108_000) throws -> [Double] {
        let fn = "DQNAgent.evaluate"
        guard episodes >= 1, episodes <= 1_000_000, (0...1).contains(epsilon), maxFramesPerEpisode >= 1 else {
            throw SNNError.invalid("\(fn): episodes (\(episodes)) must be in 1...1000000, epsilon (\(epsilon)) in 0...1, max_frames_per_episode (\(maxFramesPerEpisode)) >= 1")
        }
        var r = AgentRandom(seed: seed)
        var frame = [UInt8](repeating: 0, count: frameBytes)
        var stack = FrameStack(history: options.history, frameBytes: frameBytes)
        var out: [Double] = []
        for _ in 0..<episodes {
            let noops = options.noopMax > 0 ? r.below(options.noopMax + 1) : 0
            var used = try frame.withUnsafeMutableBytes { try env.reset(noops: noops, frame: $0) }
            frame.withUnsafeBytes { stack.reset($0) }
            var total = 0.0
            while true {
                let a = try stack.data.withUnsafeBufferPointer { try act($0.baseAddress!, epsilon: epsilon, rng: &r) }
                let s = try frame.withUnsafeMutableBytes { try env.step(action: a, frame: $0) }
                total += s.reward
                used += s.frames
                if s.episodeEnd || used >= maxFramesPerEpisode { break }
                frame.withUnsafeBytes { stack.push($0) }
            }
            out.append(total)
        }
        return out
    }
}
