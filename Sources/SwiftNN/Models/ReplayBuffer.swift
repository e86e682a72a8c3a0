// ReplayBuffer: DQN's experience replay with each frame stored once. A state is the last
// `history` frames; storing whole stacks per transition would keep every frame 2 * history
// times (8x the memory: 5.6 GB instead of 0.7 GB for 100k Atari transitions), so, as in
// Dopamine's circular buffer, slot i holds one frame and what followed it, and stacks are
// assembled at sampling time.
//
// Slot i holds: frame i (the observation the agent acted on), the action taken, the
// (clipped) reward, `terminal` (no bootstrapping from the next state: game over or a lost
// life) and `episodeEnd` (the next slot starts a new episode, or the episode was truncated).
// The next state of slot i is the stack ending at slot i + 1.

public final class ReplayBuffer {
    public let capacity: Int, history: Int, frameBytes: Int
    /// capacity * frameBytes bytes of frames.
    var frames: [UInt8]
    var actions: [Int32]
    var rewards: [Float]
    var terminal: [UInt8]
    var episodeEnd: [UInt8]
    /// The slot holding the current observation, whose action is not known yet.
    public internal(set) var cursor = 0
    /// Slots written so far, capped at capacity (the cursor's slot counts once it holds a frame).
    public internal(set) var filled = 0
    /// Whether the cursor's slot holds a frame (false between an episode's end and the next reset).
    var hasCurrent = false

    public init(capacity: Int, history: Int, frameBytes: Int) throws {
        let fn = "ReplayBuffer"
        guard capacity >= history + 2, capacity <= 1 << 26 else {
            throw SNNError.invalid("\(fn): capacity \(capacity) must be in \(history + 2)...\(1 << 26)")
        }
        guard history >= 1, history <= 64, frameBytes >= 1, frameBytes <= 1 << 24 else {
            throw SNNError.invalid("\(fn): history \(history) must be in 1...64 and the frame size \(frameBytes) bytes in 1...16 MiB")
        }
        let (total, overflow) = capacity.multipliedReportingOverflow(by: frameBytes)
        guard !overflow, total <= 1 << 36 else {
            throw SNNError.invalid("\(fn): \(capacity) frames of \(frameBytes) bytes is more than 64 GiB")
        }
        self.capacity = capacity
        self.history = history
        self.frameBytes = frameBytes
        frames = [UInt8](repeating: 0, count: total)
        actions = [Int32](repeating: 0, count: capacity)
        rewards = [Float](repeating: 0, count: capacity)
        terminal = [UInt8](repeating: 0, count: capacity)
        episodeEnd = [UInt8](repeating: 0, count: capacity)
    }

    /// Starts an episode with its first observation. If the previous episode did not end
    /// (a reset mid-episode), its last slot is marked truncated: never sampled, no next state.
    public func begin(_ frame: UnsafeRawBufferPointer) {
        if hasCurrent {  // the slot at the cursor is overwritten: mark the one before as ended
            let prev = (cursor + capacity - 1) % capacity
            if filled > 1 { episodeEnd[prev] = 1 }
        }
        write(frame)
    }

    /// Records what followed the current observation; `next` is the next observation (nil
    /// when the episode ended: the next `begin` brings the following episode's first frame).
    public func record(action: Int, reward: Float, terminal t: Bool, episodeEnd e: Bool, next: UnsafeRawBufferPointer?) {
        actions[cursor] = Int32(action)
        rewards[cursor] = reward
        terminal[cursor] = t ? 1 : 0
        episodeEnd[cursor] = e ? 1 : 0
        cursor = (cursor + 1) % capacity
        hasCurrent = false
        if !e, let next { write(next) }
    }

    private func write(_ frame: UnsafeRawBufferPointer) {
        frames.withUnsafeMutableBytes { dst in
            dst.baseAddress!.advanced(by: cursor * frameBytes).copyMemory(from: frame.baseAddress!, byteCount: frameBytes)
        }
        // The slot's old transition is gone; its flags are rewritten by `record`.
        terminal[cursor] = 0
        episodeEnd[cursor] = 0
        hasCurrent = true
        filled = Swift.min(filled + 1, capacity)
    }

    /// Whether slot i can be sampled: its action is recorded, its stack's frames are all still
    /// in the buffer, and it has a next state (or needs none: terminal).
    func isValid(_ i: Int) -> Bool {
        guard i >= 0, i < capacity, i != cursor else { return false }
        if filled < capacity {
            // Written slots are 0 ..< cursor (plus the cursor's own frame).
            guard i < cursor else { return false }
        } else {
            // Full: slots cursor+1, cursor+2, ... are the oldest; a stack must not reach back
            // past the oldest slot into the newest ones.
            let age = (i - cursor + capacity) % capacity  // 1 = oldest
            guard age >= history else { return false }
        }
        if episodeEnd[i] != 0 && terminal[i] == 0 { return false }  // truncated: no next state
        let next = (i + 1) % capacity
        if terminal[i] == 0 && next == cursor && !hasCurrent { return false }
        return true
    }

    /// Writes the stack ending at slot `i` as floats (frame bytes / 255), frames from before
    /// the episode's start as zeros (as in Dopamine and the DQN papers' implementations).
    func writeStack(ending i: Int, into out: UnsafeMutablePointer<Float>) {
        var zeroFrom = -1  // stack positions <= zeroFrom are zeros
        for k in 1..<history {
            let j = (i - k + capacity) % capacity
            if episodeEnd[j] != 0 || (filled < capacity && i - k < 0) { zeroFrom = history - 1 - k; break }
        }
        frames.withUnsafeBufferPointer { src in
            for p in 0..<history {
                let dst = out + p * frameBytes
                if p <= zeroFrom {
                    dst.update(repeating: 0, count: frameBytes)
                    continue
                }
                let j = (i - (history - 1 - p) + capacity) % capacity
                let s = src.baseAddress! + j * frameBytes
                for x in 0..<frameBytes { dst[x] = Float(s[x]) * (1 / 255 as Float) }
            }
        }
    }

    /// The current state (the stack ending at the cursor), for acting.
    func writeCurrentStack(into out: UnsafeMutablePointer<Float>) {
        writeStack(ending: cursor, into: out)
    }
}
