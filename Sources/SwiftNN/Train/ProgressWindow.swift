// The Trainer's steps since its last progress report: their mean loss and throughput, and
// the time left.

struct ProgressWindow {
    private let start = Clock.now()
    private var since: Double
    private var loss = 0.0, steps = 0, samples = 0

    init() { since = start }

    /// Counts one step of `samples` samples (images, sequences or characters).
    mutating func add(loss v: Double, samples n: Int) {
        loss += v
        steps += 1
        samples += n
    }

    /// Fills `p`'s loss, samples/s, elapsed time and ETA (to `totalSteps` steps, from the pace
    /// so far) from the window, then starts the next window.
    mutating func report(into p: inout TrainProgress, totalSteps: Int) {
        let now = Clock.now()
        p.loss = loss / Double(steps)
        p.samplesPerSecond = Double(samples) / max(now - since, 1e-9)
        p.elapsedSeconds = now - start
        p.etaSeconds = p.elapsedSeconds / Double(p.globalStep) * Double(max(totalSteps - p.globalStep, 0))
        loss = 0; steps = 0; samples = 0; since = now
    }
}
